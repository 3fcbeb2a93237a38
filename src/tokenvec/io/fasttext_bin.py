"""fastText's binary model format (``.bin``) and its character n-gram hashing.

A ``.bin`` holds, in native little-endian order: magic and version (absent in the oldest files,
which start with ``dim`` and ``ws``), the training arguments, the dictionary (each entry a
NUL-terminated word, an int64 count and an int8 type: word or label), then the input matrix
(``nwords + bucket`` rows: one per word, one per n-gram bucket) and the output matrix. A word's
vector is the mean of its own row and the rows of its n-grams; a word outside the vocabulary
gets the mean of its n-grams' rows, so every string has a vector.

The reader checks every size against the file before it allocates, and reads the file into
memory, as fastText and gensim do: a mapping of the file would kill the process (SIGBUS) when the
file is rewritten in place while open (fastText retraining to the same path). Quantized models
(``.ftz``) and full-precision models with a pruned bucket table (which fastText itself refuses)
are refused with a clear message.
"""

from __future__ import annotations

import codecs
import dataclasses
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tokenvec._native.fnv import fnv1a
from tokenvec._native.memory import advise
from tokenvec.io.files import (
    Errors,
    VectorFormatError,
    atomic_path,
    check_replaceable,
    is_stream,
    open_stream,
    read_rest,
)

MAGIC = 793712314
VERSION = 12
BOW, EOW, EOS = "<", ">", "</s>"
EOS_BYTES = EOS.encode()
SUPERVISED = 3  # the model code of fastText's supervised (classification) models
_ARGS = struct.Struct("<12id")  # dim ws epoch minCount neg wordNgrams loss model bucket minn
# maxn lrUpdateRate, then t (sampling threshold)
_OLD_ARGS = struct.Struct("<10id")  # the same without dim and ws (they replace magic/version)
MAX_WORD_BYTES = 1 << 16
MAX_DIM = 1 << 16
LOSSES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}
MODELS = {1: "cbow", 2: "skipgram", 3: "supervised"}


@dataclass(frozen=True)
class FastTextArgs:
    """The training arguments stored in a model (the names of fastText's ``args.h``)."""

    dim: int
    ws: int = 5
    epoch: int = 5
    min_count: int = 5
    neg: int = 5
    word_ngrams: int = 1
    loss: int = 2
    model: int = 2
    bucket: int = 2_000_000
    minn: int = 3
    maxn: int = 6
    lr_update_rate: int = 100
    t: float = 1e-4

    def pack(self) -> bytes:
        return _ARGS.pack(
            self.dim, self.ws, self.epoch, self.min_count, self.neg, self.word_ngrams,
            self.loss, self.model, self.bucket, self.minn, self.maxn, self.lr_update_rate, self.t,
        )  # fmt: skip


@dataclass
class FastTextModel:
    """The parts of a ``.bin``: plain data, matrices memory-mapped from the file.

    The words' bytes as stored (what n-grams are hashed over) are one ``blob`` with
    ``starts``/``lens``, not a list of two million ``bytes`` objects.
    """

    args: FastTextArgs
    words: list[str]  # the nwords words (labels of supervised models are left out)
    blob: np.ndarray  # uint8: the words' bytes, each followed by a NUL
    starts: np.ndarray  # (nwords,) int64: where each word starts in blob
    lens: np.ndarray  # (nwords,) int64
    counts: np.ndarray  # (nwords,) int64
    input: np.ndarray  # (nwords + bucket, dim) float32
    output: np.ndarray | None  # (rows, dim) float32
    ntokens: int
    prune: dict[int, int] | None  # bucket -> row among the kept buckets (pruned models)
    path: Path | None = None
    version: int = VERSION
    encoding: str = "utf-8"
    # The words are the strict UTF-8 decoding of their stored bytes, so a word's bytes are
    # ``word.encode("utf-8")``: lookups may compare bytes (tokenvec.vectors.wordindex).
    utf8_words: bool = False

    @classmethod
    def from_words(
        cls, args: FastTextArgs, words: list[str], raw: list[bytes], **parts: Any
    ) -> FastTextModel:
        """A model from word strings and their stored bytes (and the other fields)."""
        lens = np.array([len(w) for w in raw], dtype=np.int64)
        starts = np.zeros(len(raw), dtype=np.int64)
        if len(raw):
            np.cumsum(lens[:-1] + 1, out=starts[1:])
        blob = np.frombuffer(b"".join(w + b"\0" for w in raw), dtype=np.uint8)
        return cls(args, words, blob, starts, lens, **parts)

    @property
    def word_bytes(self) -> list[bytes]:
        """Each word's bytes as stored."""
        b = self.blob.tobytes()
        return [b[s : s + n] for s, n in zip(self.starts.tolist(), self.lens.tolist(), strict=True)]


