"""Bags of embeddings: one vector per bag of ids (sum, mean or max of their rows).

A bag is ``counts(ids) @ W``: the sum of the bag's one-hot rows times the weight, computed
without the zeros, exactly as :class:`~tokenvec.layers.embedding.Embedding` computes one row.
The API is ``torch.nn.EmbeddingBag``'s: a 2-D batch of equal-length bags, or 1-D ids cut by
``offsets`` (bags may be empty), ``per_sample_weights`` in sum mode, ``padding_idx`` entries left
out of their bag, ``include_last_offset``; empty bags give zeros. The backward gives the sparse
gradient of the rows used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from tokenvec._checks import as_ids
from tokenvec._native.jit import LazyKernel
from tokenvec.layers.embedding import Embedding, SparseGrad, sparse_row_sum

Mode = Literal["sum", "mean", "max"]
_MODES = {"sum": 0, "mean": 1, "max": 2}


def _compile() -> object:
    from tokenvec._native.bag_numba import bag_reduce

    return bag_reduce


_kernel = LazyKernel(_compile)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Bags:
    """Flat ids (padding left out) and, for each, its bag: what every mode reduces."""

    ids: np.ndarray  # (n,) int64, the kept ids in bag order
    bag: np.ndarray  # (n,) int64, the bag of each
    weights: np.ndarray | None  # (n,) per-sample weights, or None
    n_bags: int
    counts: np.ndarray  # (n_bags,) kept ids per bag
    starts: np.ndarray  # (k,) where each non-empty bag starts in ids
    nonempty: np.ndarray  # (k,) which bags are non-empty


class EmbeddingBag:
    """``mode`` ("sum", "mean", "max") of the rows of each bag of ids: (bags, dim).

    The table is an :class:`Embedding` (``.embedding``: its weight, padding row, freezing and
    sparse updates); this layer pools its rows.

    >>> bag = EmbeddingBag.from_pretrained(np.eye(3, dtype=np.float32), mode="sum")
    >>> bag([0, 2, 2, 1], offsets=[0, 3, 3]).tolist()    # bags [0 2 2], [], [1]
    [[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        *,
        mode: Mode = "mean",
        include_last_offset: bool = False,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("scale_grad_by_freq"):
            raise ValueError("scale_grad_by_freq is not supported for bags (only for Embedding)")
        self.embedding = Embedding(num_embeddings, embedding_dim, **kwargs)
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"mode must be 'sum', 'mean' or 'max', got {mode!r}")
        self.mode: Mode = mode
        self.include_last_offset = bool(include_last_offset)

    @classmethod
    def from_pretrained(
        cls,
        matrix: Any,
        *,
        mode: Mode = "mean",
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        include_last_offset: bool = False,
        allow_nan: bool = False,
        copy: bool = True,
    ) -> EmbeddingBag:
        """A bag layer over ``matrix`` (vocab, dim); frozen unless ``freeze=False``."""
        emb = Embedding.from_pretrained(
            matrix, freeze=freeze, padding_idx=padding_idx, allow_nan=allow_nan, copy=copy
        )
        out = cls(
            emb.num_embeddings, emb.embedding_dim, mode=mode, padding_idx=padding_idx,
            max_norm=max_norm, norm_type=norm_type, include_last_offset=include_last_offset,
            _weight=emb.weight,
        )  # fmt: skip
        out.embedding.frozen = freeze
        return out

    # The table's attributes, read through to the Embedding that holds it.
    @property
    def weight(self) -> np.ndarray:
        return self.embedding.weight

    @property
    def num_embeddings(self) -> int:
        return self.embedding.num_embeddings

    @property
    def embedding_dim(self) -> int:
        return self.embedding.embedding_dim

    @property
    def padding_idx(self) -> int | None:
        return self.embedding.padding_idx

    def apply_gradient(self, grad: SparseGrad, **kwargs: Any) -> None:
        """Update the rows in ``grad`` (see :meth:`Embedding.apply_gradient`)."""
        self.embedding.apply_gradient(grad, **kwargs)

    def __repr__(self) -> str:
        return repr(self.embedding).replace("Embedding(", "EmbeddingBag(", 1)[:-1] + (
            f", mode={self.mode!r})"
        )

    # --- bags ----------------------------------------------------------------------------

    def _bags(self, ids: Any, offsets: Any, per_sample_weights: Any) -> _Bags:
        idx = as_ids(ids, self.num_embeddings)
        if idx.ndim == 2:
            if offsets is not None:
                raise ValueError("offsets must be None when ids is 2-D (one bag per row)")
            n_bags, length = idx.shape
            bounds = np.arange(n_bags + 1, dtype=np.int64) * length
        elif idx.ndim == 1:
            if offsets is None:
                raise ValueError("1-D ids need offsets (where each bag starts)")
            bounds = self._bounds(offsets, idx.size)
            n_bags = bounds.size - 1
        else:
            raise ValueError(f"ids must be 1-D with offsets or 2-D, got {idx.ndim}-D")
        flat = idx.reshape(-1).astype(np.int64, copy=False)
        weights = None
        if per_sample_weights is not None:
            if self.mode != "sum":
                raise ValueError(
                    f"per_sample_weights work in mode 'sum' only (this bag is {self.mode!r})"
                )
            weights = np.asarray(per_sample_weights)
            if weights.shape != idx.shape:
                raise ValueError(
                    f"per_sample_weights has shape {weights.shape}, ids have {idx.shape}"
                )
            if weights.dtype.kind != "f":
                raise TypeError(f"per_sample_weights must be floats, got {weights.dtype}")
            weights = weights.reshape(-1).astype(self.weight.dtype, copy=False)
        bag = np.repeat(np.arange(n_bags, dtype=np.int64), np.diff(bounds))
        if self.padding_idx is not None:
            keep = flat != self.padding_idx
            flat, bag = flat[keep], bag[keep]
            weights = weights[keep] if weights is not None else None
        counts = np.bincount(bag, minlength=n_bags).astype(np.int64)
        nonempty = np.flatnonzero(counts)
        starts = np.concatenate([[0], np.cumsum(counts)])[nonempty]
        return _Bags(flat, bag, weights, n_bags, counts, starts, nonempty)

    def _bounds(self, offsets: Any, n: int) -> np.ndarray:
        off = np.asarray(offsets)
        if off.ndim != 1 or off.dtype.kind not in "iu":
            raise TypeError(f"offsets must be a 1-D array of integers, got {off.dtype} {off.shape}")
        off = off.astype(np.int64)
        if self.include_last_offset:
            if off.size == 0:
                raise ValueError("include_last_offset needs at least one offset (the end)")
            bounds = off
            if off[-1] != n:
                raise ValueError(f"the last offset is {off[-1]}, it must be len(ids) = {n}")
        else:
            bounds = np.concatenate([off, [n]])
        if bounds.size and bounds[0] != 0:
            raise ValueError(f"the first offset must be 0, got {bounds[0]}")
        if (np.diff(bounds) < 0).any() or (bounds.size and bounds[-1] > n):
            raise ValueError(f"offsets must rise from 0 and stay within the {n} ids")
        return bounds

    # --- forward and backward ------------------------------------------------------------

    def _reduce(self, b: _Bags) -> tuple[np.ndarray, np.ndarray | None]:
        """(bags, dim) output and, in max mode, the id giving each non-empty (bag, dim) its
        value; compiled (each bag summed in order, as torch does)."""
        dim = self.embedding_dim
        out = np.zeros((b.n_bags, dim), dtype=self.weight.dtype)
        winners = np.zeros((b.starts.size, dim), dtype=np.int64)
        if b.ids.size:
            weight = np.ascontiguousarray(self.weight)
            use = b.weights is not None
            w = b.weights if use else np.zeros(1, dtype=weight.dtype)
            ends = b.starts + b.counts[b.nonempty]
            _kernel.get()(weight, b.ids, b.starts, ends, b.nonempty, w, use,
                          _MODES[self.mode], out, winners)  # fmt: skip
        return out, (winners if self.mode == "max" else None)

    def reference(
        self, ids: Any, offsets: Any = None, per_sample_weights: Any = None
    ) -> np.ndarray:
        """The plain-numpy definition the compiled forward is tested against: each bag's
        rows, weighted, reduced in order."""
        b = self._bags(ids, offsets, per_sample_weights)
        out = np.zeros((b.n_bags, self.embedding_dim), dtype=self.weight.dtype)
        for k, bag in enumerate(b.nonempty.tolist()):
            sl = slice(int(b.starts[k]), int(b.starts[k] + b.counts[bag]))
            rows = self.weight[b.ids[sl]]
            if b.weights is not None:
                rows = rows * b.weights[sl, None]
            acc = rows[0].copy()
            for r in rows[1:]:
                acc = np.maximum(acc, r) if self.mode == "max" else acc + r
            out[bag] = acc / np.float32(len(rows)) if self.mode == "mean" else acc
        return out

    def __call__(self, ids: Any, offsets: Any = None, per_sample_weights: Any = None) -> np.ndarray:
        """One vector per bag: (bags, dim). With ``max_norm``, the rows used are first
        renormalised in place, as torch does."""
        bags = self._bags(ids, offsets, per_sample_weights)
        if self.embedding.max_norm is not None and bags.ids.size:
            self.embedding.renorm(bags.ids)
        return self._reduce(bags)[0]

    forward = __call__

    def backward(
        self, ids: Any, grad_out: Any, offsets: Any = None, per_sample_weights: Any = None
    ) -> SparseGrad:
        """Gradient with respect to the weight given d loss / d output (bags, dim): each row
        gets its bags' gradients (weighted in sum mode, divided by the bag's size in mean
        mode; in max mode only the row that gave a dimension its maximum gets it)."""
        b = self._bags(ids, offsets, per_sample_weights)
        grad = np.asarray(grad_out)
        if grad.shape != (b.n_bags, self.embedding_dim):
            raise ValueError(
                f"grad_out has shape {grad.shape}, expected {(b.n_bags, self.embedding_dim)}"
            )
        grad = grad.astype(self.weight.dtype, copy=False)
        if self.mode == "max":
            _, winners = self._reduce(b)  # (k, C) ids
            assert winners is not None
            uniq, inv = np.unique(winners, return_inverse=True)
            rows = np.zeros((uniq.size, self.embedding_dim), dtype=self.weight.dtype)
            cols = np.broadcast_to(np.arange(self.embedding_dim), winners.shape)
            np.add.at(rows, (inv.reshape(winners.shape), cols), grad[b.nonempty])
            return SparseGrad(uniq.astype(np.int64), rows, self.num_embeddings)
        per = grad[b.bag]  # (n, C)
        if self.mode == "mean":
            per = per / b.counts[b.bag, None].astype(per.dtype)
        elif b.weights is not None:
            per = per * b.weights[:, None]
        uniq, rows = sparse_row_sum(b.ids, per)
        return SparseGrad(uniq, rows, self.num_embeddings)
