"""Vector file formats: word2vec binary and text, GloVe, fastText .vec, native folders.

Readers return plain parts (:class:`Parts`: keys, matrix, where they came from); only
:mod:`tokenvec.vectors.base` builds a ``Vectors`` from them, so this module sits below it.

Formats:

- ``word2vec``: binary, header ``N dim`` then ``word<space><dim float32>`` rows (GoogleNews).
- ``word2vec-text``: text with the ``N dim`` header; fastText's ``.vec`` is this format
  (``fasttext`` is an alias).
- ``glove``: text rows ``word v1 ... vdim`` without header.
- ``native``: a folder holding ``vectors.npy`` (opened memory-mapped), ``keys.bin`` (UTF-8
  keys, each ended by a newline, with ``key_offsets.npy`` saying where each starts, so any
  string round-trips), ``meta.json`` and optionally ``ann.faiss``. No pickle anywhere.

Readers stream in chunks (memory stays near the size of the matrix), accept .gz/.bz2/.xz, and
turn every malformed input into a ``VectorFormatError`` naming the file, row and problem.
Writers are atomic: they write a temporary sibling and rename it over the target.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import json
import lzma
import os
import queue
import re
import stat
import threading
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, Protocol

import numpy as np

from tokenvec._checks import all_finite
from tokenvec._native import memory as _memory
from tokenvec.io import fasttext_bin as fasttext
from tokenvec.io import scan as _scan
from tokenvec.io.files import (
    SEP,
    Errors,
    FolderKind,
    VectorFormatError,
    atomic_path,
    decode_keys,
    decode_words,
    encode_keys,
    is_stream,
    open_compressed,
    open_stream,
    read_rest,
    split_clean_blob,
)
from tokenvec.io.scan import BAD_VALUE, BAD_WORD, MAX_WORD_BYTES, WORD_TOO_LONG, scan_binary

Format = Literal["word2vec", "word2vec-text", "fasttext", "glove", "native", "fasttext-bin"]
FORMATS = ("word2vec", "word2vec-text", "fasttext", "glove", "native", "fasttext-bin")
NATIVE_META = "meta.json"
NATIVE_FORMAT = "tokenvec-vectors"
KEY_OFFSETS = "key_offsets.npy"
# Files a native folder may carry beside its matrix, for its vocabulary and storage kinds
# static token vectors keep their tokenizer and the token-id -> row map beside the matrix.
NATIVE_EXTRAS = frozenset(
    {"tokenizer.json", "token_rows.npy", "counts.npy", "norms.npy", "codebook.npy",
     "ngrams.npy", "ngrams.norms.npy", "ngrams.codebook.npy", "ngram_prune.npy"}
)  # fmt: skip
# What vectors.npy holds for each stored form (tokenvec.vectors.storage) a folder may name.
STORED_DTYPES: dict[str, tuple[Any, ...]] = {
    "dense": (np.float16, np.float32),
    "int8": (np.int8,),
    "pq": (np.uint8,),
    "rq": (np.uint8,),
}
# Folders written before vocabularies and storages were named apart had one "kind".
LEGACY_KINDS = {"int8": ("keys", "int8"), "pq": ("keys", "pq"), "rq": ("keys", "rq"),
                "static": ("static", "dense")}  # fmt: skip
NATIVE_KIND = FolderKind(
    NATIVE_META,
    NATIVE_FORMAT,
    frozenset({NATIVE_META, "vectors.npy", "keys.bin", KEY_OFFSETS, "ann.faiss", *NATIVE_EXTRAS}),
)
CHUNK_BYTES = 8 * 2**20
HEAD_BYTES = 64 * 1024  # what format detection looks at
STREAM_CHUNK_BYTES = 2**20
SPOOL_BYTES = 16 * 2**20  # a pipe this short is read whole first, then parsed as a file
MAX_LINE_BYTES = 64 * 2**20  # a 1M-dimension row of text; longer means it is not text rows
MAX_META_BYTES = 2**20
PLAUSIBLE_MAX = 1e15  # no embedding holds larger values; binary garbage often does
_HEADER = re.compile(rb"^\s*(\d+)\s+(\d+)\s*$")
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# A number as text: what float() reads, without the underscores it also allows.
_NUMBER = re.compile(
    rb"^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|nan|inf|infinity)$", re.IGNORECASE
)


@dataclass
class Parts:
    """What a reader found: keys, their (N, dim) matrix, and where they came from."""

    keys: list[str]
    matrix: np.ndarray  # (N, C) float32, or float16 / memory-mapped for native folders
    path: Path
    format: str
    ann: Path | None = None  # a native folder's approximate index, if it has one
    unique_keys: bool = False  # the writer checked that no key repeats (native folders)
    meta: dict[str, Any] = field(default_factory=dict)  # a native folder's meta.json
    counts: np.ndarray | None = None  # how often each key occurred in training (native)
    # The keys as stored (native, version 2: tokenvec.io.files.encode_keys; word2vec binary:
    # each followed by SEP), when every key is exactly its stored bytes decoded.
    key_blob: tuple[bytes, np.ndarray] | None = None
    # The first row holding NaN (-1: the reader checked every value finite); None: unchecked.
    nan_row: int | None = None
    model: Any = None  # a fastText model read from a stream (it cannot be opened again)


class Saveable(Protocol):
    """An index that can write itself (``tokenvec.vectors.ann.AnnIndex``)."""

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path: ...


# --- helpers -----------------------------------------------------------------------------------

_open = open_compressed


def _check_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    if p.is_dir() and not (p / NATIVE_META).is_file():
        raise IsADirectoryError(
            f"{p} is a folder without {NATIVE_META} or safetensors weights; expected a "
            f"vectors file, a folder tokenvec wrote (Vectors.save, tokenvec convert or "
            f"train) or a Hugging Face model folder"
        )
    return p


def _parse_header(line: bytes, where: str) -> tuple[int, int] | None:
    """``(N, dim)`` from a header line, None if it is not one; errors for absurd numbers."""
    m = _HEADER.match(line)
    if not m:
        return None
    if len(m.group(1)) > 12 or len(m.group(2)) > 9:
        raise VectorFormatError(
            f"{where}: the header {line.strip()[:60]!r} claims an impossible size"
        )
    n, dim = int(m.group(1)), int(m.group(2))
    if dim <= 0:
        raise VectorFormatError(f"{where}: header says dim {dim}; it must be positive")
    return n, dim


def _numbers_share(fields: list[bytes]) -> float:
    """Share of ``fields`` that are numbers as text."""
    if not fields:
        return 0.0
    return sum(1 for x in fields if _NUMBER.match(x)) / len(fields)


def detect_format(path: str | os.PathLike[str]) -> str:
    """Guess the format of a vectors file from its content.

    A header line ``N dim`` means word2vec: text if what follows the first word reads as
    numbers in text (even with a typo or bytes that are not UTF-8), binary otherwise. Without
    a header, rows of a word and numbers mean GloVe.
    """
    p = _check_path(path)
    if p.is_dir():
        return "native"
    if is_stream(p):
        head, f = open_stream(p, HEAD_BYTES)
        f.close()
        return _detect(head, p)
    try:
        with _open(p) as f:
            head = f.read(HEAD_BYTES)
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
        raise VectorFormatError(f"{p}: cannot read ({exc})") from None
    return _detect(head, p)


def _detect(head: bytes, p: Path) -> str:
    """The format of a file whose first bytes are ``head`` (see :func:`detect_format`)."""
    where = str(p)
    if not head.strip():
        raise VectorFormatError(f"{p}: the file is empty")
    if fasttext.is_fasttext_bin(head):
        return "fasttext-bin"
    first, _, rest = head.partition(b"\n")
    header = _parse_header(first, where)
    if header:
        # Text if the first row reads as a word and dim numbers, allowing a typo or bytes that
        # are not UTF-8; dim float32s in binary almost never do.
        dim = header[1]
        body = rest.lstrip(b"\r\n")  # blank lines between header and rows are skipped
        line, newline, _ = body.partition(b"\n")
        fields = line.split()
        if newline and len(fields) >= dim + 1:
            if _numbers_share(fields[len(fields) - dim :]) >= 0.9:
                return "word2vec-text"
        elif not newline and len(fields) > 2 and _numbers_share(fields[1:-1]) >= 0.9:
            return "word2vec-text"  # a row longer than the sample read
        return "word2vec"
    first = next((ln for ln in head.split(b"\n") if ln.strip()), b"")  # blank lines may lead
    fields = first.split()
    if len(fields) < 2 or _numbers_share(fields[1:]) < 0.9:
        raise VectorFormatError(
            f"{p}: not a vectors file (no 'N dim' header and the first line is not a word "
            f"followed by numbers)"
        )
    return "glove"


# --- readers -----------------------------------------------------------------------------------


def _read_header(f: IO[bytes], where: str) -> tuple[int, int]:
    line = f.readline(4096)
    header = _parse_header(line, where)
    if header is None:
        raise VectorFormatError(f"{where}: expected a header line 'N dim', got {line[:80]!r}")
    return header


def _file_size(f: IO[bytes]) -> int | None:
    """Bytes left to read in an uncompressed file; None when it cannot be known."""
    if isinstance(f, gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile):
        return None
    raw = getattr(f, "raw", f)
    if isinstance(raw, io.BytesIO):  # a short pipe, read whole
        return len(raw.getbuffer()) - f.tell()
    try:
        st = os.fstat(f.fileno())
    except (OSError, AttributeError, io.UnsupportedOperation):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return st.st_size - f.tell()


def _is_pipe(f: IO[bytes]) -> bool:
    """Whether ``f`` reads a pipe, FIFO or device (not a file, nor a compressed file)."""
    if isinstance(f, gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile):
        return False
    try:
        return not stat.S_ISREG(os.fstat(f.fileno()).st_mode)
    except (OSError, AttributeError, io.UnsupportedOperation):
        return False


@dataclass
class _Binary:
    """What the word2vec binary reader found beyond keys and matrix."""

    nan_row: int  # the first row holding a NaN, or -1: every value was checked finite
    key_blob: tuple[bytes, np.ndarray] | None  # the words' bytes (each followed by SEP) and
    # the n + 1 offsets where each starts, when the keys are exactly their UTF-8 decoding


def _read_word2vec_binary(
    f: IO[bytes], where: str, limit: int | None, errors: Errors
) -> tuple[list[str], np.ndarray, _Binary]:
    n, dim = _read_header(f, where)
    want = n if limit is None else min(n, limit)
    row_bytes = dim * 4
    if want == 0:
        raise VectorFormatError(f"{where}: the header says the file holds 0 vectors")
    # Memory follows the file, never the header: a header is checked against the file size,
    # and where the size is unknown (compressed) the output grows as rows arrive.
    left = _file_size(f)
    if left is not None and want * (row_bytes + 2) > left:
        raise VectorFormatError(
            f"{where}: truncated: the header says {n} rows of {dim} values (at least "
            f"{want * (row_bytes + 2):,} bytes) but only {left:,} bytes follow it"
        )
    # A pipe is read in smaller chunks (it gives 64 KiB a read): a short piped input then
    # costs a few MiB, not a compressed file's buffers.
    chunk_bytes = STREAM_CHUNK_BYTES if _is_pipe(f) else CHUNK_BYTES
    cap = want if left is not None else min(want, max(1024, chunk_bytes // row_bytes))
    _memory.check_fits(cap * row_bytes, where)
    # Mapping a large output costs a system call of ~0.5 s a GB (the GIL released) and the
    # scanner's first load in a process (numba's import and cache) as long again: side by side.
    warm = None
    if cap * row_bytes >= _memory.POPULATE_MIN_BYTES:
        warm = threading.Thread(target=_warm_scanner, daemon=True)
        warm.start()
    out = _memory.empty((cap, row_bytes), dtype=np.uint8)
    if warm is not None:
        warm.join()
    # Two reusable buffers with room in front for the unread tail of the previous chunk; for
    # a large plain file a thread reads the next chunk while this one is scanned and its words
    # decoded (readinto and the scanner release the GIL).
    size = max(chunk_bytes, 4 * (row_bytes + MAX_WORD_BYTES + 2))
    if left is not None:
        size = min(size, left + 1)  # a small file gets small buffers
    head = row_bytes + MAX_WORD_BYTES + 2  # the longest tail: one incomplete row
    chunks = _Chunks(f, size, head, ahead=warm is not None and left is not None)
    blob = np.empty(head + size + 1, dtype=np.uint8)
    ends = np.empty((head + size) // (row_bytes + 2) + 1, dtype=np.int64)  # rows a chunk holds
    blobs: list[bytes] = []
    lengths: list[np.ndarray] = []
    keys_so_far: list[str] | None = []  # decoded chunk by chunk while all words are clean
    tail = np.empty(0, dtype=np.uint8)
    row = 0
    nan_row = -1
    try:
        while row < want:
            buf, got = chunks.next(tail)
            if row == cap:  # compressed input: grow (memory follows what was read)
                cap = min(want, cap * 2)
                _memory.check_fits(cap * row_bytes, where)
                grown = np.empty((cap, row_bytes), dtype=np.uint8)
                grown[:row] = out[:row]
                out = grown
            rows, used, blen, status, nan = scan_binary(
                buf, min(cap - row, len(ends)), row_bytes, out[row:], blob, ends,
                MAX_WORD_BYTES, PLAUSIBLE_MAX,
            )  # fmt: skip
            if status in (WORD_TOO_LONG, BAD_WORD, BAD_VALUE):
                raise _scan_error(status, where, row + rows, buf[used : used + 40],
                                  out[row + rows], used)  # fmt: skip
            if nan_row < 0 and nan >= 0:
                nan_row = row + nan
            part = blob[:blen].tobytes()
            blobs.append(part)
            if keys_so_far is not None:
                clean = split_clean_blob(part, rows)
                if clean is None:
                    keys_so_far = None
                else:
                    keys_so_far.extend(clean)
            e = ends[:rows]
            lengths.append(e - np.concatenate([[0], e[:-1] + 1]) if rows else e)
            row += rows
            tail = buf[used:]
            if tail.shape[0] > head:  # blank lines before a row (the scanner skips them too)
                text = np.flatnonzero((tail != 10) & (tail != 13))
                tail = tail[text[0] :] if text.size else tail[:0]
            tail = tail.copy()
            chunks.done(buf)
            if not got and row < want:
                raise VectorFormatError(
                    f"{where}: truncated: the header says {n} rows of {dim} values but the "
                    f"file ends after {row} complete rows"
                )
        more = chunks.rest(tail, 1) if limit is None else b""  # trailing data is an error
    finally:
        chunks.close()
    if limit is None and more.strip(b"\n\r\t "):
        raise VectorFormatError(
            f"{where}: the header says {n} rows but the file holds more data after them; "
            f"pass limit={n} to read only the first {n}"
        )
    keys, key_blob = _binary_keys(blobs, lengths, keys_so_far, want, errors, where)
    mat = out[:want].view("<f4").reshape(want, dim).astype(np.float32, copy=False)
    return keys, mat, _Binary(nan_row, key_blob)


def _scan_error(status: int, where: str, row: int, near: np.ndarray, out_row: np.ndarray,
                used: int) -> VectorFormatError:  # fmt: skip
    """The error for a row the binary scanner stopped at (0-based ``row``)."""
    if status == WORD_TOO_LONG:
        return VectorFormatError(
            f"{where}: row {row + 1}: no space within {MAX_WORD_BYTES} bytes; "
            f"the file is not word2vec binary or is corrupt"
        )
    if status == BAD_WORD:
        word = bytes(near).split(b" ", 1)[0]
        return VectorFormatError(
            f"{where}: row {row + 1}: the word {word!r} is empty or holds "
            f"control bytes; the file is not word2vec binary (rows 'word<space><dim "
            f"float32>') or is corrupt"
        )
    value = out_row.view("<f4")[used]
    return VectorFormatError(
        f"{where}: row {row + 1}, value {used + 1} is {value:.3g}; no "
        f"embedding holds such values: the file is not word2vec binary or is corrupt"
    )


def _binary_keys(blobs: list[bytes], lengths: list[np.ndarray], clean: list[str] | None,
                 want: int, errors: Errors, where: str,
                 ) -> tuple[list[str], tuple[bytes, np.ndarray] | None]:  # fmt: skip
    """The keys of a binary file's rows (and their blob, when each key is exactly its stored
    bytes): ``clean`` when every chunk decoded as is, else decoded word by word."""
    joined = b"".join(blobs)
    lens = np.concatenate(lengths)
    bounds = np.zeros(want + 1, dtype=np.int64)
    np.cumsum(lens + 1, out=bounds[1:])
    # The blob is the words with a 0xFF after each: one decode and one split a chunk when all
    # are clean.
    if clean is not None:  # each key is exactly its stored bytes: lookups may hash the bytes
        return clean, (joined, bounds)
    words = [joined[a : a + k] for a, k in zip(bounds[:-1].tolist(), lens.tolist(), strict=True)]
    return decode_words(words, errors, where), None


class _Chunks:
    """A file read into two reusable buffers, each chunk preceded by the unread tail of the
    previous one (at most ``head`` bytes). With ``ahead``, a thread reads the next chunk while
    the caller works on this one; chunks come in file order either way."""

    def __init__(self, f: IO[bytes], size: int, head: int, *, ahead: bool) -> None:
        self._f = f
        self._head = head
        self._bufs = [np.empty(head + size, dtype=np.uint8) for _ in range(2)]
        self._turn = 0
        self._ended = False  # the end of the file (or a read error) was handed out
        self._free: queue.SimpleQueue[np.ndarray | None] = queue.SimpleQueue()
        self._filled: queue.SimpleQueue[tuple[np.ndarray, int | BaseException]] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        if ahead:
            for b in self._bufs:
                self._free.put(b)
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def _read(self, b: np.ndarray) -> int:
        view = memoryview(b)[self._head :]  # type: ignore[arg-type]  # an ndarray is a buffer
        return self._f.readinto(view) or 0  # type: ignore[attr-defined]

    def _run(self) -> None:
        # Reads until the end of the file, an error, or a None in place of a free buffer.
        while True:
            b = self._free.get()
            if b is None:
                return
            try:
                got: int | BaseException = self._read(b)
            except BaseException as exc:  # handed to the caller, raised there
                got = exc
            self._filled.put((b, got))
            if not isinstance(got, int) or not got:
                return

    def _take(self) -> tuple[np.ndarray, int]:
        if self._thread is None:
            b = self._bufs[self._turn]
            self._turn ^= 1
            got: int | BaseException = self._read(b)
        else:
            b, got = self._filled.get()
        if isinstance(got, BaseException):
            self._ended = True
            raise got
        self._ended = not got
        return b, got

    def next(self, tail: np.ndarray) -> tuple[np.ndarray, int]:
        """``tail`` followed by the next chunk, and how many new bytes that chunk holds (0 at
        the end of the file)."""
        b, got = self._take()
        at = self._head - tail.shape[0]
        b[at : self._head] = tail
        return b[at : self._head + got], got

    def done(self, chunk: np.ndarray) -> None:
        """The caller is done with ``chunk`` (a view :meth:`next` returned): read into it."""
        if self._thread is not None and not self._ended:
            base = chunk.base if chunk.base is not None else chunk
            self._free.put(next(b for b in self._bufs if b is base))

    def rest(self, tail: np.ndarray, n: int) -> bytes:
        """``tail`` and at least ``n`` of the bytes that follow it in the file, where it has
        them (call with every chunk given back by :meth:`done`)."""
        out = [tail.tobytes()]
        have = 0
        while have < n and not self._ended:
            b, got = self._take()
            out.append(b[self._head : self._head + got].tobytes())
            have += got
            if self._thread is not None and not self._ended:
                self._free.put(b)
        return b"".join(out)

    def close(self) -> None:
        """Stop the reading thread (after the read it is in, if any)."""
        if self._thread is not None:
            self._free.put(None)
            self._thread.join()


def _warm_scanner() -> None:
    with contextlib.suppress(Exception):  # the reader's own call reports any failure
        _scan.warm_binary()


def _text_chunks(f: IO[bytes], where: str) -> Iterator[list[bytes]]:
    """Lists of complete lines, about CHUNK_BYTES at a time; a line may not exceed
    MAX_LINE_BYTES (so a file without newlines cannot exhaust memory)."""
    tail = b""
    # A pipe gives at most 64 KiB a read: a smaller request costs no speed and keeps a short
    # piped input from costing a whole chunk's buffer.
    chunk = STREAM_CHUNK_BYTES if _is_pipe(f) else CHUNK_BYTES
    while True:
        block = f.read(chunk)
        if not block:
            if tail:
                yield [tail]
            return
        data = tail + block
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            if len(data) > MAX_LINE_BYTES:
                raise VectorFormatError(
                    f"{where}: a line longer than {MAX_LINE_BYTES:,} bytes; not a text vectors file"
                )
            tail = data
            continue
        tail = data[cut:]
        yield data[:cut].split(b"\n")[:-1]


_WS = np.zeros(256, dtype=bool)
_WS[np.frombuffer(b" \t\r\x0b\x0c\n", np.uint8)] = True


def _field_counts(lines: list[bytes]) -> np.ndarray:
    """Whitespace-separated fields of each line, counted with array operations: (lines,)."""
    joined = b"\n".join(lines) + b"\n"
    arr = np.frombuffer(joined, np.uint8)
    ws = _WS[arr]
    starts = ~ws
    starts[1:] &= ws[:-1]  # a field starts where a non-space follows a space or newline
    line_starts = np.concatenate([[0], np.flatnonzero(arr == 10)[:-1] + 1])
    return np.add.reduceat(starts.astype(np.int32), line_starts)


_OTHER_WS = (b"\t", b"\r", b"\x0b", b"\x0c")


def _single_space_counts(lines: list[bytes], dim: int | None) -> np.ndarray | None:
    """:func:`_field_counts` for the common layout, fields separated by single spaces: one
    C-level count a line instead of array passes over every byte (5x faster); None where the
    chunk holds other whitespace, a double space (its line has fewer fields than spaces + 1,
    and must be reported as short exactly as the general count reports it) or a line with
    another number of spaces.
    """
    spaces = [ln.count(b" ") for ln in lines]
    first = dim if dim is not None else spaces[0]
    if spaces.count(first) != len(spaces):
        return None
    joined = b"\n".join(lines)
    if b"  " in joined or any(w in joined for w in _OTHER_WS):
        return None
    return np.full(len(lines), first + 1, dtype=np.int64)


def _parse_text_chunk(
    lines: list[bytes], dim: int | None, first_line: int, where: str
) -> tuple[list[bytes], np.ndarray, int | None, np.ndarray]:
    """Parse 'word v1 .. vdim' lines; return words, (n, dim) float32, dim (None until a row
    sets it), line numbers. Row lengths are checked before anything of dim's size is made."""
    stripped = [ln.strip() for ln in lines]
    keep = [i for i, ln in enumerate(stripped) if ln]
    lines = stripped if len(keep) == len(stripped) else [stripped[i] for i in keep]
    line_nos = np.asarray(keep, dtype=np.int64) + first_line
    if not lines:
        return [], np.zeros((0, dim or 0), np.float32), dim, line_nos
    counts = _single_space_counts(lines, dim)
    if counts is None:
        counts = _field_counts(lines)
    if any(b"\r" in ln for ln in lines):  # stripped lines: a \r left is inside a row
        i = next(i for i, ln in enumerate(lines) if b"\r" in ln)
        raise VectorFormatError(
            f"{where}: line {line_nos[i]} holds a carriage return inside the row "
            f"(a broken line break?)"
        )
    if dim is None:
        dim = int(counts[0]) - 1
        if dim <= 0:
            raise VectorFormatError(f"{where}: line {line_nos[0]}: a word with no numbers")
    short = np.flatnonzero(counts < dim + 1)
    if short.size:  # before any allocation: a header may claim a huge dim
        i = int(short[0])
        raise VectorFormatError(
            f"{where}: line {line_nos[i]} has {int(counts[i]) - 1} values, expected {dim}"
        )
    regular = counts == dim + 1
    rows = np.empty((len(lines), dim), np.float32)
    words: list[bytes] = []
    if regular.all():
        parts = [ln.split(None, 1) for ln in lines]
        words = [p[0] for p in parts]
        values = _fromstring(b" ".join(p[1] for p in parts))
        if values is not None and values.size == len(lines) * dim:
            return words, values.reshape(len(lines), dim), dim, line_nos
    # Slow path: rows of another length (words with spaces, or errors) or a bad number.
    words = []
    for i, ln in enumerate(lines):
        fields = ln.split()
        where_line = f"{where}: line {line_nos[i]}"
        if len(fields) < dim + 1:
            raise VectorFormatError(f"{where_line} has {len(fields) - 1} values, expected {dim}")
        for x in fields[len(fields) - dim :]:
            if not _NUMBER.match(x):
                raise VectorFormatError(f"{where_line}: {x[:40]!r} is not a number")
        rows[i] = np.array([float(x) for x in fields[len(fields) - dim :]], dtype=np.float32)
        if len(fields) > dim + 1:
            extra = fields[1 : len(fields) - dim]
            if all(_NUMBER.match(x) for x in extra):
                raise VectorFormatError(
                    f"{where_line} has {len(fields) - 1} values, expected {dim}"
                )
            words.append(b" ".join(fields[: len(fields) - dim]))  # a word with spaces
            continue
        words.append(fields[0])
    return words, rows, dim, line_nos


