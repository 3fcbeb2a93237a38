"""Text to token ids: GPT-2's byte-level BPE (exact, offline) and word-level vocabularies.

Both follow one small protocol, :class:`Tokenizer`, so embeddings, datasets and the playground
accept either. GPT-2's BPE is tiktoken (the fast reference implementation) built from GPT-2's
own ``encoder.json`` and ``vocab.bpe``, shipped in ``tokenvec/assets/gpt2`` (MIT, OpenAI) and
pinned by the same sha256 digests tiktoken pins.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from tokenvec.io.files import ASSETS

GPT2_DIR = ASSETS / "gpt2"
GPT2_SHA256 = {
    "encoder.json": "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
    "vocab.bpe": "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
}
ENDOFTEXT = "<|endoftext|>"
# GPT-2's pre-tokenizer (tiktoken's r50k pattern).
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

MAX_TOKENIZER_BYTES = 256 * 2**20  # a vocabulary of millions of words fits


# Unicode White_Space, the \s of GPT-2's (Rust) regex; Python's \s also holds \x1c-\x1f.
_WS = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Where a non-space meets a space, every pattern of GPT-2's pre-tokenizer ends a pre-token (none
# holds a non-space followed by a space), so text cut there tokenises exactly as it does whole.
_BOUNDARY = re.compile(f"(?<=[^{_WS}])(?=[{_WS}])")
# A whitespace run is one pre-token, and tiktoken fails on runs near 10^6 characters (a Rust
# panic), so long runs are cut into blocks of about RUN_BLOCK characters, only where the ids
# stay those of the whole run: BPE merges neighbours, so if no GPT-2 token holds the two bytes
# on either side of a place, no merge crosses it and both sides tokenise alone exactly as in
# the run. In a run of one repeated character (every pair joinable, e.g. "\n\n") equal-rank
# pairs merge from the left, so the tokens align with the run's start: there a cut falls at a
# multiple of RUN_BLOCK from the start (the tests check both against whole runs).
RUN_BLOCK = 4096
_LONG_RUN = re.compile(f"[{_WS}]{{{RUN_BLOCK + 1},}}")
_SEARCH_BACK = 512  # how far before a block end to look for a place no token crosses


@cache
def _joinable() -> Any:
    """(256, 256) bool: byte pairs that occur next to each other inside some GPT-2 token."""
    import numpy as np

    enc = gpt2()._enc
    table = np.zeros((256, 256), dtype=bool)
    for i in range(enc.n_vocab):
        b = enc.decode_single_token_bytes(i)
        if len(b) > 1:
            arr = np.frombuffer(b, np.uint8)
            table[arr[:-1], arr[1:]] = True
    return table


def _run_cuts(text: str) -> list[int]:
    """Places inside long whitespace runs where GPT-2's ids do not change, about RUN_BLOCK apart."""
    cuts: list[int] = []
    for m in _LONG_RUN.finditer(text):
        start, end = m.span()
        target = start + RUN_BLOCK
        while target < end - 1:
            p = _safe_cut(text, start, target, end)
            if p is None:
                break  # no proven place: the rest of the run stays whole
            cuts.append(p)
            target = p + RUN_BLOCK
    return cuts


def _safe_cut(text: str, start: int, target: int, end: int) -> int | None:
    table = _joinable()
    for p in range(target, max(start, target - _SEARCH_BACK), -1):
        left = text[p - 1].encode("utf-8", "surrogatepass")[-1]
        right = text[p].encode("utf-8", "surrogatepass")[0]
        if not table[left, right]:
            return p
    # One repeated character from the run's start to past the place: left-aligned merges.
    stop = min(end, target + 64)
    c = text[start]
    if (target - start) % RUN_BLOCK == 0 and text.count(c, start, stop) == stop - start:
        return target
    return None


