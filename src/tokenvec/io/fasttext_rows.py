"""Compiled subwords of a fastText model: every word's input rows (its own and its n-grams',
hashed over the word's stored bytes) as one CSR table, and their means, words split across
threads. The plain references are :func:`tokenvec.io.fasttext_bin.subword_rows` and
:func:`tokenvec.vectors.subwords.word_matrix_reference` (one word at a time, in Python); the tests
check that both agree exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tokenvec._native.jit import LazyKernel


def _compile() -> dict[str, object]:
    from tokenvec.io import fasttext_numba as k

    return {
        "counts": k.subword_counts,
        "fill": k.subword_fill,
        "mean": k.mean_rows,
        "word_mean": k.word_mean,
    }


_kernels = LazyKernel(_compile)  # type: ignore[arg-type]


def _parallel(n: int, cost: int) -> int | None:
    return 1 if cost < 1_000_000 else None


def subword_table(model: Any) -> tuple[np.ndarray, np.ndarray]:
    """(offsets (nwords + 1,) int64, rows int32): word i's input rows are
    ``rows[offsets[i]:offsets[i + 1]]``, its own row first, then its n-grams' in order."""
    from tokenvec._native.threads import split_run

    a = model.args
    nwords = len(model.words)
    starts = np.ascontiguousarray(model.starts, dtype=np.int64)
    lens = np.ascontiguousarray(model.lens, dtype=np.int64)
    blob = np.ascontiguousarray(model.blob, dtype=np.uint8)
    if starts.shape != (nwords,) or lens.shape != (nwords,):
        raise ValueError(f"{nwords} words but {starts.shape} starts and {lens.shape} lengths")
    if nwords and (starts.min() < 0 or (starts + lens).max() > blob.shape[0] or lens.min() < 0):
        raise ValueError("word bytes lie outside the blob")
    if model.prune is None:
        prune, use_prune = np.zeros(1, dtype=np.int64), False
    else:
        prune, use_prune = np.full(max(a.bucket, 1), -1, dtype=np.int64), True
        for key, val in model.prune.items():
            if 0 <= key < a.bucket:
                prune[key] = val
    eos = eos_mask(blob, starts, lens)
    k = _kernels.get()
    counts = np.zeros(nwords, dtype=np.int64)
    common = (blob, starts, lens, a.minn, a.maxn, a.bucket, prune, use_prune, eos)
    parts = _parallel(nwords, int(lens.sum()) * 8)
    split_run(lambda lo, hi: k["counts"](*common, counts, lo, hi), nwords, parts)  # type: ignore[index]
    offsets = np.zeros(nwords + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    rows = np.empty(int(offsets[-1]), dtype=np.int32)
    split_run(lambda lo, hi: k["fill"](*common, offsets, rows, lo, hi), nwords, parts)  # type: ignore[index]
    return offsets, rows


# Shorter words take the Python reference: as fast as a compiled call once the kernels are
# loaded (32 bytes), and faster than loading them (0.5-1 s) up to tens of thousands of bytes.
COMPILED_WORD_BYTES = 32
COLD_WORD_BYTES = 50_000


def compiled_pays(nbytes: int) -> bool:
    """Whether the compiled pass is worth it for a word of ``nbytes`` bytes right now."""
    return nbytes >= (COMPILED_WORD_BYTES if _kernels.loaded else COLD_WORD_BYTES)


def word_vector(model: Any, word: bytes, index: int | None) -> tuple[np.ndarray, int]:
    """The vector of ``word`` (its stored bytes; ``index`` its row if in the vocabulary) and
    the number of rows it averages: :func:`tokenvec.io.fasttext_bin.subword_rows` and their mean,
    in one compiled pass (a million-character word in well under a second)."""
    a = model.args
    m = np.asarray(model.input)
    if m.dtype != np.float32 or m.ndim != 2:
        raise ValueError(f"input matrix is {m.dtype} {m.shape}, expected float32 (N, dim)")
    nwords = len(model.words)
    if m.shape[0] < nwords + max(a.bucket, 0):
        raise ValueError(f"the input matrix has {m.shape[0]} rows for {nwords} words + buckets")
    framed = np.frombuffer(b"<" + word + b">", dtype=np.uint8)  # fastText's BOW and EOW
    out = np.empty(a.dim, dtype=np.float32)
    fn = _kernels.get()["word_mean"]  # type: ignore[index]
    ngrams = word != b"</s>"  # fastText's EOS never has n-grams
    count = fn(framed, -1 if index is None else index, ngrams, a.minn, a.maxn, a.bucket, nwords,
               m, out)  # fmt: skip
    return out, int(count)


def eos_mask(blob: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """(nwords,) uint8: 1 for every entry whose bytes are ``</s>`` (fastText gives each such
    entry, repeated or not, its own row and no n-grams)."""
    mask = np.zeros(starts.shape[0], dtype=np.uint8)
    four = np.flatnonzero(lens == 4)
    if four.size:
        grabbed = blob[starts[four, None] + np.arange(4)]  # (k, 4)
        mask[four[(grabbed == np.frombuffer(b"</s>", np.uint8)).all(axis=1)]] = 1
    return mask


def mean_rows(offsets: np.ndarray, rows: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Row i: the mean of ``matrix[rows[offsets[i]:offsets[i + 1]]]``, summed in order in
    float32 (zeros for none)."""
    from tokenvec._native.memory import empty
    from tokenvec._native.threads import split_run

    m = np.asarray(matrix)
    n = offsets.shape[0] - 1
    if m.dtype != np.float32 or m.ndim != 2 or not m.flags.c_contiguous:
        raise ValueError(f"matrix is {m.dtype} {m.shape}, expected a C-contiguous float32 (N, C)")
    if rows.size and (rows.min() < 0 or rows.max() >= m.shape[0]):
        raise ValueError(f"rows point outside the {m.shape[0]}-row matrix")
    out = empty((n, m.shape[1]), np.float32)
    fn = _kernels.get()["mean"]  # type: ignore[index]
    split_run(
        lambda lo, hi: fn(offsets, rows, m, out, lo, hi), n, _parallel(n, rows.size * m.shape[1])
    )
    return out


def word_matrix(model: Any) -> np.ndarray:
    """(nwords, dim) float32: row i is the mean of word i's own row and its n-gram rows."""
    from tokenvec._native.memory import advise

    offsets, rows = subword_table(model)
    advise(model.input, "normal")  # the word rows are read in order: read-ahead helps
    try:
        return mean_rows(offsets, rows, model.input)
    finally:
        advise(model.input, "random")