def _fromstring(data: bytes) -> np.ndarray | None:
    """Numbers separated by whitespace, or None if any token is not a number."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            return np.fromstring(data, dtype=np.float32, sep=" ")
        except (DeprecationWarning, ValueError):
            return None


def _read_text(
    f: IO[bytes], where: str, limit: int | None, errors: Errors, header: bool
) -> tuple[list[str], np.ndarray]:
    n: int | None = None
    dim: int | None = None
    if header:
        n, dim = _read_header(f, where)
    # Without a limit every row is read, so a header that disagrees with the rows is caught.
    want = limit
    words: list[bytes] = []
    mats: list[np.ndarray] = []
    line_nos: list[np.ndarray] = []
    line = 2 if header else 1
    for lines in _text_chunks(f, where):
        if want is not None and len(words) + len(lines) > want:
            lines = lines[: want - len(words) + sum(1 for ln in lines if not ln.strip())]
        w, m, dim, nos = _parse_text_chunk(lines, dim, line, where)
        if want is not None and len(words) + len(w) > want:
            w, m, nos = w[: want - len(words)], m[: want - len(words)], nos[: want - len(words)]
        if w:
            words.extend(w)
            mats.append(m)
            line_nos.append(nos)
        line += len(lines)
        if want is not None and len(words) >= want:
            break
    if not words:
        raise VectorFormatError(f"{where}: no vectors in the file")
    if header and limit is None and n is not None and len(words) != n:
        raise VectorFormatError(f"{where}: the header says {n} rows but the file has {len(words)}")
    keys = decode_words(words, errors, where, np.concatenate(line_nos))
    return keys, np.concatenate(mats) if len(mats) > 1 else mats[0]


def _read_meta(p: Path) -> dict[str, Any]:
    path = p / NATIVE_META
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_META_BYTES + 1)
        if len(raw) > MAX_META_BYTES:
            raise ValueError(f"larger than {MAX_META_BYTES} bytes")
        meta = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise VectorFormatError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != NATIVE_FORMAT:
        raise VectorFormatError(f"{path} does not describe tokenvec vectors")
    for name in ("count", "dim"):
        v = meta.get(name)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise VectorFormatError(f"{path}: {name!r} must be a non-negative integer, got {v!r}")
    if meta.get("version") not in (1, 2):
        raise VectorFormatError(f"{path}: unknown version {meta.get('version')!r}")
    meta["vocab"], meta["storage"] = _kinds(meta, path)
    return meta


def _kinds(meta: dict[str, Any], path: Path) -> tuple[str, str]:
    """(vocabulary kind, storage kind) a native folder's meta.json names: "vocab" and
    "storage", or the one "kind" of older folders."""
    if "kind" in meta and "vocab" not in meta and "storage" not in meta:
        kind = meta["kind"]
        if kind is None:
            return "keys", "dense"
        if not isinstance(kind, str) or kind not in LEGACY_KINDS:
            known = ", ".join(sorted(LEGACY_KINDS))
            raise VectorFormatError(f"{path}: unknown kind of vectors {kind!r} (known: {known})")
        return LEGACY_KINDS[kind]
    vocab, storage = meta.get("vocab", "keys"), meta.get("storage", "dense")
    if not isinstance(storage, str) or storage not in STORED_DTYPES:
        known = ", ".join(sorted(STORED_DTYPES))
        raise VectorFormatError(
            f"{path}: unknown kind of vectors storage {storage!r} (known: {known})"
        )
    if not isinstance(vocab, str):
        raise VectorFormatError(f"{path}: unknown kind of vectors vocabulary {vocab!r}")
    return vocab, storage


def _native_keys(p: Path, meta: dict[str, Any]) -> tuple[list[str], tuple[bytes, Any] | None]:
    """The keys of a native folder, and their blob and offsets (version 2 folders)."""
    n = meta["count"]
    keys_path = p / "keys.bin"
    stored = None
    try:
        blob = keys_path.read_bytes()
        if meta["version"] == 1:  # 0xFF-separated UTF-8 (files of tokenvec 0.1)
            keys = decode_words(blob.split(SEP)[:-1], "strict", str(keys_path))
            if not blob.endswith(SEP) and n:
                raise ValueError("the last key is not terminated")
        else:
            offsets = native_array(p, KEY_OFFSETS, "iu", (n + 1,))
            keys = decode_keys(blob, offsets, str(keys_path))
            stored = (blob, offsets)
    except VectorFormatError:
        raise
    except (OSError, ValueError, EOFError) as exc:
        raise VectorFormatError(f"{keys_path}: cannot read the keys ({exc})") from None
    if len(keys) != n:
        raise VectorFormatError(f"{p}: keys.bin holds {len(keys)} keys for {n} vectors")
    return keys, stored


def load_npy(path: Path) -> np.ndarray:
    """A .npy file opened memory-mapped (so a header claiming more than the file holds fails
    before any allocation); any malformed header is a VectorFormatError naming the file."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
        # numpy reads the header length it is told before checking it: check it first.
        if head[:6] == b"\x93NUMPY" and len(head) >= 10:
            wide = head[6] >= 2
            length = int.from_bytes(head[8:12] if wide else head[8:10], "little")
            if length > min(path.stat().st_size, 2**16):
                raise ValueError(f"the header claims {length:,} bytes")
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except Exception as exc:  # ValueError, EOFError, SyntaxError, tokenize.TokenError, ...
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        raise VectorFormatError(f"{path}: cannot read ({type(exc).__name__}: {reason})") from None