def split_text(text: str, max_chars: int) -> list[str]:
    """Cut ``text`` into pieces of at most about ``max_chars`` characters at places where GPT-2
    tokenisation is unchanged (a non-space followed by a space, or every RUN_BLOCK characters
    inside a long whitespace run); a piece with no such place stays whole.

    >>> split_text("aa bb\\ncc", 4)
    ['aa', ' bb', '\\ncc']
    """
    runs = _run_cuts(text) if len(text) > RUN_BLOCK else []
    pieces: list[str] = []
    start = 0
    while len(text) - start > max_chars:
        hi = start + max_chars
        cut = None
        for m in _BOUNDARY.finditer(text, start + 1, hi + 1):
            cut = m.start()
        j = bisect.bisect_right(runs, hi)
        if j and runs[j - 1] > start and (cut is None or runs[j - 1] > cut):
            cut = runs[j - 1]
        if cut is None:  # no place within max_chars: take the next one after it
            after = _BOUNDARY.search(text, hi + 1)
            later = [after.start()] if after else []
            later += runs[j : j + 1]
            if not later:
                break
            cut = min(later)
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


def _guard(fn: Any, text: Any) -> Any:
    """Call tiktoken; a Rust panic (a BaseException) or a regex limit becomes a ValueError."""
    try:
        return fn(text)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except ValueError:
        raise
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        raise ValueError(
            f"the tokenizer failed on a text of {len(text):,} characters "
            f"({type(exc).__name__}: {reason})"
        ) from None


@runtime_checkable
class Tokenizer(Protocol):
    """What every tokenizer offers, and all that embeddings, datasets and the playground use."""

    @property
    def vocab_size(self) -> int: ...

    @property
    def eot_token(self) -> int | None:
        """The end-of-text id, or None when the vocabulary has none."""
        ...

    def encode(self, text: str) -> list[int]: ...

    def encode_ordinary(self, text: str) -> list[int]:
        """Ids of ``text`` with special-token text encoded as ordinary text."""
        ...

    def decode(self, ids: Sequence[int]) -> str: ...

    def id_to_token(self, i: int) -> str: ...

    def token_text(self, i: int) -> str:
        """The token's own text, as it appears in decoded text."""
        ...

    def token_to_id(self, token: str) -> int: ...


def _encode_bytes(encoding: Any, data: bytes) -> list[int]:
    """tiktoken's byte-level encoding of raw bytes: its only entry point is private
    (``Encoding._encode_bytes``), so it is used here alone; a test pins its behaviour."""
    raw_encoder = getattr(encoding, "_encode_bytes", None)
    if raw_encoder is None:  # a tiktoken without it: only valid UTF-8 can be encoded
        return list(encoding.encode_ordinary(data.decode("utf-8")))
    return list(raw_encoder(data))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from bytes to printable characters (space -> 'Ġ')."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += range(ord("®"), ord("ÿ") + 1)
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


