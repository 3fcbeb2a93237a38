"""Compiled word vectors of a fastText model: n-grams hashed over each word's bytes and their
rows averaged, words split across threads. The plain reference is
:func:`tokenvec.subwords.word_matrix_reference` (one word at a time, in Python); the tests
check that both agree bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tokenvec._jit import LazyKernel


def _compile() -> object:
    from tokenvec._subword_numba import word_means

    return word_means


_kernel = LazyKernel(_compile)  # type: ignore[arg-type]


def word_matrix(model: Any) -> np.ndarray:
    """(nwords, dim) float32: row i is the mean of word i's own row and its n-gram rows."""
    from tokenvec._memory import empty
    from tokenvec._threads import split_run

    a = model.args
    nwords = len(model.word_bytes)
    marked = [b"<" + w + b">" for w in model.word_bytes]
    offsets = np.zeros(nwords + 1, dtype=np.int64)
    np.cumsum([len(w) for w in marked], out=offsets[1:])
    blob = np.frombuffer(b"".join(marked), dtype=np.uint8) if nwords else np.zeros(0, np.uint8)
    if model.prune is None:
        prune = np.zeros(0, dtype=np.int64)
        use_prune = False
    else:
        prune = np.full(max(a.bucket, 1), -1, dtype=np.int64)
        for k, v in model.prune.items():
            if 0 <= k < a.bucket:
                prune[k] = v
        use_prune = True
    eos = next((i for i, w in enumerate(model.words) if w == "</s>"), -1)
    inp = np.asarray(model.input)
    n_rows = inp.shape[0]
    if inp.dtype != np.float32 or inp.ndim != 2 or inp.shape[1] != a.dim:
        raise ValueError(f"input matrix is {inp.dtype} {inp.shape}, expected float32 (N, {a.dim})")
    n_buckets = a.bucket if model.prune is None else len(model.prune)
    if n_rows < nwords + n_buckets:
        raise ValueError(f"input matrix has {n_rows} rows, fewer than {nwords} + {n_buckets}")
    out = empty((nwords, a.dim), np.float32)
    fn = _kernel.get()

    def run(lo: int, hi: int) -> None:
        fn(blob, offsets, a.minn, a.maxn, a.bucket, prune, use_prune, eos, inp, out, lo, hi)

    split_run(run, nwords, 1 if nwords * a.dim < 1_000_000 else None)
    return out