_KIND_NAMES = {"f": "floating-point", "i": "signed integer", "u": "unsigned integer"}


def native_array(
    folder: Path,
    name: str,
    kinds: str,
    shape: tuple[int | None, ...],
    *,
    itemsize: tuple[int, ...] = (2, 4, 8),
) -> np.ndarray:
    """The array ``name`` of a native folder, read into memory after its header was checked:
    present, of a dtype kind in ``kinds`` ("f" float, "i" signed, "u" unsigned) and size in
    ``itemsize`` (either byte order), and of ``shape`` (None: any length on that axis). Any
    other array is a VectorFormatError naming the file."""
    path = folder / name
    if not path.is_file():
        raise VectorFormatError(f"{folder}: {name} is missing; the folder is incomplete")
    a = load_npy(path)
    ok_shape = a.ndim == len(shape) and all(
        w is None or w == h for w, h in zip(shape, a.shape, strict=True)
    )
    if a.dtype.kind not in kinds or a.dtype.itemsize not in itemsize:
        want = " or ".join(_KIND_NAMES[k] for k in kinds)
        raise VectorFormatError(f"{path}: dtype {a.dtype}; expected {want} numbers")
    if not ok_shape:
        want_shape = " x ".join("N" if w is None else str(w) for w in shape) or "a scalar"
        raise VectorFormatError(f"{path}: shape {a.shape}; expected {want_shape}")
    # Into memory (a small array, read once), in this machine's byte order.
    return np.array(a, dtype=a.dtype.newbyteorder("="))