class GPT2BPE:
    """GPT-2's tokenizer: byte-level BPE, 50,257 tokens, ``<|endoftext|>`` = 50256.

    >>> tok = gpt2()
    >>> tok.encode("Hello, world!")
    [15496, 11, 995, 0]
    >>> tok.decode([15496, 11, 995, 0])
    'Hello, world!'
    """

    def __init__(self, encoding: Any) -> None:
        self._enc = encoding
        self._special_ids = {encoding.encode_single_token(s) for s in encoding.special_tokens_set}
        self._byte_map = _bytes_to_unicode()
        self._str_to_id: dict[str, int] | None = None

    @property
    def name(self) -> str:
        return "gpt2"

    @property
    def vocab_size(self) -> int:
        return int(self._enc.n_vocab)

    @property
    def eot_token(self) -> int:
        return int(self._enc.eot_token)

    def encode(
        self,
        text: str,
        *,
        allowed_special: Literal["all"] | Collection[str] = frozenset(),
    ) -> list[int]:
        """Token ids of ``text``.

        Special-token text such as ``<|endoftext|>`` in user input is refused unless listed in
        ``allowed_special`` (tiktoken's policy: user text must not inject control tokens).
        Lone surrogates, which no UTF-8 text can hold, become U+FFFD.
        """
        if not isinstance(text, str):
            raise TypeError(f"encode expects str, got {type(text).__name__} (use encode_bytes)")
        try:
            return self._pieces(
                text,
                lambda t: self._enc.encode(
                    t, allowed_special=allowed_special, disallowed_special="all"
                ),
            )
        except ValueError as exc:
            if "disallowed special token" not in str(exc):
                raise
            found = next(s for s in self._enc.special_tokens_set if s in text)
            raise ValueError(
                f"the text contains the special token {found!r}; pass "
                f"allowed_special={{{found!r}}} to encode it as a special token"
            ) from None

    def encode_ordinary(self, text: str) -> list[int]:
        """Ids of ``text`` with special-token text encoded as ordinary text."""
        return self._pieces(text, self._enc.encode_ordinary)

    def encode_batch(self, texts: Sequence[str], *, num_threads: int = 8) -> list[list[int]]:
        """Ids of many texts, encoded in parallel threads by tiktoken."""
        texts = list(texts)
        if any(len(t) > RUN_BLOCK and _LONG_RUN.search(t) for t in texts):
            return [self.encode_ordinary(t) for t in texts]
        return _guard(
            lambda ts: self._enc.encode_ordinary_batch(ts, num_threads=num_threads), texts
        )

    @staticmethod
    def _pieces(text: str, encode: Any) -> list[int]:
        """``encode`` over the text, cut inside long whitespace runs (same ids, see RUN_BLOCK)."""
        cuts = _run_cuts(text) if len(text) > RUN_BLOCK else []
        if not cuts:
            return _guard(encode, text)
        ids: list[int] = []
        for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True):
            ids.extend(_guard(encode, text[a:b]))
        return ids

    def encode_bytes(self, data: bytes) -> list[int]:
        """Ids of raw bytes, valid UTF-8 or not: byte-level BPE covers every byte."""
        return _encode_bytes(self._enc, data)

    def decode(self, ids: Sequence[int], *, errors: str = "replace") -> str:
        """Text of ``ids``; bytes that do not form UTF-8 become U+FFFD (``errors``)."""
        self._check_ids(ids)
        return self._enc.decode(list(ids), errors=errors)

    def decode_bytes(self, ids: Sequence[int]) -> bytes:
        """The exact bytes of ``ids`` (inverse of :meth:`encode_bytes`)."""
        self._check_ids(ids)
        return self._enc.decode_bytes(list(ids))

    def _check_ids(self, ids: Sequence[int]) -> None:
        n = self.vocab_size
        for pos, i in enumerate(ids):
            if not 0 <= int(i) < n:
                raise IndexError(f"token id {i} at position {pos} is outside GPT-2's 0..{n - 1}")

    def id_to_token(self, i: int) -> str:
        """The token as GPT-2's vocabulary writes it: bytes mapped to printable characters
        (``'Ġthe'`` is " the")."""
        self._check_ids([i])
        raw = self._enc.decode_single_token_bytes(int(i))
        if int(i) in self._special_ids:
            return raw.decode("utf-8")
        return "".join(self._byte_map[b] for b in raw)

    def token_text(self, i: int) -> str:
        """The token's own text (``' the'``); partial UTF-8 sequences show as U+FFFD."""
        self._check_ids([i])
        return self._enc.decode_single_token_bytes(int(i)).decode("utf-8", "replace")

    def token_to_id(self, token: str) -> int:
        """Inverse of :meth:`id_to_token`."""
        if self._str_to_id is None:
            self._str_to_id = {self.id_to_token(i): i for i in range(self.vocab_size)}
        try:
            return self._str_to_id[token]
        except KeyError:
            raise KeyError(f"{token!r} is not a GPT-2 token (tokens look like 'Ġthe')") from None

    def __repr__(self) -> str:
        return f"GPT2BPE(vocab_size={self.vocab_size})"