# --- n-grams -------------------------------------------------------------------------------


def ngram_buckets(word: bytes, minn: int, maxn: int, bucket: int) -> list[int]:
    """Buckets of the character n-grams of ``word`` (bytes, with ``<`` ``>`` around it), in
    fastText's order. n counts UTF-8 characters; the single ``<`` and ``>`` are not n-grams.

    >>> ngram_buckets(b"<ab>", 3, 3, 100)  # "<ab" and "ab>"
    [8, 56]
    """
    if bucket <= 0 or maxn <= 0:
        return []
    out = []
    size = len(word)
    for i in range(size):
        if word[i] & 0xC0 == 0x80:
            continue
        j, n = i, 1
        while j < size and n <= maxn:
            j += 1
            while j < size and word[j] & 0xC0 == 0x80:
                j += 1
            if n >= minn and not (n == 1 and (i == 0 or j == size)):
                out.append(fnv1a(word[i:j]) % bucket)
            n += 1
    return out


def subword_rows(model: FastTextModel, word: bytes, index: int | None) -> list[int]:
    """Input-matrix rows whose mean is the vector of ``word`` (its own row first if known)."""
    a = model.args
    nwords = len(model.words)
    rows = [] if index is None else [index]
    if word == EOS_BYTES:  # fastText: "</s>" never has n-grams, in the vocabulary or not
        return rows
    if model.prune is not None and not model.prune:
        return rows  # a pruned model that kept no n-gram
    for h in ngram_buckets(BOW.encode() + word + EOW.encode(), a.minn, a.maxn, a.bucket):
        if model.prune is not None:
            if h not in model.prune:
                continue
            h = model.prune[h]
        rows.append(nwords + h)
    return rows


# --- reading -------------------------------------------------------------------------------


class _Cursor:
    def __init__(self, buf: np.ndarray, where: str) -> None:
        self.buf, self.pos, self.where = buf, 0, where

    def need(self, n: int, what: str) -> None:
        if self.pos + n > self.buf.shape[0]:
            raise VectorFormatError(
                f"{self.where}: truncated: the file ends inside the {what} (needs {n} bytes at "
                f"offset {self.pos:,}, the file has {self.buf.shape[0]:,})"
            )

    def unpack(self, fmt: str, what: str) -> tuple[Any, ...]:
        s = struct.Struct("<" + fmt)
        self.need(s.size, what)
        out = s.unpack_from(self.buf, self.pos)  # type: ignore[arg-type]  # an ndarray is a buffer
        self.pos += s.size
        return out


def _bad(where: str, msg: str) -> VectorFormatError:
    return VectorFormatError(f"{where}: {msg}; the file is not a fastText .bin model or is corrupt")


