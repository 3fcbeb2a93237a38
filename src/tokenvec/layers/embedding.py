"""The token embedding layer: a (vocab, dim) matrix looked up by token id.

``Embedding(ids)`` equals ``one_hot(ids, vocab) @ W`` exactly, without the multiplications by
zero: row ``i`` of the output is row ``ids[i]`` of the weight. The gradient of that lookup is
sparse (only rows that were looked up receive any), so ``backward`` returns the unique ids and
their summed gradient rows instead of a dense (vocab, dim) array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tokenvec._checks import as_ids, as_matrix, float_dtype, positive_int
from tokenvec._native.memory import check_fits
from tokenvec._native.threads import split_run

if TYPE_CHECKING:
    from tokenvec.layers.optim import Optimizer

Init = Literal["normal", "uniform", "xavier", "zeros"]


@dataclass(frozen=True)
class SparseGrad:
    """Gradient of an embedding: ``rows[k]`` is the summed gradient of row ``ids[k]``.

    ``ids`` is sorted and unique; ids that never occurred have a zero gradient and are absent.
    """

    ids: np.ndarray  # (n_unique,) int64
    rows: np.ndarray  # (n_unique, dim)
    num_embeddings: int

    def to_dense(self) -> np.ndarray:
        """The same gradient as a dense (num_embeddings, dim) array."""
        dense = np.zeros((self.num_embeddings, self.rows.shape[1]), dtype=self.rows.dtype)
        dense[self.ids] = self.rows
        return dense


def init_weight(
    num_embeddings: int,
    embedding_dim: int,
    *,
    init: Init = "normal",
    std: float = 0.02,
    seed: int | None = None,
    dtype: Any = np.float32,
) -> np.ndarray:
    """A freshly initialised (num_embeddings, embedding_dim) weight.

    ``normal``: N(0, std²) (GPT-2 uses std=0.02); ``uniform``: U(-a, a) with the same variance
    (a = std·√3); ``xavier``: Glorot uniform, a = √(6 / (vocab + dim)); ``zeros``.

    >>> init_weight(3, 2, seed=0).shape
    (3, 2)
    """
    rng = np.random.default_rng(seed)
    shape = (num_embeddings, embedding_dim)
    dt = float_dtype(dtype)
    if init == "normal":
        w = rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
    elif init == "uniform":
        bound = std * np.sqrt(3.0)
        w = rng.uniform(-bound, bound, size=shape).astype(np.float32)
    elif init == "xavier":
        bound = np.sqrt(6.0 / (num_embeddings + embedding_dim))
        w = rng.uniform(-bound, bound, size=shape).astype(np.float32)
    elif init == "zeros":
        w = np.zeros(shape, dtype=np.float32)
    else:
        raise ValueError(f"unknown init {init!r}; choose normal, uniform, xavier or zeros")
    return w.astype(dt, copy=False)


# Outputs of at least this many bytes are gathered by several threads: one core cannot keep
# enough row reads in flight to reach memory bandwidth (measured: 2 threads halve the time of an
# 8 x 1024 x 768 lookup), while below it thread hand-off costs more than it saves.
PARALLEL_GATHER_BYTES = 4 * 2**20


def check_out(out: Any, shape: tuple[int, ...], dtype: Any, weight: np.ndarray) -> np.ndarray:
    """``out`` if a lookup may write its result there: an ndarray of ``shape`` and ``dtype``,
    C-contiguous, writeable, and not sharing memory with the weight."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy array, got {type(out).__name__}")
    if out.shape != shape or out.dtype != dtype:
        raise ValueError(
            f"out is {out.dtype} {out.shape}, the lookup gives {np.dtype(dtype)} {shape}"
        )
    if not (out.flags.c_contiguous and out.flags.writeable):
        raise ValueError("out must be C-contiguous and writeable")
    if np.shares_memory(out, weight):
        raise ValueError("out shares memory with the weight: the lookup would overwrite rows")
    return out