def _read_native(p: Path, limit: int | None, mmap: bool) -> Parts:
    meta = _read_meta(p)
    npy = p / "vectors.npy"
    mat = load_npy(npy)
    n = meta["count"]
    if mat.ndim != 2 or mat.shape != (n, meta["dim"]):
        raise VectorFormatError(
            f"{p}: vectors.npy has shape {mat.shape}, {NATIVE_META} says {n} x {meta['dim']}"
        )
    want = STORED_DTYPES[meta["storage"]]  # floats, or codes (tokenvec.vectors.storage)
    if mat.dtype not in want or not mat.dtype.isnative:
        names = " or ".join(np.dtype(t).name for t in want)
        raise VectorFormatError(f"{npy}: dtype {mat.dtype}; expected {names}")
    keys, stored = _native_keys(p, meta)
    if limit is not None:
        keys, mat, stored = keys[:limit], mat[:limit], None
    if not mmap:
        mat = np.array(mat)  # read into memory (the shape was checked against the file)
    ann = p / "ann.faiss"
    # Written by tokenvec, which checked the keys: the load need not hash them all again (a
    # folder edited by hand can only lose the duplicate warning: lookups still take the first).
    unique = meta.get("unique_keys") is True
    # Likewise the writer checked every value finite: a memory-mapped open need not read them
    # all (a float16 table of 1M x 300: 0.4 s). A vectors.npy replaced by hand after the
    # save is not checked at open.
    finite = meta.get("finite") is True and mat.dtype.kind == "f"
    ann_path = ann if ann.is_file() and limit is None else None
    counts = None
    if (p / "counts.npy").is_file():
        counts = native_array(p, "counts.npy", "fiu", (n,))
        counts = counts[:limit] if limit is not None else counts
    return Parts(keys, mat, p, "native", ann_path, unique, meta, counts, stored,
                 nan_row=-1 if finite else None)  # fmt: skip


