"""Corpora for training: text files (plain or compressed), folders, or iterables of tokens.

A corpus yields sentences as lists of words. Files hold one sentence per line, words separated
by whitespace; a very long line (text8 is one 100 MB line) is read in blocks and cut into
sentences of at most ``max_sentence_length`` words, and the cut is counted, not hidden.
"""

from __future__ import annotations

import array
import bz2
import gzip
import io
import itertools
import lzma
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from tokenvec._native import memory as _memory
from tokenvec.io.files import builtin_corpus_path, open_input
from tokenvec.tokenizers import WordTokenizer
from tokenvec.word2vec.arrayfile import ArrayFile
from tokenvec.word2vec.config import CorpusError

BLOCK_CHARS = 1 << 20


@dataclass
class CorpusStats:
    """What reading the corpus found; ``split_sentences`` counts over-long lines that were cut."""

    sentences: int = 0
    words: int = 0
    split_sentences: int = 0


@dataclass
class Scan:
    """A file corpus read once, as training needs it: its distinct words in first-seen order
    (``index``: word -> position), every word of the corpus as such a position (``ids``), and
    the bounds of the sentences that iterating the corpus yields (``starts``). Counting and
    encoding then work on arrays, and the file is not read twice."""

    index: dict[str, int]
    ids: np.ndarray | ArrayFile  # (words,) int32; past SPILL_WORDS words, in a temporary file
    starts: np.ndarray  # (sentences + 1,) int64
    stats: CorpusStats

    def counts(self) -> np.ndarray:
        """How often each distinct word occurs, in first-seen order (counted a slice at a
        time: ``bincount`` widens its input to 8 bytes a word)."""
        counts = np.zeros(len(self.index), np.int64)
        step = 1 << 20
        for at in range(0, self.ids.size, step):
            part = read_ids(self.ids, at, min(at + step, self.ids.size))
            counts += np.bincount(part, minlength=counts.size)
        return counts


def read_ids(ids: np.ndarray | ArrayFile, start: int, stop: int) -> np.ndarray:
    """``ids[start:stop]`` of an array (a view) or of an array file (read)."""
    return ids[start:stop] if isinstance(ids, np.ndarray) else ids.read(start, stop)


# Marks the end of a line in a block's tokens; a NUL never reaches here (such files are refused).
_EOL = "\x00"
_SLICE = 1 << 16


