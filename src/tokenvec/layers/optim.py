"""Row-sparse optimizers: they touch only the embedding rows that received a gradient.

A batch of 8 x 1024 GPT-2 tokens looks up at most 8192 of 50257 rows, so updating the whole
matrix would waste most of the work. ``Adam`` follows ``torch.optim.SparseAdam`` step for step
(moments of absent rows are left as they are), which the tests check against torch.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np


class Optimizer(Protocol):
    def step(self, weight: np.ndarray, ids: np.ndarray, rows: np.ndarray) -> None:
        """Update ``weight[ids]`` in place given the summed gradient ``rows``."""


class SGD:
    """``w[ids] -= lr * grad``.

    >>> w = np.ones((3, 1), np.float32); SGD(0.5).step(w, np.array([1]), np.ones((1, 1)))
    >>> w.ravel().tolist()
    [1.0, 0.5, 1.0]
    """

    def __init__(self, lr: float = 0.01) -> None:
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        self.lr = lr

    def step(self, weight: np.ndarray, ids: np.ndarray, rows: np.ndarray) -> None:
        weight[ids] -= (self.lr * rows).astype(weight.dtype, copy=False)


class Adam:
    """Lazy (sparse) Adam, the update of ``torch.optim.SparseAdam``.

    One instance keeps the moment estimates of one weight matrix; using it on a matrix of
    another shape is an error.
    """

    def __init__(
        self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        self.lr, self.betas, self.eps = lr, betas, eps
        self.t = 0
        self.m: np.ndarray | None = None
        self.v: np.ndarray | None = None

    def step(self, weight: np.ndarray, ids: np.ndarray, rows: np.ndarray) -> None:
        if self.m is None or self.v is None:
            self.m = np.zeros_like(weight)
            self.v = np.zeros_like(weight)
        elif self.m.shape != weight.shape:
            raise ValueError(
                f"this Adam holds state for a {self.m.shape} matrix, not {weight.shape}; "
                f"use one Adam per embedding"
            )
        b1, b2 = self.betas
        self.t += 1
        g = rows.astype(weight.dtype, copy=False)
        m = b1 * self.m[ids] + (1 - b1) * g  # (n, C)
        v = b2 * self.v[ids] + (1 - b2) * g * g  # (n, C)
        self.m[ids], self.v[ids] = m, v
        step = self.lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        weight[ids] -= (step * m / (np.sqrt(v) + self.eps)).astype(weight.dtype, copy=False)