def read(
    path: str | os.PathLike[str],
    format: Format | None = None,
    *,
    limit: int | None = None,
    encoding_errors: Errors = "strict",
    mmap: bool = True,
) -> Parts:
    """Read the keys and matrix of a vectors file or native folder (format detected from
    content when not given). Every malformed input raises :class:`VectorFormatError` naming
    the file; :func:`tokenvec.load_vectors` builds ``Vectors`` from what this returns.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "v.txt"
    >>> _ = p.write_text("king 1 0\\nqueen 0.9 0.1\\n")
    >>> read(p).keys
    ['king', 'queen']
    """
    p = _check_path(path)
    if format is not None and format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    if encoding_errors not in ("strict", "replace", "ignore"):
        raise ValueError(
            f"encoding_errors must be 'strict', 'replace' or 'ignore', got {encoding_errors!r}"
        )
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0):
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    if is_stream(p):
        return _read_stream(p, format, limit, encoding_errors)
    fmt = format or detect_format(p)
    if fmt == "native":
        if not p.is_dir():
            raise VectorFormatError(f"{p}: the native format is a folder")
        return _read_native(p, limit, mmap)
    if p.is_dir():
        raise IsADirectoryError(f"{p} is a folder; format {fmt!r} is a single file")
    if fmt == "fasttext-bin":
        model = fasttext.read_fasttext(p, encoding_errors=encoding_errors)
        from tokenvec.io import fasttext_rows as _subword

        mat = _subword.word_matrix(model)
        n = len(model.words) if limit is None else min(limit, len(model.words))
        return Parts(model.words[:n], mat[:n], p, fmt)
    try:
        with _open(p) as f:
            return _read_open(f, p, fmt, limit, encoding_errors)
    except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
        raise VectorFormatError(f"{p}: cannot read ({exc})") from None


