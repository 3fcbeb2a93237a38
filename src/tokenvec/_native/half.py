"""Float16 tables read at float16 cost: compiled row dot products, widening and normalising.

numpy has no vectorised float16 arithmetic (``h.astype(np.float32)`` runs at about 2 ns an
element here, ten times a float32 matrix-vector product), and numba has no float16 type. The
kernels read the halves as ``uint16`` and widen them with LLVM's ``fpext half -> float``, which
compiles to the CPU's ``vcvtph2ps`` inside the vectorised loop: a dot product of a float16 row
reads half the bytes of a float32 one and accumulates in float32. Each kernel has a plain numpy
reference beside it that the tests compare against.
"""

from __future__ import annotations

import numpy as np

from tokenvec._native.jit import LazyKernel

# |computed - exact| of a cosine computed from float16 unit rows and a float32 query: the rows'
# rounding (2**-11 relative per element, at most 2**-11 over a dot product by Cauchy-Schwarz)
# plus float32 accumulation and subnormal halves, with room to spare.
COSINE_ERROR = 2.0**-11 + 1e-4


def dot_rows_reference(rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``rows @ query`` for float16 rows, in float64, rounded to float32: (N, C) -> (N,)."""
    return (rows.astype(np.float64) @ query.astype(np.float64)).astype(np.float32)


def unit_rows_reference(rows: np.ndarray) -> np.ndarray:
    """Float16 rows scaled to unit length in float64 (zero rows stay zero), rounded to float32
    and then to float16."""
    m = rows.astype(np.float64)
    n = np.sqrt(np.einsum("ij,ij->i", m, m))[:, None]
    return (
        (m * np.where(n == 0, 0, 1 / np.where(n == 0, 1, n))).astype(np.float32).astype(np.float16)
    )


def _compile() -> dict[str, object]:
    from tokenvec._native import half_numba as k

    return {"dot_rows": k.dot_rows, "widen_rows": k.widen_rows, "unit_rows": k.unit_rows}


_kernels = LazyKernel(_compile)  # type: ignore[arg-type]


def _bits(rows: np.ndarray) -> np.ndarray:
    if rows.dtype != np.float16 or rows.ndim != 2:
        raise TypeError(f"expected a 2-D float16 array, got {rows.ndim}-D {rows.dtype}")
    return np.ascontiguousarray(rows).view(np.uint16)


def dot_rows(rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``rows @ query`` for float16 ``rows`` (N, C) and a float32 ``query`` (C,), accumulated
    in float32, rows split across the shared threads: (N,) float32."""
    from tokenvec._native.threads import split_run

    bits = _bits(rows)
    q = np.ascontiguousarray(query, dtype=np.float32)
    if q.shape != (bits.shape[1],):
        raise ValueError(f"query has shape {q.shape}, rows have {bits.shape[1]} columns")
    out = np.empty(bits.shape[0], dtype=np.float32)
    fn = _kernels.get()["dot_rows"]  # type: ignore[index]
    parts = 1 if bits.size < 2_000_000 else None
    split_run(lambda lo, hi: fn(bits, q, out, lo, hi), bits.shape[0], parts)
    return out


def widen_rows(rows: np.ndarray, lo: int, hi: int, out: np.ndarray | None = None) -> np.ndarray:
    """Rows ``lo:hi`` of a float16 table as float32 (``out`` reused when given)."""
    bits = _bits(rows)
    if out is None:
        out = np.empty((hi - lo, bits.shape[1]), dtype=np.float32)
    _kernels.get()["widen_rows"](bits, out, lo, hi)  # type: ignore[index]
    return out


def unit_rows(rows: np.ndarray) -> np.ndarray:
    """:func:`unit_rows_reference` compiled: float16 in, float16 out, no float32 copy."""
    from tokenvec._native.memory import empty
    from tokenvec._native.threads import split_run

    bits = _bits(rows)
    out = empty(bits.shape, np.uint16, huge=True)  # streamed by every query: huge pages
    fn = _kernels.get()["unit_rows"]  # type: ignore[index]
    split_run(lambda lo, hi: fn(bits, out, lo, hi), bits.shape[0], None)
    return out.view(np.float16)
