"""The compiled half of :mod:`tokenvec.vectors.compress` (module-level, so numba's disk cache is hit)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(nogil=True, fastmath=True, cache=True, boundscheck=False)
def int8_dot_rows(codes, scales, query, out, lo, hi):  # type: ignore[no-untyped-def]  # noqa: ANN001
    """out[r] = scales[r] * (codes[r] . query) for rows lo..hi: int8 rows widened in registers,
    four rows a pass (each query element loaded once for four rows; with short rows such as
    GloVe's 50 dimensions the per-row reduction was the cost: 1.2x faster here)."""
    c = codes.shape[1]
    r = lo
    while r + 4 <= hi:
        s0 = np.float32(0.0)
        s1 = np.float32(0.0)
        s2 = np.float32(0.0)
        s3 = np.float32(0.0)
        for j in range(c):
            qj = query[j]
            s0 += np.float32(codes[r, j]) * qj
            s1 += np.float32(codes[r + 1, j]) * qj
            s2 += np.float32(codes[r + 2, j]) * qj
            s3 += np.float32(codes[r + 3, j]) * qj
        out[r] = s0 * scales[r]
        out[r + 1] = s1 * scales[r + 1]
        out[r + 2] = s2 * scales[r + 2]
        out[r + 3] = s3 * scales[r + 3]
        r += 4
    for k in range(r, hi):
        s = np.float32(0.0)
        for j in range(c):
            s += np.float32(codes[k, j]) * query[j]
        out[k] = s * scales[k]
    return 0


@numba.njit(nogil=True, fastmath=True, cache=True, boundscheck=False)
def int8_widen_rows(codes, scales, out, lo, hi):  # type: ignore[no-untyped-def]  # noqa: ANN001
    """out[r - lo] = scales[r] * codes[r] as float32, for rows lo..hi."""
    c = codes.shape[1]
    for r in range(lo, hi):
        s = scales[r]
        for j in range(c):
            out[r - lo, j] = np.float32(codes[r, j]) * s
    return 0


@numba.njit(nogil=True, fastmath=True, cache=True, boundscheck=False)
def pq_dot_rows(codes, table, scales, out, lo, hi):  # type: ignore[no-untyped-def]  # noqa: ANN001
    """out[r] = scales[r] * sum_j table[j, codes[r, j]]: a query's dot products with every
    centroid of every subspace (``table``, (m, k)) summed along each row's codes."""
    m = codes.shape[1]
    for r in range(lo, hi):
        s = np.float32(0.0)
        for j in range(m):
            s += table[j, codes[r, j]]
        out[r] = s * scales[r]
    return 0


@numba.njit(nogil=True, fastmath=True, cache=True, boundscheck=False)
def nearest_centre(x, centres, labels, gaps, lo, hi):  # type: ignore[no-untyped-def]  # noqa: ANN001
    """labels[r] = the centre nearest to x[r] (squared Euclidean), gaps[r] that distance."""
    k, d = centres.shape
    for r in range(lo, hi):
        best = np.float32(np.inf)
        arg = 0
        for c in range(k):
            s = np.float32(0.0)
            for j in range(d):
                t = x[r, j] - centres[c, j]
                s += t * t
            if s < best:
                best = s
                arg = c
        labels[r] = arg
        gaps[r] = best
    return 0