def _read_open(f: IO[bytes], p: Path, fmt: str, limit: int | None, errors: Errors) -> Parts:
    """Read the rows of a word2vec, word2vec-text or GloVe file open at its first byte."""
    where = str(p)
    if fmt == "word2vec":
        keys, mat, found = _read_word2vec_binary(f, where, limit, errors)
        return Parts(keys, mat, p, fmt, key_blob=found.key_blob, nan_row=found.nan_row)
    keys, mat = _read_text(f, where, limit, errors, header=fmt != "glove")
    return Parts(keys, mat, p, fmt)


def _read_stream(p: Path, format: str | None, limit: int | None, errors: Errors) -> Parts:
    """Read a pipe, FIFO or device once: detect the format from its first bytes, then read on
    from those same bytes (opening it again would lose them: a pipe gives each byte once)."""
    try:
        head, f = open_stream(p, SPOOL_BYTES)
    except OSError as exc:
        raise VectorFormatError(f"{p}: cannot read ({exc})") from None
    whole = len(head) < SPOOL_BYTES
    if whole:  # the whole stream: read as a file of known size
        f.close()
        f = io.BytesIO(head)  # type: ignore[assignment]
    with f:
        try:
            fmt = format or _detect(head[:HEAD_BYTES], p)
            if fmt == "native":
                raise VectorFormatError(f"{p}: the native format is a folder, not a stream")
            if fmt == "fasttext-bin":
                from tokenvec.io import fasttext_rows as _subword

                fasttext.check_arguments(head, str(p))  # before reading all of an endless stream
                rest = b"" if whole else read_rest(f, str(p), len(head))
                data = np.frombuffer(head + rest, dtype=np.uint8)
                model = fasttext.read_fasttext(p, encoding_errors=errors, data=data)
                mat = _subword.word_matrix(model)
                n = len(model.words) if limit is None else min(limit, len(model.words))
                return Parts(model.words[:n], mat[:n], p, fmt, model=model)
            return _read_open(f, p, fmt, limit, errors)
        except (EOFError, OSError) as exc:
            raise VectorFormatError(f"{p}: cannot read ({exc})") from None


