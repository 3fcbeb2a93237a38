"""Principal axes, written once: the PCA of :meth:`Vectors.reduce`, the 2-D maps of the plots
and the playground, and the common component that SIF pooling removes all use these axes."""

from __future__ import annotations

import numpy as np


def principal_axes(
    x: np.ndarray, dims: int, *, center: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, axes)``: the mean of the rows of ``x`` (zeros with ``center=False``) and their
    first ``dims`` principal axes as columns, (C,) and (C, min(dims, C)), float64.

    An eigendecomposition of the C x C (co)variance: one pass over the rows however many there
    are. Each axis is signed so that the row with its largest projection projects positively,
    so the same rows always give the same axes.

    >>> mean, axes = principal_axes(np.array([[0.0, 0.0], [1.0, 0.1], [5.0, 0.0]]), 1)
    >>> round(float(axes[0, 0]), 3)  # along x, pointing to the far row
    1.0
    """
    x64 = np.asarray(x, dtype=np.float64)
    mean = x64.mean(axis=0) if center else np.zeros(x64.shape[1])
    centred = x64 - mean
    cov = centred.T @ centred / max(x64.shape[0] - 1, 1)
    _, vecs = np.linalg.eigh(cov)
    dims = min(dims, x64.shape[1])
    axes = vecs[:, ::-1][:, :dims]
    scores = centred @ axes
    top = np.abs(scores).argmax(axis=0)
    signs = np.sign(scores[top, np.arange(dims)])
    signs[signs == 0] = 1.0
    return mean, axes * signs


def project_2d_pca(x: np.ndarray) -> np.ndarray:
    """The rows of ``x`` on their first two principal axes: (n, 2), zero-padded when ``x`` has
    fewer than two dimensions.

    >>> project_2d_pca(np.eye(3)).shape
    (3, 2)
    """
    mean, axes = principal_axes(x, 2)
    out = (np.asarray(x, dtype=np.float64) - mean) @ axes
    return np.pad(out, ((0, 0), (0, 2 - out.shape[1]))) if out.shape[1] < 2 else out