@cache
def _gpt2_cached(encoder_json: str, vocab_bpe: str) -> GPT2BPE:
    import tiktoken  # a core dependency, imported on first use only
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks

    for path, name in ((Path(encoder_json), "encoder.json"), (Path(vocab_bpe), "vocab.bpe")):
        if not path.is_file():
            raise FileNotFoundError(f"GPT-2 file {name} not found at {path}")
        digest = _sha256(path)
        if digest != GPT2_SHA256[name]:
            raise ValueError(
                f"{path} is not GPT-2's {name}: sha256 {digest[:16]}..., expected "
                f"{GPT2_SHA256[name][:16]}...; refusing a tokenizer that would not be GPT-2's"
            )
    ranks = data_gym_to_mergeable_bpe_ranks(
        vocab_bpe_file=vocab_bpe, encoder_json_file=encoder_json
    )
    enc = tiktoken.Encoding(
        name="gpt2",
        explicit_n_vocab=50257,
        pat_str=GPT2_PATTERN,
        mergeable_ranks=ranks,
        special_tokens={ENDOFTEXT: 50256},
    )
    return GPT2BPE(enc)


def gpt2(
    encoder_json: str | os.PathLike[str] | None = None,
    vocab_bpe: str | os.PathLike[str] | None = None,
) -> GPT2BPE:
    """GPT-2's tokenizer from the shipped files (or given ones, which must match the hashes)."""
    return _gpt2_cached(
        str(encoder_json or GPT2_DIR / "encoder.json"), str(vocab_bpe or GPT2_DIR / "vocab.bpe")
    )


# --- word level -------------------------------------------------------------------------------

DEFAULT_WORD_PATTERN = r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]"