# --- writers -----------------------------------------------------------------------------------


def _encode_keys(keys: list[str]) -> list[bytes]:
    out = []
    for i, k in enumerate(keys):
        try:
            b = k.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"key {i} ({k!r}) cannot be written as UTF-8") from None
        out.append(b)
    return out


def _check_text_keys(keys: list[bytes], fmt: str) -> None:
    for i, k in enumerate(keys):
        if not k or b" " in k or _CONTROL.search(k):
            raise ValueError(
                f"key {i} ({k.decode('utf-8', 'replace')!r}) is empty or contains whitespace or "
                f"control characters; {fmt} files cannot hold it (use format='native')"
            )


def write(
    keys: list[str],
    matrix: np.ndarray,
    path: str | os.PathLike[str],
    format: Format = "native",
    *,
    precision: int = 9,
    overwrite: bool = False,
    ann: Saveable | None = None,
    meta: dict[str, Any] | None = None,
    files: dict[str, Any] | None = None,
) -> Path:
    """Write ``keys`` and their ``matrix`` to ``path`` atomically in ``format``; returns the
    path. A native folder also holds ``ann`` (an approximate index) when given, ``meta``
    (entries added to its meta.json) and ``files`` (name -> bytes, names from
    ``NATIVE_EXTRAS``): what a kind of vectors keeps beside its matrix.

    Text formats write ``precision`` significant digits (9 round-trips float32 exactly). An
    existing target is replaced only with ``overwrite=True``, and a folder only when it holds
    native vectors written by tokenvec: a save never removes anything it did not write.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    target = Path(path)
    mat = np.asarray(matrix)
    if (meta or files) and format != "native":
        raise ValueError(f"meta and files are kept only by the native format, not {format}")
    if format == "native":
        unknown = sorted(set(files or ()) - NATIVE_EXTRAS)
        if unknown:
            raise ValueError(f"a native folder cannot hold {unknown[0]!r}")
        blob, offsets = encode_keys(keys)
        with atomic_path(target, overwrite=overwrite, kind=NATIVE_KIND) as tmp:
            np.save(tmp / "vectors.npy", np.ascontiguousarray(mat), allow_pickle=False)
            (tmp / "keys.bin").write_bytes(blob)
            np.save(tmp / KEY_OFFSETS, np.asarray(offsets, dtype=np.int64), allow_pickle=False)
            record = {
                **(meta or {}),
                "format": NATIVE_FORMAT,
                "version": 2,
                "count": len(keys),
                "dim": int(mat.shape[1]),
                "dtype": str(mat.dtype),
                "unique_keys": len(set(keys)) == len(keys),
            }
            if mat.dtype.kind == "f":  # so that an open need not scan the matrix again
                record["finite"] = all_finite(mat)
            (tmp / NATIVE_META).write_text(json.dumps(record, indent=1), "utf-8")
            for name, data in (files or {}).items():
                if isinstance(data, np.ndarray):  # a large array: written, not copied first
                    np.save(tmp / name, np.ascontiguousarray(data), allow_pickle=False)
                else:
                    (tmp / name).write_bytes(data)
            if ann is not None:
                ann.save(tmp / "ann.faiss")
        return target
    raw = _encode_keys(keys)
    _check_text_keys(raw, format)
    if format == "fasttext-bin":
        # A table without n-grams (bucket 0, maxn 0): fastText reads it as word vectors.
        dim = int(mat.shape[1])
        model = fasttext.FastTextModel.from_words(
            fasttext.FastTextArgs(dim=dim, bucket=0, minn=0, maxn=0), list(keys), raw,
            counts=np.ones(len(raw), dtype=np.int64),
            input=np.ascontiguousarray(mat, dtype=np.float32),
            output=np.zeros((len(raw), dim), np.float32), ntokens=len(raw), prune=None,
        )  # fmt: skip
        return fasttext.write_fasttext(model, target, overwrite=overwrite)
    if format == "word2vec":
        f32 = np.ascontiguousarray(mat, dtype="<f4")
        with atomic_path(target, overwrite=overwrite) as tmp, open(tmp, "wb") as f:
            f.write(f"{len(raw)} {mat.shape[1]}\n".encode())
            step = 100_000
            for lo in range(0, len(raw), step):
                f.write(
                    b"".join(
                        k + b" " + f32[i].tobytes() + b"\n"
                        for i, k in enumerate(raw[lo : lo + step], start=lo)
                    )
                )
        return target
    fmt_row = " ".join([f"%.{precision}g"] * mat.shape[1])
    with atomic_path(target, overwrite=overwrite) as tmp, open(tmp, "wb") as f:
        if format != "glove":
            f.write(f"{len(raw)} {mat.shape[1]}\n".encode())
        step = 20_000
        for lo in range(0, len(raw), step):
            block = mat[lo : lo + step].astype(np.float64)
            buf = io.BytesIO()
            np.savetxt(buf, block, fmt=fmt_row)
            lines = buf.getvalue().split(b"\n")
            f.write(
                b"".join(
                    k + b" " + ln + b"\n" for k, ln in zip(raw[lo : lo + step], lines, strict=False)
                )
            )
    return target


def describe(path: str | os.PathLike[str], *, sample: int = 5) -> dict[str, Any]:
    """Format, size, count, dimension and a few keys of a vectors file, without loading it all.

    Text and binary files are read only up to ``sample`` rows; the count comes from the header
    (or, for GloVe files, a line count).
    """
    p = _check_path(path)
    if is_stream(p):  # a pipe can be read once: read it whole, then describe what it held
        parts = read(p)
        n, dim = parts.matrix.shape
        nbytes = int(parts.matrix.nbytes)
        return {"path": str(p), "format": parts.format, "bytes": nbytes, "count": n, "dim": dim,
                "dtype": "float32", "form": "float32 (read from a pipe: bytes of the matrix)",
                "bytes_per_vector": round(nbytes / n, 1) if n else 0,
                "sample": parts.keys[:sample]}  # fmt: skip
    fmt = detect_format(p)
    size = sum(f.stat().st_size for f in p.iterdir()) if p.is_dir() else p.stat().st_size
    form = "float32"
    if fmt == "native":
        meta = _read_meta(p)
        v = read(p, limit=sample)
        count, dim, dtype = meta["count"], meta["dim"], str(v.matrix.dtype)
        form = {"int8": "int8 codes" + ("" if (p / "norms.npy").is_file() else ", unit length"),
                "pq": f"product-quantized, {v.matrix.shape[1]} bytes a row",
                "rq": f"residual-quantized, {v.matrix.shape[1]} bytes a row"}.get(
            meta["storage"], dtype)  # fmt: skip
        form += {"static": ", static token vectors with their tokenizer",
                 "subwords": ", fastText subwords (unknown words get vectors)"}.get(
            meta["vocab"], "")  # fmt: skip
    else:
        v = read(p, format=fmt, limit=sample)  # type: ignore[arg-type]
        dim, dtype = int(v.matrix.shape[1]), "float32"
        try:
            with _open(p) as f:
                if fmt == "glove":
                    count = sum(1 for line in f if line.strip())
                else:
                    count = _read_header(f, str(p))[0]
        except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
            raise VectorFormatError(f"{p}: cannot read ({exc})") from None
    return {
        "path": str(p),
        "format": fmt,
        "bytes": size,
        "count": count,
        "dim": dim,
        "dtype": dtype,
        "form": form,
        "bytes_per_vector": round(size / count, 1) if count else 0,
        "sample": v.keys[:sample],
    }
