"""Row-wise top-k of a score block, compiled, with its numpy reference.

``np.argpartition`` on a (queries, N) block is single-threaded and touches every element
several times; a compiled scan that keeps the k best of each row in a small sorted buffer reads
each score once, and rows are split across threads (the kernel releases the GIL).
"""

from __future__ import annotations

import numpy as np

from tokenvec._native.jit import LazyKernel


def topk_rows_reference(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores of each row, best first: (q, N) -> (q, k).

    Ties keep the lower index first.

    >>> topk_rows_reference(np.array([[0.1, 0.9, 0.5]]), 2).tolist()
    [[1, 2]]
    """
    k = min(k, scores.shape[1])
    if k == 0:
        return np.zeros((scores.shape[0], 0), dtype=np.int64)
    order = np.argsort(-scores, axis=1, kind="stable")
    return order[:, :k].astype(np.int64)


def topk_row_numpy(scores: np.ndarray, k: int, block: int = 256) -> np.ndarray:
    """The ``k`` largest of one row of scores, best first, ties keeping the lower index first
    (exactly :func:`topk_rows_reference`), with numpy alone and two passes over the row.

    The k-th largest of the blocks' maxima is a floor: the k blocks with the largest maxima hold
    k scores at or above it, so every score of the top k (ties included) is too. Only the few
    scores above the floor are sorted.

    >>> topk_row_numpy(np.array([0.5, 0.9, 0.5, 0.1]), 2).tolist()
    [1, 0]
    """
    n = scores.shape[0]
    k = min(k, n)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    m = n // block
    if m < 4 * k:  # short rows: a stable sort of everything is as fast
        return np.argsort(-scores, kind="stable")[:k].astype(np.int64)
    maxima = scores[: m * block].reshape(m, block).max(axis=1)
    floor = np.partition(maxima, m - k)[m - k]
    candidates = np.flatnonzero(scores >= floor)
    order = np.argsort(-scores[candidates], kind="stable")[:k]
    return candidates[order].astype(np.int64)


def topk_mean(scores: np.ndarray, k: int) -> np.ndarray:
    """The mean of the ``k`` largest scores of each row: (q, N) -> (q,) (CSLS's neighbourhood
    density). One partition per row; the k values need no order.

    >>> topk_mean(np.array([[0.1, 0.9, 0.5]]), 2).tolist()
    [0.7]
    """
    k = min(k, scores.shape[1])
    if k == 0:
        return np.zeros(scores.shape[0], dtype=scores.dtype)
    return np.partition(scores, scores.shape[1] - k, axis=1)[:, -k:].mean(axis=1)


def _compile() -> object:
    import numba

    @numba.njit(nogil=True, cache=True, boundscheck=False)
    def topk_rows(scores, k, out, lo, hi):  # type: ignore[no-untyped-def]  # noqa: ANN001
        n = scores.shape[1]
        best = np.empty(k, dtype=scores.dtype)
        for r in range(lo, hi):
            filled = 0
            row = scores[r]
            for j in range(n):
                s = row[j]
                if filled == k and not s > best[k - 1]:
                    continue
                # insert s keeping best[] descending; equal scores keep the earlier index first
                pos = filled if filled < k else k - 1
                while pos > 0 and s > best[pos - 1]:
                    if pos < k:
                        best[pos] = best[pos - 1]
                        out[r, pos] = out[r, pos - 1]
                    pos -= 1
                best[pos] = s
                out[r, pos] = j
                if filled < k:
                    filled += 1
        return 0

    return topk_rows


_kernel = LazyKernel(_compile)  # type: ignore[arg-type]


def topk_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Compiled :func:`topk_rows_reference` (float32/float64 scores without NaN)."""
    from tokenvec._native.threads import split_run

    k = min(k, scores.shape[1])
    q = scores.shape[0]
    if k == 0 or q == 0:
        return np.zeros((q, k), dtype=np.int64)
    out = np.zeros((q, k), dtype=np.int64)
    kernel = _kernel.get()
    # Small blocks are not worth a thread hand-off.
    split_run(
        lambda lo, hi: kernel(scores, k, out, lo, hi), q, 1 if scores.size < 1_000_000 else None
    )  # type: ignore[operator]
    return out