class WordLevel:
    """A word-level tokenizer: a regex split and a vocabulary built from a corpus.

    >>> tok = WordLevel.train(["the cat sat", "the dog sat"], min_count=2)
    >>> tok.encode("the bird sat")
    [1, 0, 2]
    >>> tok.decode(tok.encode("the bird sat"))
    'the <unk> sat'
    """

    def __init__(
        self,
        vocab: Sequence[str],
        *,
        unk_token: str = "<unk>",
        special_tokens: Sequence[str] = (),
        pattern: str = DEFAULT_WORD_PATTERN,
        lowercase: bool = True,
    ) -> None:
        self.vocab = list(vocab)
        if len(set(self.vocab)) != len(self.vocab):
            dup = next(t for i, t in enumerate(self.vocab) if t in self.vocab[:i])
            raise ValueError(f"duplicate token {dup!r} in the vocabulary")
        if unk_token not in self.vocab:
            raise ValueError(f"the unknown token {unk_token!r} must be in the vocabulary")
        self.unk_token = unk_token
        self.special_tokens = list(special_tokens)
        self.pattern = pattern
        self.lowercase = lowercase
        self._index = {t: i for i, t in enumerate(self.vocab)}
        self._regex = re.compile(pattern)
        self._special = (
            re.compile("(" + "|".join(re.escape(s) for s in self.special_tokens) + ")")
            if self.special_tokens
            else None
        )

    @classmethod
    def train(
        cls,
        texts: Iterable[str],
        *,
        min_count: int = 1,
        max_size: int | None = None,
        unk_token: str = "<unk>",
        special_tokens: Sequence[str] = (),
        pattern: str = DEFAULT_WORD_PATTERN,
        lowercase: bool = True,
    ) -> WordLevel:
        """Count words of ``texts``; ids: <unk>, special tokens, then words by frequency."""
        regex = re.compile(pattern)
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(regex.findall(text.lower() if lowercase else text))
        reserved = [unk_token, *special_tokens]
        words = [w for w, c in counts.most_common() if c >= min_count and w not in reserved]
        if max_size is not None:
            if max_size <= len(reserved):
                raise ValueError(f"max_size {max_size} leaves no room beyond {reserved}")
            words = words[: max_size - len(reserved)]
        return cls(
            reserved + words,
            unk_token=unk_token,
            special_tokens=special_tokens,
            pattern=pattern,
            lowercase=lowercase,
        )

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def unk_id(self) -> int:
        return self._index[self.unk_token]

    @property
    def eot_token(self) -> int | None:
        """The id of ``<|endoftext|>`` when it is one of the special tokens, else None."""
        return self._index.get(ENDOFTEXT) if ENDOFTEXT in self.special_tokens else None

    def _words(self, text: str) -> list[str]:
        return self._regex.findall(text.lower() if self.lowercase else text)

    def encode(self, text: str) -> list[int]:
        """Ids of the words of ``text``; unknown words get the id of ``unk_token``."""
        if not isinstance(text, str):
            raise TypeError(f"encode expects str, got {type(text).__name__}")
        parts = self._special.split(text) if self._special else [text]
        ids: list[int] = []
        unk = self.unk_id
        for part in parts:
            if part in self.special_tokens:
                ids.append(self._index[part])
            else:
                ids.extend(self._index.get(w, unk) for w in self._words(part))
        return ids

    def encode_ordinary(self, text: str) -> list[int]:
        """Ids of the words of ``text``, special-token text split as ordinary words."""
        if not isinstance(text, str):
            raise TypeError(f"encode expects str, got {type(text).__name__}")
        unk = self.unk_id
        return [self._index.get(w, unk) for w in self._words(text)]

    def token_text(self, i: int) -> str:
        """The token itself (word-level tokens are their own text)."""
        return self.id_to_token(i)

    def decode(self, ids: Sequence[int]) -> str:
        """Tokens joined by spaces (the split loses the original spacing)."""
        return " ".join(self.id_to_token(i) for i in ids)

    def id_to_token(self, i: int) -> str:
        if not 0 <= int(i) < len(self.vocab):
            raise IndexError(f"token id {i} is outside the vocabulary 0..{len(self.vocab) - 1}")
        return self.vocab[int(i)]

    def token_to_id(self, token: str) -> int:
        try:
            return self._index[token]
        except KeyError:
            raise KeyError(f"{token!r} is not in the vocabulary") from None

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the tokenizer as plain JSON, atomically (replacing a file: ``overwrite``)."""
        from tokenvec.io.files import atomic_path

        target = Path(path)
        data = {
            "type": "tokenvec-wordlevel",
            "version": 1,
            "unk_token": self.unk_token,
            "special_tokens": self.special_tokens,
            "pattern": self.pattern,
            "lowercase": self.lowercase,
            "vocab": self.vocab,
        }
        with atomic_path(target, overwrite=overwrite) as tmp:
            tmp.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> WordLevel:
        """Read a tokenizer written by :meth:`save`."""
        from tokenvec.io.files import read_bounded

        try:
            data = json.loads(read_bounded(path, MAX_TOKENIZER_BYTES, "a tokenizer").decode())
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"{path}: not a tokenizer JSON file ({exc})") from None
        if not isinstance(data, dict) or data.get("type") != "tokenvec-wordlevel":
            raise ValueError(f"{path}: not a tokenvec word-level tokenizer")
        return cls(
            data["vocab"],
            unk_token=data["unk_token"],
            special_tokens=data["special_tokens"],
            pattern=data["pattern"],
            lowercase=data["lowercase"],
        )

    def __repr__(self) -> str:
        return f"WordLevel(vocab_size={self.vocab_size})"


def check_fits(tokenizer: Tokenizer, embedding: Any) -> None:
    """Raise if ``embedding`` has fewer rows than ``tokenizer`` has ids."""
    rows = getattr(embedding, "num_embeddings", None)
    if rows is not None and rows < tokenizer.vocab_size:
        raise ValueError(
            f"the tokenizer has {tokenizer.vocab_size:,} ids but the embedding only {rows:,} "
            f"rows: build the embedding with num_embeddings >= {tokenizer.vocab_size:,}"
        )


# The word splitter of the word2vec corpus reader and of text pooling, in the spirit of
# gensim's simple_preprocess: lowercase words and numbers, an apostrophe kept inside a word.
DEFAULT_PATTERN = r"[a-z0-9]+(?:'[a-z]+)?"


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