def _read_args(cur: _Cursor) -> tuple[FastTextArgs, int, bool]:
    where = cur.where
    cur.need(8, "header")
    magic, version = struct.unpack_from("<2i", cur.buf, 0)  # type: ignore[arg-type]
    if magic == MAGIC:
        cur.pos = 8
        if version not in (11, 12):
            raise VectorFormatError(
                f"{where}: fastText model version {version}; versions 11 and 12 are supported"
            )
        vals = cur.unpack("12id", "arguments")
        new = True
    else:
        # The oldest files have no magic: they start with dim and ws.
        dim, ws = magic, version
        if not (0 < dim <= MAX_DIM and 0 < ws <= 10_000):
            raise VectorFormatError(
                f"{where}: wrong magic number {magic} (fastText's is {MAGIC}); the file is not "
                f"a fastText .bin model"
            )
        cur.pos = 8
        vals = (dim, ws, *cur.unpack("10id", "arguments"))
        version, new = 0, False
    args = FastTextArgs(*vals)
    checks = [
        (0 < args.dim <= MAX_DIM, f"dim is {args.dim}"),
        (args.loss in LOSSES, f"loss code is {args.loss}"),
        (args.model in MODELS, f"model code is {args.model}"),
        (args.bucket >= 0, f"bucket is {args.bucket}"),
        (0 <= args.minn <= 256 and 0 <= args.maxn <= 256, f"minn/maxn are {args.minn}/{args.maxn}"),
        (math.isfinite(args.t), f"t is {args.t}"),
    ]
    for ok, msg in checks:
        if not ok:
            raise _bad(where, msg)
    return args, version, new


def _read_dictionary(
    cur: _Cursor, new: bool, encoding: str, errors: Errors
) -> tuple[
    list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, dict[int, int] | None, bool
]:
    from tokenvec.io.scan import (
        gather_words,
        scan_fasttext_dictionary,
        scan_fasttext_dictionary_numpy,
        words_blob_numpy,
    )

    where = cur.where
    size, nwords, nlabels = cur.unpack("3i", "dictionary header")
    (ntokens,) = cur.unpack("q", "dictionary header")
    prune_size = cur.unpack("q", "dictionary header")[0] if new else -1
    left = cur.buf.shape[0] - cur.pos
    if not (0 <= nwords <= size and nlabels >= 0 and nwords + nlabels == size):
        raise _bad(where, f"the dictionary says {size} entries = {nwords} words + {nlabels} labels")
    if size * 10 > left:  # an entry is at least a NUL, an int64 and an int8
        raise _bad(where, f"the dictionary says {size:,} entries but {left:,} bytes follow")
    if ntokens < 0 or prune_size < -1 or prune_size * 8 > left:
        raise _bad(where, f"the dictionary says {ntokens} tokens and {prune_size} pruned buckets")
    if prune_size >= 0:  # fastText: "Invalid model file" unless the input matrix is quantized
        raise _bad(
            where,
            f"the dictionary has a pruned bucket table ({prune_size:,} buckets kept), which "
            f"fastText accepts only in quantized models (.ftz), and tokenvec does not read those",
        )
    # Whole-array steps first (no compiled code to load); entry by entry, in compiled code,
    # when they find anything amiss (and to say which entry it is).
    fast = scan_fasttext_dictionary_numpy(cur.buf, cur.pos, size, MAX_WORD_BYTES)
    if fast is not None:
        end, starts, lens, counts, types = fast
        bad = -1
    else:
        starts = np.empty(size, dtype=np.int64)
        lens = np.empty(size, dtype=np.int64)
        counts = np.empty(size, dtype=np.int64)
        types = np.empty(size, dtype=np.int8)
        end, bad = scan_fasttext_dictionary(
            cur.buf, cur.pos, size, starts, lens, counts, types, MAX_WORD_BYTES
        )
    if bad >= 0:
        raise _bad(
            where,
            f"dictionary entry {bad + 1} of {size} is truncated, longer than "
            f"{MAX_WORD_BYTES:,} bytes or has a negative count or a type other than "
            f"word (0) and label (1)",
        )
    if (types[:nwords] != 0).any() or (types[nwords:] != 1).any():
        raise _bad(where, f"the dictionary's first {nwords} entries must be words, then labels")
    cur.pos = end
    # The words side by side, each followed by a NUL (no word holds one: the file ends words
    # with it): one strict decode and one split when they are all valid.
    lens = lens[:nwords].copy()
    if fast is not None:  # consecutive entries: drop the 9 bytes after each NUL
        blob, new_starts = words_blob_numpy(cur.buf, starts[:nwords], lens)
    else:
        blob = np.empty(int(lens.sum()) + nwords, dtype=np.uint8)
        new_starts = gather_words(cur.buf, starts[:nwords], lens, blob)
    words: list[str] | None = None
    try:
        words = blob.tobytes().decode(encoding).split("\0")[:-1] if nwords else []
    except UnicodeDecodeError:
        words = None
    utf8 = words is not None and codecs.lookup(encoding).name == "utf-8"
    if words is None:
        b = blob.tobytes()
        words = []
        for i, (s, n) in enumerate(zip(new_starts.tolist(), lens.tolist(), strict=True)):
            w = b[s : s + n]
            try:
                words.append(w.decode(encoding, errors))
            except UnicodeDecodeError as exc:
                raise VectorFormatError(
                    f"{where}: dictionary entry {i + 1}: the word {w[:40]!r} is not valid "
                    f"{encoding} ({exc.reason}); pass encoding=... or encoding_errors='replace'"
                ) from None
    prune: dict[int, int] | None = None  # refused above: only quantized models have one
    return words, blob, new_starts, lens, counts[:nwords].copy(), int(ntokens), prune, utf8


