"""Read and write word vectors: word2vec binary and text, GloVe, fastText .vec, native.

Formats:

- ``word2vec``: binary, header ``N dim`` then ``word<space><dim float32>`` rows (GoogleNews).
- ``word2vec-text``: text with the ``N dim`` header; fastText's ``.vec`` is this format
  (``fasttext`` is an alias).
- ``glove``: text rows ``word v1 ... vdim`` without header.
- ``native``: a folder holding ``vectors.npy`` (opened memory-mapped), ``keys.bin`` (UTF-8 keys
  separated by 0xFF, a byte UTF-8 never uses) and ``meta.json``. No pickle anywhere.

Readers stream in chunks (memory stays near the size of the matrix), accept .gz/.bz2/.xz, and
turn every malformed input into a ``VectorFormatError`` naming the file, row and problem.
Writers are atomic: they write a temporary sibling and rename it over the target.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import importlib.util
import io
import json
import lzma
import os
import re
import shutil
import tempfile
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np

from tokenvec import _memory
from tokenvec._scan import MAX_WORD_BYTES, WORD_TOO_LONG, scan_binary
from tokenvec.vectors import Vectors

Format = Literal["word2vec", "word2vec-text", "fasttext", "glove", "native"]
Errors = Literal["strict", "replace", "ignore"]
FORMATS = ("word2vec", "word2vec-text", "fasttext", "glove", "native")
NATIVE_META = "meta.json"
NATIVE_FORMAT = "tokenvec-vectors"
CHUNK_BYTES = 8 * 2**20
SEP = b"\xff"  # never a byte of valid UTF-8
_HEADER = re.compile(rb"^\s*(\d+)\s+(\d+)\s*$")
_SURROGATE = re.compile("[\udc80-\udcfe]")


class VectorFormatError(ValueError):
    """A vectors file is malformed; the message names the file, the row and the problem."""


# --- helpers -----------------------------------------------------------------------------------


def _open(path: Path) -> IO[bytes]:
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return gzip.open(path, "rb")
    if suffix == ".bz2":
        return bz2.open(path, "rb")
    if suffix in (".xz", ".lzma"):
        return lzma.open(path, "rb")
    return open(path, "rb")


def _check_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    if p.is_dir() and not (p / NATIVE_META).is_file():
        raise IsADirectoryError(
            f"{p} is a directory without {NATIVE_META}; expected a vectors file "
            f"or a folder written by Vectors.save(..., format='native')"
        )
    return p


def detect_format(path: str | os.PathLike[str]) -> str:
    """Guess the format of a vectors file from its content.

    A header line ``N dim`` means word2vec: binary if the first row is not text of dim + 1
    fields, text otherwise. Without a header, rows of a word and numbers mean GloVe.
    """
    p = _check_path(path)
    if p.is_dir():
        return "native"
    with _open(p) as f:
        try:
            head = f.read(64 * 1024)
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise VectorFormatError(f"{p}: cannot read ({exc})") from None
    if not head.strip():
        raise VectorFormatError(f"{p}: the file is empty")
    first, _, rest = head.partition(b"\n")
    m = _HEADER.match(first)
    if m:
        dim = int(m.group(2))
        line = rest.split(b"\n", 1)[0]
        try:
            fields = line.decode("utf-8").rstrip().split(" ")
            [float(x) for x in fields[-dim:]]
            if len(fields) >= dim + 1:
                return "word2vec-text"
        except (UnicodeDecodeError, ValueError):
            pass
        return "word2vec"
    try:
        fields = first.decode("utf-8").rstrip().split(" ")
        [float(x) for x in fields[1:]]
    except (UnicodeDecodeError, ValueError):
        raise VectorFormatError(
            f"{p}: not a vectors file (no 'N dim' header and the first line is not a word "
            f"followed by numbers)"
        ) from None
    if len(fields) < 2:
        raise VectorFormatError(
            f"{p}: not a vectors file: the first line has a word but no numbers"
        )
    return "glove"


def _decode_keys(
    blob: bytes, n: int, errors: Errors, where: str, word_rows: list[int] | None = None
) -> list[str]:
    """Split a 0xFF-separated blob of UTF-8 words into ``n`` keys, applying ``errors``."""
    text = blob.decode("utf-8", "surrogateescape")
    keys = text.split("\udcff")
    if keys and keys[-1] == "":
        keys.pop()
    if len(keys) == n and (text.isascii() or not _SURROGATE.search(text)):
        return keys
    # Slow path: some words are not valid UTF-8.
    raw = blob.split(SEP)
    if raw and raw[-1] == b"":
        raw.pop()
    out = []
    for i, w in enumerate(raw):
        try:
            out.append(w.decode("utf-8", errors))
        except UnicodeDecodeError as exc:
            row = word_rows[i] if word_rows else i
            raise VectorFormatError(
                f"{where}: row {row}: the word {w!r} is not valid UTF-8 ({exc.reason}); "
                f"pass encoding_errors='replace' or 'ignore' to load it anyway"
            ) from None
    return out


# --- readers -----------------------------------------------------------------------------------


def _read_header(f: IO[bytes], where: str) -> tuple[int, int]:
    line = f.readline(4096)
    m = _HEADER.match(line)
    if not m:
        raise VectorFormatError(f"{where}: expected a header line 'N dim', got {line[:80]!r}")
    n, dim = int(m.group(1)), int(m.group(2))
    if dim <= 0:
        raise VectorFormatError(f"{where}: header says dim {dim}; it must be positive")
    return n, dim


def _read_word2vec_binary(
    f: IO[bytes], where: str, limit: int | None, errors: Errors
) -> tuple[list[str], np.ndarray]:
    n, dim = _read_header(f, where)
    want = n if limit is None else min(n, limit)
    row_bytes = dim * 4
    # (N, C) float32, filled as raw little-endian bytes: no per-row Python work.
    out = _memory.empty((want, row_bytes), dtype=np.uint8)
    # One staging buffer, refilled in place: the unread tail of a chunk moves to the front.
    size = max(CHUNK_BYTES, 4 * (row_bytes + MAX_WORD_BYTES + 2))
    buf = np.empty(size, dtype=np.uint8)
    blob = np.empty(size + 1, dtype=np.uint8)
    view = memoryview(buf)
    blobs: list[bytes] = []
    have = 0
    row = 0
    eof = False
    while row < want:
        got = f.readinto(view[have:]) if not eof else 0
        eof = not got
        have += got or 0
        rows, used, blen, status = scan_binary(
            buf[:have], want - row, row_bytes, out[row:], blob, MAX_WORD_BYTES
        )
        if status == WORD_TOO_LONG:
            raise VectorFormatError(
                f"{where}: row {row + rows}: no space within {MAX_WORD_BYTES} bytes; "
                f"the file is not word2vec binary or is corrupt"
            )
        blobs.append(blob[:blen].tobytes())
        row += rows
        buf[: have - used] = buf[used:have]
        have -= used
        if eof and row < want:
            raise VectorFormatError(
                f"{where}: truncated: the header says {n} rows of {dim} values but the file "
                f"ends after {row} complete rows"
            )
    carry = buf[:have].tobytes()
    if limit is None and (carry.strip(b"\n\r\t ") or f.read(1).strip(b"\n\r\t ")):
        raise VectorFormatError(
            f"{where}: the header says {n} rows but the file holds more data after them; "
            f"pass limit={n} to read only the first {n}"
        )
    keys = _decode_keys(b"".join(blobs), want, errors, where)
    return keys, out.view("<f4").reshape(want, dim).astype(np.float32, copy=False)


def _text_rows(f: IO[bytes]) -> Iterator[list[bytes]]:
    while True:
        lines = f.readlines(CHUNK_BYTES)
        if not lines:
            return
        yield lines


def _parse_text_chunk(
    lines: list[bytes], dim: int | None, first_row: int, where: str
) -> tuple[list[bytes], np.ndarray, int]:
    """Parse 'word v1 .. vdim' lines; return words, (n, dim) float32 and dim."""
    stripped = [ln.rstrip() for ln in lines]
    stripped = [ln for ln in stripped if ln]
    if not stripped:
        return [], np.zeros((0, dim or 0), np.float32), dim or 0
    if dim is None:
        dim = len(stripped[0].split()) - 1
        if dim <= 0:
            raise VectorFormatError(f"{where}: row {first_row}: a word with no numbers")
    parts = [ln.partition(b" ") for ln in stripped]
    words = [p[0] for p in parts]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            values = np.fromstring(b" ".join(p[2] for p in parts), dtype=np.float32, sep=" ")
        except (DeprecationWarning, ValueError):
            values = None
    if values is not None and values.size == len(stripped) * dim:
        return words, values.reshape(len(stripped), dim), dim
    # Slow path: find the row at fault, or words that contain spaces.
    words, rows = [], np.empty((len(stripped), dim), np.float32)
    for i, ln in enumerate(stripped):
        fields = ln.split()
        r = first_row + i
        if len(fields) < dim + 1:
            raise VectorFormatError(
                f"{where}: row {r} has {len(fields) - 1} values, expected {dim}"
            )
        try:
            rows[i] = np.array(fields[len(fields) - dim :], dtype=np.float32)
        except ValueError:
            bad = next(x for x in fields[-dim:] if not _is_float(x))
            raise VectorFormatError(f"{where}: row {r}: {bad[:40]!r} is not a number") from None
        if len(fields) > dim + 1:
            if not all(_is_float(x) for x in fields[1 : len(fields) - dim]) or len(fields) < 3:
                words.append(b" ".join(fields[: len(fields) - dim]))  # a word with spaces
                continue
            raise VectorFormatError(
                f"{where}: row {r} has {len(fields) - 1} values, expected {dim}"
            )
        words.append(fields[0])
    return words, rows, dim


def _is_float(x: bytes) -> bool:
    try:
        float(x)
        return True
    except ValueError:
        return False


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
    row = 1 if header else 0
    for lines in _text_rows(f):
        if want is not None and len(words) + len(lines) > want:
            lines = lines[: want - len(words)]
        w, m, dim = _parse_text_chunk(lines, dim, row + 1, where)
        words.extend(w)
        mats.append(m)
        row += len(lines)
        if want is not None and len(words) >= want:
            break
    if not words:
        raise VectorFormatError(f"{where}: no vectors in the file")
    if header and limit is None and n is not None and len(words) != n:
        raise VectorFormatError(f"{where}: the header says {n} rows but the file has {len(words)}")
    keys = _decode_keys(SEP.join(words) + SEP, len(words), errors, where)
    return keys, np.concatenate(mats) if len(mats) > 1 else mats[0]


def _load_native(p: Path, limit: int | None, mmap: bool) -> Vectors:
    try:
        meta = json.loads((p / NATIVE_META).read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VectorFormatError(f"{p / NATIVE_META}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != NATIVE_FORMAT:
        raise VectorFormatError(f"{p}: {NATIVE_META} does not describe tokenvec vectors")
    try:
        mat = np.load(p / "vectors.npy", mmap_mode="r" if mmap else None, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise VectorFormatError(f"{p / 'vectors.npy'}: cannot read ({exc})") from None
    n = int(meta.get("count", -1))
    if mat.ndim != 2 or mat.shape[0] != n:
        raise VectorFormatError(
            f"{p}: vectors.npy has shape {mat.shape}, {NATIVE_META} says {n} rows"
        )
    blob = (p / "keys.bin").read_bytes()
    keys = _decode_keys(blob, n, "strict", str(p / "keys.bin"))
    if len(keys) != n:
        raise VectorFormatError(f"{p}: keys.bin holds {len(keys)} keys for {n} vectors")
    if limit is not None:
        keys, mat = keys[:limit], mat[:limit]
    # A saved file was checked when it was written; re-checking 3M keys would cost the
    # sub-second open that this format exists for.
    vectors = Vectors(keys, mat, allow_nan=True, on_duplicate="ignore")
    if (p / "ann.faiss").is_file() and limit is None and importlib.util.find_spec("faiss"):
        from tokenvec.ann import load_ann

        load_ann(p / "ann.faiss", vectors)
    return vectors


def load_vectors(
    path: str | os.PathLike[str],
    format: Format | None = None,
    *,
    limit: int | None = None,
    encoding_errors: Errors = "strict",
    on_duplicate: Literal["warn", "error", "ignore"] = "warn",
    allow_nan: bool = False,
    mmap: bool = True,
) -> Vectors:
    """Read vectors from ``path``; the format is detected from content when not given.

    ``limit`` reads only the first rows (files are usually sorted by frequency).
    ``encoding_errors`` says what to do with words that are not UTF-8. Duplicate keys keep the
    first occurrence and warn. Rows with NaN or inf are an error unless ``allow_nan``.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "v.txt"
    >>> _ = p.write_text("king 1 0\\nqueen 0.9 0.1\\n")
    >>> load_vectors(p).most_similar("king", topn=1)
    [('queen', 0.99388...)]
    """
    p = _check_path(path)
    fmt = format or detect_format(p)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if limit is not None and limit <= 0:
        raise ValueError(f"limit must be positive, got {limit}")
    if fmt == "native":
        if not p.is_dir():
            raise VectorFormatError(f"{p}: the native format is a folder")
        return _load_native(p, limit, mmap)
    if p.is_dir():
        raise IsADirectoryError(f"{p} is a folder; format {fmt!r} is a single file")
    where = str(p)
    try:
        with _open(p) as f:
            if fmt == "word2vec":
                keys, mat = _read_word2vec_binary(f, where, limit, encoding_errors)
            else:
                keys, mat = _read_text(f, where, limit, encoding_errors, header=fmt != "glove")
    except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
        raise VectorFormatError(f"{where}: cannot read ({exc})") from None
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        return Vectors(keys, mat, allow_nan=allow_nan, on_duplicate=on_duplicate)


# --- writers -----------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_path(target: Path, *, folder: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``target``; rename it over ``target`` if the block succeeds.

    Nothing is left half-written: on error the temporary is removed and ``target`` is intact.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if folder:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    else:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        tmp = Path(name)
    try:
        yield tmp
        if folder and target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


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
        if not k or any(c in k for c in (b" ", b"\n", b"\r", b"\t")):
            raise ValueError(
                f"key {i} ({k.decode('utf-8', 'replace')!r}) is empty or contains whitespace; "
                f"{fmt} files cannot hold it (use format='native')"
            )


def save_vectors(
    vectors: Vectors,
    path: str | os.PathLike[str],
    format: Format = "native",
    *,
    precision: int = 9,
) -> Path:
    """Write ``vectors`` to ``path`` atomically in ``format``; returns the path.

    Text formats write ``precision`` significant digits (9 round-trips float32 exactly).
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    target = Path(path)
    if target.exists() and target.is_dir() != (format == "native"):
        kind = "a folder" if target.is_dir() else "a file"
        raise IsADirectoryError(f"{target} is {kind}; it cannot be replaced by {format!r} output")
    keys = _encode_keys(vectors.index_to_key)
    mat = np.asarray(vectors.vectors)
    if format == "native":
        with atomic_path(target, folder=True) as tmp:
            np.save(tmp / "vectors.npy", np.ascontiguousarray(mat), allow_pickle=False)
            (tmp / "keys.bin").write_bytes(SEP.join(keys) + SEP)
            meta = {
                "format": NATIVE_FORMAT,
                "version": 1,
                "count": len(keys),
                "dim": int(mat.shape[1]),
                "dtype": str(mat.dtype),
            }
            (tmp / NATIVE_META).write_text(json.dumps(meta, indent=1), "utf-8")
            if vectors.ann is not None:
                vectors.ann.save(tmp / "ann.faiss")
        return target
    if format == "word2vec":
        if any(b" " in k or not k for k in keys):
            _check_text_keys(keys, format)
        f32 = np.ascontiguousarray(mat, dtype="<f4")
        with atomic_path(target) as tmp, open(tmp, "wb") as f:
            f.write(f"{len(keys)} {mat.shape[1]}\n".encode())
            step = 100_000
            for lo in range(0, len(keys), step):
                f.write(
                    b"".join(
                        k + b" " + f32[i].tobytes() + b"\n"
                        for i, k in enumerate(keys[lo : lo + step], start=lo)
                    )
                )
        return target
    _check_text_keys(keys, format)
    fmt_row = " ".join([f"%.{precision}g"] * mat.shape[1])
    with atomic_path(target) as tmp, open(tmp, "wb") as f:
        if format != "glove":
            f.write(f"{len(keys)} {mat.shape[1]}\n".encode())
        step = 20_000
        for lo in range(0, len(keys), step):
            block = mat[lo : lo + step].astype(np.float64)
            buf = io.BytesIO()
            np.savetxt(buf, block, fmt=fmt_row)
            lines = buf.getvalue().split(b"\n")
            f.write(
                b"".join(
                    k + b" " + ln + b"\n"
                    for k, ln in zip(keys[lo : lo + step], lines, strict=False)
                )
            )
    return target


def describe(path: str | os.PathLike[str], *, sample: int = 5) -> dict[str, Any]:
    """Format, size, count, dimension and a few keys of a vectors file, without loading it all.

    Text and binary files are read only up to ``sample`` rows; the count comes from the header
    (or, for GloVe files, a line count).
    """
    p = _check_path(path)
    fmt = detect_format(p)
    size = sum(f.stat().st_size for f in p.iterdir()) if p.is_dir() else p.stat().st_size
    if fmt == "native":
        meta = json.loads((p / NATIVE_META).read_text("utf-8"))
        v = load_vectors(p, limit=sample)
        count, dim, dtype = int(meta["count"]), int(meta["dim"]), str(meta["dtype"])
    else:
        v = load_vectors(p, format=fmt, limit=sample)  # type: ignore[arg-type]
        dim, dtype = v.vector_size, "float32"
        with _open(p) as f:
            if fmt == "glove":
                count = sum(1 for line in f if line.strip())
            else:
                count = int(f.readline().split()[0])
    return {
        "path": str(p),
        "format": fmt,
        "bytes": size,
        "count": count,
        "dim": dim,
        "dtype": dtype,
        "sample": v.index_to_key[:sample],
    }