def gather_rows(weight: np.ndarray, ids: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``weight[ids]`` for validated integer ``ids`` of any shape: (...,) -> (..., dim).

    Large lookups are split across threads; ``np.take`` releases the GIL while it copies rows.
    ``out`` (checked by :func:`check_out`) receives the rows: one buffer reused across calls
    is allocated and page-faulted once (numpy's allocator already reuses a freed block of the
    same size, so here the two cost the same).

    >>> gather_rows(np.arange(6.0).reshape(3, 2), np.array([[2, 0]])).tolist()
    [[[4.0, 5.0], [0.0, 1.0]]]
    """
    dim = weight.shape[1]
    if out is None:
        out = np.empty((*ids.shape, dim), dtype=weight.dtype)  # (..., C)
    else:
        out = check_out(out, (*ids.shape, dim), weight.dtype, weight)
    flat_ids = ids.reshape(-1)
    flat_out = out.reshape(-1, dim)  # a view: writes land in out
    if out.nbytes < PARALLEL_GATHER_BYTES:
        # mode="clip" skips numpy's bounds handling: ids were checked by the caller.
        np.take(weight, flat_ids, axis=0, out=flat_out, mode="clip")
        return out
    split_run(
        lambda lo, hi: np.take(weight, flat_ids[lo:hi], 0, flat_out[lo:hi], "clip"), flat_ids.size
    )
    return out


# A rank shared by fewer ids than this ends the vectorised rounds: the rest of those ids'
# rows are summed id by id.
_FEW = 8


def sparse_row_sum(ids: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum the rows of ``grad`` that share an id.

    ``ids`` is (n,), ``grad`` is (n, dim). Returns sorted unique ids and their summed rows:
    ``[2, 0, 2], [[1], [2], [3]] -> [0, 2], [[2], [4]]``. Vectorised by rank: every id's first
    row is gathered at once, then every second row is added at once, and so on (each id's
    rows in their order in ``ids``); once fewer than ``_FEW`` ids have a row of the next rank,
    each of those few sums its remaining rows at once. ``add.reduceat`` on a matrix costs
    microseconds per id: 84 against 3.5 ms for 8,192 GPT-2 ids of 768 values.
    """
    if ids.size == 0:
        return ids.astype(np.int64), grad[:0]
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    first = np.empty(ids.size, dtype=bool)
    first[0] = True
    np.not_equal(sorted_ids[1:], sorted_ids[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    rows = grad[order[starts]]  # every id's first row
    counts = np.diff(np.append(starts, ids.size))
    k = np.flatnonzero(counts > 1)  # the ids with a row of the next rank
    r = 1
    while k.size >= _FEW:
        rows[k] += grad[order[starts[k] + r]]
        r += 1
        k = k[counts[k] > r]
    for i in k.tolist():  # a few ids repeated more: the rest of their rows at once
        rows[i] += grad[order[starts[i] + r : starts[i] + counts[i]]].sum(axis=0)
    return sorted_ids[starts].astype(np.int64), rows


class Embedding:
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``.

    >>> emb = Embedding(10, 4, seed=0)
    >>> emb([[1, 2, 3]]).shape
    (1, 3, 4)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        *,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        init: Init = "normal",
        std: float = 0.02,
        seed: int | None = None,
        dtype: Any = np.float32,
        _weight: np.ndarray | None = None,
    ) -> None:
        self.num_embeddings = positive_int(num_embeddings, "num_embeddings")
        if max_norm is not None and not (np.isfinite(max_norm) and max_norm > 0):
            raise ValueError(f"max_norm must be a positive number or None, got {max_norm!r}")
        if not (np.isfinite(norm_type) and norm_type > 0):
            raise ValueError(f"norm_type must be a positive number, got {norm_type!r}")
        self.max_norm = None if max_norm is None else float(max_norm)
        self.norm_type = float(norm_type)
        self.scale_grad_by_freq = bool(scale_grad_by_freq)
        self.embedding_dim = positive_int(embedding_dim, "embedding_dim")
        if padding_idx is not None:
            if isinstance(padding_idx, bool) or not isinstance(padding_idx, int | np.integer):
                raise TypeError(f"padding_idx must be an integer row or None, got {padding_idx!r}")
            padding_idx = int(padding_idx)
            if padding_idx < 0:
                padding_idx += self.num_embeddings
            if not 0 <= padding_idx < self.num_embeddings:
                raise IndexError(
                    f"padding_idx {padding_idx} is out of range for {self.num_embeddings} rows"
                )
        self.padding_idx = padding_idx
        self.frozen = False
        if _weight is None:
            # The random init makes float64 temporaries: about 3x the table at its peak.
            nbytes = self.num_embeddings * self.embedding_dim * 8 * 3
            check_fits(nbytes, f"an embedding of {self.num_embeddings:,} x {self.embedding_dim}")
            _weight = init_weight(
                self.num_embeddings, self.embedding_dim, init=init, std=std, seed=seed, dtype=dtype
            )
        self.weight: np.ndarray = _weight  # (vocab, dim)
        if padding_idx is not None:
            self.weight[padding_idx] = 0

    @classmethod
    def from_pretrained(
        cls,
        matrix: Any,
        *,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        allow_nan: bool = False,
        copy: bool = True,
    ) -> Embedding:
        """An embedding whose weight is ``matrix`` (vocab, dim); frozen unless ``freeze=False``.

        >>> Embedding.from_pretrained(np.eye(3, dtype=np.float32))([2]).tolist()
        [[0.0, 0.0, 1.0]]
        """
        weight = as_matrix(matrix, allow_nan=allow_nan, name="pretrained matrix", copy=copy)
        emb = cls(
            weight.shape[0], weight.shape[1], padding_idx=padding_idx, max_norm=max_norm,
            norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, _weight=weight,
        )  # fmt: skip
        emb.frozen = freeze
        return emb

    @property
    def shape(self) -> tuple[int, int]:
        return self.weight.shape  # type: ignore[return-value]

    def __repr__(self) -> str:
        extra = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        frozen = ", frozen" if self.frozen else ""
        return (
            f"Embedding({self.num_embeddings}, {self.embedding_dim}, "
            f"dtype={self.weight.dtype}{extra}{frozen})"
        )

    def __call__(self, ids: Any, out: np.ndarray | None = None) -> np.ndarray:
        """Look up ``ids`` of any shape (...,) and return (..., dim), written into ``out``
        when given (a C-contiguous array of that shape and the weight's dtype, reused across
        calls so its pages are mapped once)."""
        idx = as_ids(ids, self.num_embeddings)
        if self.max_norm is not None:
            self.renorm(idx)
        return gather_rows(self.weight, idx, out)  # (..., C)

    def renorm(self, ids: Any) -> None:
        """Scale, in place, the rows of ``ids`` whose ``norm_type``-norm exceeds ``max_norm``
        down to it (``max_norm / (norm + 1e-7)``, as torch's ``embedding_renorm_``); a lookup
        with ``max_norm`` set does this first, as torch does, frozen or not."""
        if self.max_norm is None:
            return
        rows = np.unique(as_ids(ids, self.num_embeddings))
        w = self.weight[rows].astype(np.float32)
        norms = np.linalg.norm(w, ord=self.norm_type, axis=1)
        big = norms > self.max_norm
        if big.any():
            scale = (self.max_norm / (norms[big] + 1e-7)).astype(np.float32)
            self.weight[rows[big]] = (w[big] * scale[:, None]).astype(self.weight.dtype)

    forward = __call__

    def backward(self, ids: Any, grad_out: Any) -> SparseGrad:
        """Gradient of the loss with respect to the weight, given d loss / d output.

        ``grad_out`` has shape ``ids.shape + (dim,)``. Repeated ids accumulate; the padding row
        gets no gradient. Equal to ``one_hot(ids).T @ grad_out`` restricted to its non-zero rows.
        """
        idx = as_ids(ids, self.num_embeddings)
        grad = np.asarray(grad_out)
        expected = (*idx.shape, self.embedding_dim)
        if grad.shape != expected:
            raise ValueError(
                f"grad_out has shape {grad.shape}, expected {expected} (ids shape + embedding_dim)"
            )
        flat_ids = idx.reshape(-1)
        flat_grad = grad.reshape(-1, self.embedding_dim).astype(self.weight.dtype, copy=False)
        if self.padding_idx is not None:
            keep = flat_ids != self.padding_idx
            flat_ids, flat_grad = flat_ids[keep], flat_grad[keep]
        if self.scale_grad_by_freq and flat_ids.size:
            # Each occurrence's gradient divided by how often its id occurs in the batch.
            _, inv, counts = np.unique(flat_ids, return_inverse=True, return_counts=True)
            flat_grad = flat_grad / counts[inv, None].astype(flat_grad.dtype)
        uniq, rows = sparse_row_sum(flat_ids, flat_grad)
        return SparseGrad(uniq, rows, self.num_embeddings)

    def apply_gradient(
        self, grad: SparseGrad, *, lr: float = 0.01, optimizer: Optimizer | None = None
    ) -> None:
        """Update only the rows in ``grad``: plain SGD with ``lr``, or the given optimizer."""
        if self.frozen:
            raise RuntimeError(
                "this embedding is frozen (from_pretrained freezes by default); "
                "set emb.frozen = False or load with freeze=False to train it"
            )
        if grad.num_embeddings != self.num_embeddings or grad.rows.shape[1:] != (
            self.embedding_dim,
        ):
            raise ValueError(
                f"gradient is for a ({grad.num_embeddings}, {grad.rows.shape[1]}) embedding, "
                f"this one is ({self.num_embeddings}, {self.embedding_dim})"
            )
        if optimizer is None:
            from tokenvec.layers.optim import SGD

            optimizer = SGD(lr=lr)
        optimizer.step(self.weight, grad.ids, grad.rows)
        if self.padding_idx is not None:
            self.weight[self.padding_idx] = 0

    def as_linear(self) -> Linear:
        """The equivalent ``Linear(vocab, dim)`` layer for one-hot input: its weight is W.T."""
        return Linear(self.weight.T)


def one_hot(ids: Any, num_classes: int, *, dtype: Any = np.float32) -> np.ndarray:
    """One-hot encode ``ids`` (...,) into (..., num_classes).

    >>> one_hot([2, 0], 3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    idx = as_ids(ids, positive_int(num_classes, "num_classes"))
    out = np.zeros((idx.size, num_classes), dtype=dtype)
    out[np.arange(idx.size), idx.reshape(-1)] = 1
    return out.reshape(*idx.shape, num_classes)


class Linear:
    """``y = x @ weight.T (+ bias)``, laid out as PyTorch's ``nn.Linear`` (weight is (out, in)).

    With one-hot input and ``weight = W.T`` it computes exactly what ``Embedding(W)`` looks up.

    >>> Linear(np.eye(2, dtype=np.float32))(np.ones((1, 2), np.float32)).tolist()
    [[1.0, 1.0]]
    """

    def __init__(self, weight: np.ndarray, bias: np.ndarray | None = None) -> None:
        self.weight = np.asarray(weight)  # (out, in)
        if self.weight.ndim != 2:
            raise ValueError(f"Linear weight must be 2-D (out, in), got shape {self.weight.shape}")
        self.bias = None if bias is None else np.asarray(bias)

    @property
    def in_features(self) -> int:
        return int(self.weight.shape[1])

    @property
    def out_features(self) -> int:
        return int(self.weight.shape[0])

    def __call__(self, x: Any) -> np.ndarray:
        arr = np.asarray(x)
        if arr.shape[-1:] != (self.in_features,):
            raise ValueError(
                f"Linear expects inputs with last dimension {self.in_features}, got {arr.shape}"
            )
        y = arr @ self.weight.T  # (..., in) @ (in, out) -> (..., out)
        return y if self.bias is None else y + self.bias
