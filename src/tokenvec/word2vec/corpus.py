"""Corpora for training: text files (plain or compressed), folders, or iterables of tokens.

A corpus yields sentences as lists of words. Files hold one sentence per line, words separated
by whitespace; a very long line (text8 is one 100 MB line) is read in blocks and cut into
sentences of at most ``max_sentence_length`` words, and the cut is counted, not hidden.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

BLOCK_CHARS = 1 << 20
DEFAULT_PATTERN = r"[a-z0-9]+(?:'[a-z]+)?"


class CorpusError(ValueError):
    """A corpus cannot be read: missing, binary, not UTF-8, or empty."""


@dataclass(frozen=True)
class WordTokenizer:
    """Split raw text into words: lowercase (optional) and a regular expression.

    >>> WordTokenizer()("Don't PANIC: 42 towels!")
    ["don't", 'panic', '42', 'towels']
    """

    pattern: str = DEFAULT_PATTERN
    lowercase: bool = True
    _regex: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", re.compile(self.pattern))

    def __call__(self, text: str) -> list[str]:
        return self._regex.findall(text.lower() if self.lowercase else text)


@dataclass
class CorpusStats:
    """What reading the corpus found; ``split_sentences`` counts over-long lines that were cut."""

    sentences: int = 0
    words: int = 0
    split_sentences: int = 0


def builtin_corpus_path() -> Path:
    """The built-in English corpus shipped inside the package (see assets/CORPUS.md)."""
    return Path(__file__).parents[1] / "assets" / "corpus.txt.xz"


def _open_text(path: Path) -> IO[str]:
    suffix = path.suffix.lower()
    opener: Any = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".lzma": lzma.open}.get(
        suffix, open
    )
    return opener(path, "rt", encoding="utf-8", errors="strict", newline=None)


def _files(source: Path) -> list[Path]:
    if not source.exists():
        raise CorpusError(f"no such corpus file or folder: {source}")
    if source.is_dir():
        files = sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith("."))
        if not files:
            raise CorpusError(f"corpus folder {source} holds no files")
        return files
    return [source]


class Corpus:
    """Re-iterable sentences from a path (file or folder) or an iterable of token lists.

    >>> list(Corpus([["a", "b"], ["c"]]))
    [['a', 'b'], ['c']]
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | Iterable[list[str]],
        *,
        max_sentence_length: int = 10_000,
        tokenizer: WordTokenizer | None = None,
    ) -> None:
        if max_sentence_length <= 0:
            raise ValueError(f"max_sentence_length must be positive, got {max_sentence_length}")
        self.max_sentence_length = max_sentence_length
        self.tokenizer = tokenizer
        self.paths: list[Path] | None = None
        self.sentences: Iterable[list[str]] | None = None
        if isinstance(source, str | os.PathLike):
            self.paths = _files(Path(source))
        else:
            if isinstance(source, Iterator):
                raise TypeError(
                    "a corpus must be re-iterable (one pass per epoch): pass a list or a path, "
                    "not a generator"
                )
            self.sentences = source
        self.stats = CorpusStats()

    def __repr__(self) -> str:
        src = [str(p) for p in self.paths] if self.paths else type(self.sentences).__name__
        return f"Corpus({src})"

    def _split(self, words: list[str]) -> Iterator[list[str]]:
        m = self.max_sentence_length
        if len(words) <= m:
            yield words
            return
        self.stats.split_sentences += 1
        for i in range(0, len(words), m):
            yield words[i : i + m]

    def _read_file(self, path: Path) -> Iterator[list[str]]:
        split = self.tokenizer or str.split
        try:
            with _open_text(path) as f:
                pending = ""
                while True:
                    block = f.read(BLOCK_CHARS)
                    if "\x00" in block:
                        raise CorpusError(
                            f"corpus file {path} looks binary (NUL bytes); expected UTF-8 text"
                        )
                    if not block:
                        if pending.strip():
                            yield from self._split(split(pending))
                        return
                    lines = (pending + block).split("\n")
                    pending = lines.pop()
                    if len(pending) > BLOCK_CHARS:
                        # A huge line: cut at the last whitespace, keep the tail for later.
                        cut = max(pending.rfind(" "), 0)
                        head, pending = pending[:cut], pending[cut:]
                        words = split(head)
                        self.stats.split_sentences += 1
                        m = self.max_sentence_length
                        for i in range(0, len(words), m):
                            yield words[i : i + m]
                    for line in lines:
                        words = split(line)
                        if words:
                            yield from self._split(words)
        except UnicodeDecodeError as exc:
            raise CorpusError(
                f"corpus file {path} is not UTF-8 text (byte {exc.start}: {exc.reason})"
            ) from None
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise CorpusError(f"cannot read corpus file {path}: {exc}") from None

    def __iter__(self) -> Iterator[list[str]]:
        self.stats = CorpusStats()
        if self.paths is not None:
            for path in self.paths:
                for sent in self._read_file(path):
                    self.stats.sentences += 1
                    self.stats.words += len(sent)
                    yield sent
            return
        assert self.sentences is not None
        for i, sent in enumerate(self.sentences):
            if isinstance(sent, str):
                words = (self.tokenizer or str.split)(sent)
            elif isinstance(sent, list | tuple):
                words = list(sent)
            else:
                raise CorpusError(
                    f"sentence {i} is a {type(sent).__name__}, expected a list of words"
                )
            if not words:
                continue
            for part in self._split(words):
                self.stats.sentences += 1
                self.stats.words += len(part)
                yield part


def as_corpus(source: Any, **kwargs: Any) -> Corpus:
    """``source`` as a Corpus (None means the built-in corpus)."""
    if isinstance(source, Corpus):
        return source
    if source is None:
        source = builtin_corpus_path()
    return Corpus(source, **kwargs)


def word_counts(source: Any = None, **kwargs: Any) -> dict[str, int]:
    """How often each word occurs in ``source`` (a corpus as :func:`as_corpus` takes it; None:
    the built-in corpus), split as training splits it: real frequencies for SIF text vectors
    of vectors that carry none (GloVe's words counted in the built-in corpus)."""
    from collections import Counter

    counter: Counter[str] = Counter()
    for sentence in as_corpus(source, **kwargs):
        counter.update(sentence)
    if not counter:
        raise CorpusError(f"the corpus {source!r} holds no words to count")
    return dict(counter)