def _read_matrix(cur: _Cursor, new: bool, dim: int, rows: int | None, what: str) -> np.ndarray:
    where = cur.where
    if new:
        (quant,) = cur.unpack("B", f"{what} matrix flag")
        if quant == 1:
            raise VectorFormatError(
                f"{where}: a quantized fastText model (.ftz); tokenvec reads full-precision "
                f".bin models only (fastText's `quantize` makes the .ftz from one)"
            )
        if quant != 0:
            raise _bad(where, f"the {what} matrix flag is {quant}")
    m, n = cur.unpack("2q", f"{what} matrix header")
    if n != dim or m < 0 or (rows is not None and m != rows):
        expect = f"{rows:,} x {dim}" if rows is not None else f"N x {dim}"
        raise _bad(where, f"the {what} matrix is {m:,} x {n:,}, expected {expect}")
    nbytes = m * n * 4
    cur.need(nbytes, f"{what} matrix")
    # A view of the bytes read (checked above to hold the whole matrix): no second copy.
    mat = cur.buf[cur.pos : cur.pos + nbytes].view("<f4").reshape(m, n)
    cur.pos += nbytes
    return mat


def read_fasttext(
    path: str | os.PathLike[str],
    *,
    encoding: str = "utf-8",
    encoding_errors: Errors = "strict",
    data: np.ndarray | None = None,
    mmap: bool = False,
) -> FastTextModel:
    """Read a fastText ``.bin`` model into memory (``data``: its bytes, already read from a
    stream such as a pipe; otherwise the file at ``path`` is read). ``mmap=True`` maps the
    file instead (an instant open of a multi-gigabyte model, memory only for what queries
    touch); :class:`tokenvec.vectors.subwords.SubwordVectors` then checks before each read that the
    file has not been rewritten in place, which would otherwise end the process (SIGBUS)."""
    p = Path(path)
    where = str(p)
    if data is None:
        if not p.exists():
            raise FileNotFoundError(f"no such fastText model file: {p}")
        try:
            if is_stream(p):  # a pipe: its header is checked before the rest is read
                head, f = open_stream(p, 4096)
                with f:
                    check_arguments(head, where)
                    data = np.frombuffer(head + read_rest(f, where, len(head)), np.uint8)
            elif mmap and p.stat().st_size:
                data = np.memmap(p, dtype=np.uint8, mode="r")
            else:
                data = np.fromfile(p, dtype=np.uint8)
        except (OSError, ValueError) as exc:
            if isinstance(exc, VectorFormatError):
                raise
            raise VectorFormatError(f"{where}: cannot read ({exc})") from None
    buf = data
    cur = _Cursor(buf, where)
    args, version, new = _read_args(cur)
    if version == 11 and args.model == SUPERVISED:
        # fastText: "backward compatibility: old supervised models do not use char ngrams"
        args = dataclasses.replace(args, maxn=0)
    words, blob, starts, lens, counts, ntokens, prune, utf8 = _read_dictionary(
        cur, new, encoding, encoding_errors
    )
    nwords = len(words)
    n_buckets = args.bucket
    inp = _read_matrix(cur, new, args.dim, None, "input")
    if inp.shape[0] != nwords + n_buckets:
        raise _bad(
            where,
            f"the input matrix has {inp.shape[0]:,} rows, expected {nwords:,} words + "
            f"{n_buckets:,} buckets",
        )
    out = _read_matrix(cur, new, args.dim, None, "output")
    if cur.pos != buf.shape[0]:
        raise _bad(where, f"{buf.shape[0] - cur.pos:,} bytes follow the output matrix")
    return FastTextModel(
        args, words, blob, starts, lens, counts, inp, out, ntokens, prune, p, version, encoding,
        utf8_words=utf8,
    )  # fmt: skip