class _Scanner:
    """Builds a :class:`Scan` block by block: a block's words are split by one ``str.split``
    and mapped to first-seen positions by one C-level ``map`` over a ``defaultdict``, instead
    of a Python call per line and per word. The plain reference of :class:`_CompiledScanner`,
    which files are scanned with. Past ``SPILL_WORDS`` words the ids go on in an unnamed
    temporary file (:mod:`tokenvec.word2vec.arrayfile`), not in memory."""

    SPILL_WORDS = 1 << 23  # 32 MB of ids

    def __init__(self, max_sentence_length: int) -> None:
        self.m = max_sentence_length
        self.index: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        self.index[_EOL] = -1  # the line mark (set, not counted: words are 0, 1, ...)
        self.ids = array.array("i")
        self.file: ArrayFile | None = None
        self.lengths = array.array("q")
        self.stats = CorpusStats()

    def lines(self, text: str) -> None:
        """Add the lines of ``text`` (complete lines, ``\\n``-separated): one sentence a
        line, lines longer than the limit cut (and counted), empty ones left out."""
        for ids in self._line_ids(text):
            self._add_lines(ids)

    def _add_lines(self, ids: np.ndarray) -> None:
        """Add lines given as their words' positions, each line followed by a -1."""
        ends = np.flatnonzero(ids < 0)
        lengths = np.diff(ends, prepend=-1) - 1
        self._add(ids[ids >= 0], lengths[lengths > 0], cut_counts=True)

    def _line_ids(self, text: str) -> Iterator[np.ndarray]:
        """The positions of the words of ``text`` with a -1 after each line, in slices of
        whole lines of about ``_SLICE`` characters, so the word strings and their positions
        made along the way stay a few MB."""
        at = 0
        while at <= len(text):
            end = text.find("\n", at + _SLICE)
            end = len(text) if end < 0 else end
            yield self._ids(text[at:end].replace("\n", " " + _EOL + " ") + " " + _EOL)
            at = end + 1

    def piece(self, text: str) -> None:
        """Add the head of a line too long to hold (cut at a block boundary): counted as a cut
        line, its words in sentences of at most the limit."""
        self._add_piece(self._ids(text))

    def _add_piece(self, ids: np.ndarray) -> None:
        self.stats.split_sentences += 1
        self._add(ids, np.array([ids.size] if ids.size else [], np.int64), cut_counts=False)

    def _ids(self, text: str) -> np.ndarray:
        """The first-seen positions of the words of ``text`` (new words get the next one)."""
        return np.array(list(map(self.index.__getitem__, text.split())), np.int32)

    def _add(self, ids: np.ndarray, lengths: np.ndarray, cut_counts: bool) -> None:
        m = self.m
        long = lengths > m
        if long.any():
            if cut_counts:
                self.stats.split_sentences += int(long.sum())
            parts = [
                np.full(n // m, m, np.int64).tolist() + ([n % m] if n % m else []) if n > m else [n]
                for n in lengths.tolist()
            ]
            lengths = np.array([x for part in parts for x in part], np.int64)
        self._keep(ids.astype(np.int32, copy=False))
        self.lengths.frombytes(lengths.astype(np.int64, copy=False).tobytes())
        self.stats.sentences += lengths.size
        self.stats.words += ids.size

    def _keep(self, ids: np.ndarray) -> None:
        """Append the ids: to memory, or to the file once there are too many."""
        if self.file is not None:
            self.file.append(ids)
            return
        self.ids.frombytes(ids.tobytes())
        if len(self.ids) > self.SPILL_WORDS:
            self.file = ArrayFile(np.int32)
            self.file.append(np.frombuffer(self.ids, np.int32))
            self.ids = array.array("i")

    def result(self) -> Scan:
        index = self.index
        del index[_EOL]
        index.default_factory = None  # a plain mapping now: a missing word is a KeyError
        return self._scan(index)

    def _scan(self, index: dict[str, int]) -> Scan:
        ids = np.frombuffer(self.ids, np.int32) if self.file is None else self.file
        starts = np.concatenate([[0], np.cumsum(np.frombuffer(self.lengths, np.int64))])
        return Scan(index, ids, starts.astype(np.int64), self.stats)


# The whitespace str.split splits at beyond ASCII's (the compiled scanner splits bytes at
# ASCII whitespace only; these become spaces first). A test checks the set against
# str.isspace over every code point.
UNICODE_SPACES = "\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_UNICODE_SPACE = re.compile(f"[{UNICODE_SPACES}]")


class _CompiledScanner(_Scanner):
    """:class:`_Scanner` with the words of a block split and mapped in one compiled pass over
    its UTF-8 bytes (:mod:`tokenvec.word2vec._words_numba`), GIL released: 0.15 s against
    0.58 s on the built-in corpus, and the trainer's kernel loads in another thread meanwhile.

    With ``workers`` > 1 the blocks go ``workers`` at a time: each thread looks its block's
    words up in the table as it stands (read only, so at once), then the words not yet known
    get their positions block by block, in order, as one thread would have given them (the
    same result; a few words a block once the common ones are known)."""

    TABLE = 1 << 16  # initial sizes (the tests start them small, to exercise growth); the
    # table's is rounded up to a power of two, as the kernel's slot arithmetic needs
    WORDS = 1 << 15
    ARENA = 1 << 18

    def __init__(self, max_sentence_length: int, workers: int = 1) -> None:
        super().__init__(max_sentence_length)
        self.workers = max(1, workers)
        self.pending: list[tuple[bool, np.ndarray]] = []  # (lines?, the block's bytes)
        self.inflight: list[tuple[bool, np.ndarray, np.ndarray, Future[tuple[int, int]]]] = []
        self.pool: ThreadPoolExecutor | None = None
        self.table = np.full(1 << max(2, (self.TABLE - 1).bit_length()), -1, np.int32)
        self.word_starts = np.empty(self.WORDS, np.int64)
        self.word_lens = np.empty(self.WORDS, np.int32)
        self.hashes = np.empty(self.WORDS, np.uint64)
        self.arena = np.empty(self.ARENA, np.uint8)
        self.state = np.zeros(3, np.int64)  # arena bytes used, words known, ids written

    def lines(self, text: str) -> None:
        if self.workers == 1:
            super().lines(text)
        else:
            self._queue(True, text)

    def piece(self, text: str) -> None:
        if self.workers == 1:
            super().piece(text)
        else:
            self._queue(False, text)

    def _line_ids(self, text: str) -> Iterator[np.ndarray]:
        yield self._map(text, eol=True)

    def _ids(self, text: str) -> np.ndarray:
        return self._map(text, eol=False)

    @staticmethod
    def _bytes(text: str) -> np.ndarray:
        if not text.isascii():  # (a flag of the str: free)
            text = _UNICODE_SPACE.sub(" ", text)
        return np.frombuffer(text.encode("utf-8"), np.uint8)

    def _queue(self, eol: bool, text: str) -> None:
        self.pending.append((eol, self._bytes(text)))
        if len(self.pending) == self.workers:
            self._flush()

    def _flush(self) -> None:
        """Complete the blocks being looked up, start looking up the pending ones, then add
        the completed ones' words (the caller reads on meanwhile)."""
        done = self._complete()
        if self.pending:
            from tokenvec.word2vec import _words_numba as k

            if self.pool is None:
                self.pool = ThreadPoolExecutor(self.workers, thread_name_prefix="tokenvec-scan")
            blocks, self.pending = self.pending, []
            for eol, buf in blocks:
                ids = np.empty(buf.size + 1, np.int32)
                job = self.pool.submit(k.look_up_words, buf, eol, ids, *self._known())
                self.inflight.append((eol, buf, ids, job))
        for eol, ids in done:
            if eol:
                self._add_lines(ids)
            else:
                self._add_piece(ids)

    def _complete(self) -> list[tuple[bool, np.ndarray]]:
        """Wait for the blocks being looked up and give their new words positions, block by
        block in order: [(lines?, the positions)]."""
        from tokenvec.word2vec import _words_numba as k

        done = []
        inflight, self.inflight = self.inflight, []
        for eol, buf, ids, job in inflight:
            n, missing = job.result()
            at = 0
            while missing and at < n:
                table, starts, lens, hashes, arena = self._known()
                at, how = k.add_missing(buf, ids, at, n, table, starts, lens, hashes, arena,
                                        self.state)  # fmt: skip
                if how == k.GROW_TABLE:
                    self._grow_words()
                elif how == k.GROW_ARENA:
                    self.arena = _grown(self.arena, 2 * self.arena.size + buf.size)
            if eol:
                ids[n] = -1
                n += 1
            done.append((eol, ids[:n]))
        return done

    def _known(self) -> tuple[np.ndarray, ...]:
        """The table and the known words' arrays, as the kernels take them."""
        return self.table, self.word_starts, self.word_lens, self.hashes, self.arena

    def close(self) -> None:
        """Stop the scanning threads (they hold nothing else)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None

    def _map(self, text: str, eol: bool) -> np.ndarray:
        from tokenvec.word2vec import _words_numba as k

        buf = self._bytes(text)
        # Every word and every newline takes a byte at least; one more for the last mark.
        ids = np.empty(buf.size + 1, np.int32)
        self.state[2] = 0
        pos = 0
        while True:
            pos, how = k.map_words(buf, pos, buf.size, eol, ids, self.table, self.word_starts,
                                   self.word_lens, self.hashes, self.arena, self.state)  # fmt: skip
            if how == k.DONE:
                break
            if how == k.GROW_TABLE:
                self._grow_words()
            else:
                used = int(self.state[0])
                self.arena = _grown(self.arena, max(2 * self.arena.size, used + buf.size - pos))
        n = int(self.state[2])
        if eol:
            ids[n] = -1
            n += 1
        return ids[:n]

    def _grow_words(self) -> None:
        from tokenvec.word2vec import _words_numba as k

        known = int(self.state[1])
        if known >= self.word_starts.size:
            size = 2 * self.word_starts.size
            self.word_starts = _grown(self.word_starts, size)
            self.word_lens = _grown(self.word_lens, size)
            self.hashes = _grown(self.hashes, size)
        if 2 * (known + 1) > self.table.size:
            self.table = np.full(2 * self.table.size, -1, np.int32)
            k.rehash(self.table, self.hashes, known)

    def result(self) -> Scan:
        while self.pending or self.inflight:
            self._flush()
        self.close()
        known, used = int(self.state[1]), int(self.state[0])
        data = self.arena[:used].tobytes()
        bounds = zip(self.word_starts[:known].tolist(), self.word_lens[:known].tolist(),
                     strict=True)  # fmt: skip
        text = data.decode("utf-8")
        if len(text) == used:  # all ASCII: byte offsets are character offsets
            words = [text[s : s + n] for s, n in bounds]
        else:
            words = [data[s : s + n].decode("utf-8") for s, n in bounds]
        return self._scan(dict(zip(words, range(known), strict=True)))


def _grown(a: np.ndarray, size: int) -> np.ndarray:
    out = np.empty(size, a.dtype)
    out[: a.size] = a
    return out


def _open_text(path: Path) -> IO[str]:
    """The corpus file as text, opened through :func:`open_input`: a pipe or FIFO is read
    once, and a FIFO without a writer is an error after a while, not a hang."""
    suffix = path.suffix.lower()
    opener: Any = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".lzma": lzma.open}.get(
        suffix
    )
    raw = open_input(path)
    if opener is not None:
        return opener(raw, "rt", encoding="utf-8", errors="strict", newline=None)  # type: ignore[no-any-return]
    return io.TextIOWrapper(raw, encoding="utf-8", errors="strict", newline=None)


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
        self._scan: Scan | None = None

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

    def _blocks(self, path: Path) -> Iterator[tuple[str, str]]:
        """The file as ("lines", text of complete lines), ("piece", head of a line too long to
        hold, cut at its last space) and ("last", the final line without a newline), in order;
        read in blocks, so a 100 MB line never sits in memory whole."""
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
                            yield "last", pending
                        return
                    text = pending + block
                    cut = text.rfind("\n")
                    body, pending = (text[:cut], text[cut + 1 :]) if cut >= 0 else ("", text)
                    if len(pending) > BLOCK_CHARS:
                        # A huge line: cut at the last whitespace, keep the tail for later.
                        at = max(pending.rfind(" "), 0)
                        head, pending = pending[:at], pending[at:]
                        if cut >= 0:
                            yield "lines", body
                        yield "piece", head
                    elif cut >= 0:
                        yield "lines", body
        except UnicodeDecodeError as exc:
            raise CorpusError(
                f"corpus file {path} is not UTF-8 text (byte {exc.start}: {exc.reason})"
            ) from None
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise CorpusError(f"cannot read corpus file {path}: {exc}") from None

    def _read_file(self, path: Path) -> Iterator[list[str]]:
        split = self.tokenizer or str.split
        m = self.max_sentence_length
        for kind, text in self._blocks(path):
            if kind == "piece":
                words = split(text)
                self.stats.split_sentences += 1
                for i in range(0, len(words), m):
                    yield words[i : i + m]
                continue
            for line in text.split("\n") if kind == "lines" else [text]:
                words = split(line)
                if words:
                    yield from self._split(words)

    def scan(self, workers: int = 1) -> Scan | None:
        """The corpus read once into arrays (see :class:`Scan`), for files split at whitespace
        (the default), with ``workers`` threads; None for other corpora (iterables, custom
        tokenizers), which are iterated instead. The result is kept until
        :meth:`forget_scan`."""
        if self.paths is None or self.tokenizer is not None:
            return None
        if self._scan is None:
            scanner = _CompiledScanner(self.max_sentence_length, workers)
            try:
                for path in self.paths:
                    for kind, text in self._blocks(path):
                        if kind == "piece":
                            scanner.piece(text)
                        else:
                            scanner.lines(text)
                self._scan = scanner.result()
            finally:
                scanner.close()
            self.stats = self._scan.stats
            del scanner
            _memory.release_freed()  # the blocks' temporaries: freed, but kept by the C heap
        return self._scan

    def forget_scan(self) -> None:
        """Drop the kept scan (its ids are 4 bytes a word of the corpus)."""
        self._scan = None

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