def check_arguments(head: bytes, where: str) -> None:
    """Raise ``VectorFormatError`` unless ``head`` (a file's first bytes) starts with a
    fastText header whose arguments make sense: checked before a stream is read to its end."""
    _read_args(_Cursor(np.frombuffer(head[:4096], dtype=np.uint8), where))


def is_fasttext_bin(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) starts a fastText .bin: the magic number, or,
    for the oldest files without one, arguments and a dictionary header that all make sense
    (binary data from any other format almost never does)."""
    if len(head) >= 8 and struct.unpack_from("<i", head)[0] == MAGIC:
        return True
    size = 8 + _OLD_ARGS.size + 12
    if len(head) < size:
        return False
    dim, ws = struct.unpack_from("<2i", head)
    epoch, min_count, neg, ngrams, loss, model, bucket, minn, maxn, lr, t = _OLD_ARGS.unpack_from(
        head, 8
    )
    n, nwords, nlabels = struct.unpack_from("<3i", head, 8 + _OLD_ARGS.size)
    return (
        0 < dim <= MAX_DIM
        and 0 < ws <= 10_000
        and 0 < epoch <= 1_000_000
        and 0 <= min_count
        and 0 <= neg <= 10_000
        and 0 < ngrams <= 100
        and loss in LOSSES
        and model in MODELS
        and 0 <= bucket
        and 0 <= minn <= maxn <= 256
        and 0 < lr
        and 0 <= t <= 1
        and 0 <= nwords <= n
        and nwords + nlabels == n
    )


# --- writing -------------------------------------------------------------------------------


def write_fasttext(
    model: FastTextModel, path: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write ``model`` as a version-12 fastText ``.bin`` (atomically)."""
    p = Path(path)
    check_replaceable(p, overwrite=overwrite)
    a = model.args
    raw = model.word_bytes
    nwords = len(raw)
    for i, w in enumerate(raw):
        if b"\0" in w:
            raise ValueError(f"word {i} ({w[:40]!r}) holds a NUL byte: a .bin cannot store it")
    if model.input.shape != (
        nwords + (a.bucket if model.prune is None else len(model.prune)),
        a.dim,
    ):
        raise ValueError(
            f"input matrix is {model.input.shape}, expected ({nwords} + buckets, {a.dim})"
        )
    with atomic_path(p, overwrite=overwrite) as tmp, open(tmp, "wb") as f:
        f.write(struct.pack("<2i", MAGIC, VERSION))
        f.write(a.pack())
        prune_size = -1 if model.prune is None else len(model.prune)
        f.write(struct.pack("<3iqq", nwords, nwords, 0, model.ntokens, prune_size))
        entry = struct.Struct("<qb")
        for w, c in zip(raw, model.counts.tolist(), strict=True):
            f.write(w + b"\0" + entry.pack(int(c), 0))
        if model.prune:
            f.write(
                struct.pack(
                    f"<{2 * len(model.prune)}i", *[x for kv in model.prune.items() for x in kv]
                )
            )
        for mat in (
            model.input,
            model.output if model.output is not None else np.zeros((nwords, a.dim), np.float32),
        ):
            f.write(struct.pack("<?2q", False, mat.shape[0], mat.shape[1]))
            step = max(1, 2**24 // max(1, a.dim))
            advise(mat, "sequential")
            try:
                for lo in range(0, mat.shape[0], step):
                    f.write(np.ascontiguousarray(mat[lo : lo + step], dtype="<f4").tobytes())
            finally:
                advise(mat, "random")
    return p
