"""Positional embeddings and the input embedding of a transformer.

A lookup gives the same vector to a token wherever it stands, so "dog bites man" and
"man bites dog" would look alike. Adding a vector that depends on the position fixes that:
either learned (GPT-2's ``wpe``, a (max_len, dim) table trained like the token table) or fixed
sinusoids (Vaswani et al., 2017).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from tokenvec._checks import as_ids, float_dtype, positive_int
from tokenvec.layers.embedding import Embedding, SparseGrad


def sinusoidal_table(
    max_len: int, dim: int, *, base: float = 10000.0, dtype: Any = np.float32
) -> np.ndarray:
    """The fixed table PE[p, 2i] = sin(p / base^(2i/dim)), PE[p, 2i+1] = cos(p / base^(2i/dim)).

    >>> sinusoidal_table(2, 4, dtype=np.float64)[1].round(4).tolist()
    [0.8415, 0.5403, 0.01, 1.0]
    """
    positive_int(max_len, "max_len")
    positive_int(dim, "dim")
    pos = np.arange(max_len, dtype=np.float64)[:, None]  # (T, 1)
    freq = base ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)  # (ceil(C/2),)
    angles = pos * freq  # (T, ceil(C/2))
    table = np.empty((max_len, dim), dtype=np.float64)
    table[:, 0::2] = np.sin(angles)
    table[:, 1::2] = np.cos(angles[:, : dim // 2])
    return table.astype(float_dtype(dtype))


def _positions(seq_len: int, offset: int, max_len: int) -> np.ndarray:
    if seq_len + offset > max_len:
        raise ValueError(
            f"sequence length {seq_len}"
            + (f" at offset {offset}" if offset else "")
            + f" exceeds max_len {max_len} of the positional embedding; "
            f"split the input into windows of at most {max_len} tokens"
        )
    return np.arange(offset, offset + seq_len)


class LearnedPositionalEmbedding(Embedding):
    """A learned (max_len, dim) table indexed by position, as GPT-2's ``wpe``.

    >>> LearnedPositionalEmbedding(8, 4, seed=0).positions(3).shape
    (3, 4)
    """

    @property
    def max_len(self) -> int:
        return self.num_embeddings

    def positions(self, seq_len: int, offset: int = 0) -> np.ndarray:
        """Position vectors for positions offset .. offset + seq_len - 1: (T, C)."""
        return np.take(self.weight, _positions(seq_len, offset, self.max_len), axis=0)


class SinusoidalPositionalEmbedding:
    """Fixed sinusoidal position vectors (no parameters, no gradient).

    >>> SinusoidalPositionalEmbedding(8, 4).positions(3).shape
    (3, 4)
    """

    def __init__(
        self, max_len: int, embedding_dim: int, *, base: float = 10000.0, dtype: Any = np.float32
    ) -> None:
        self.max_len = positive_int(max_len, "max_len")
        self.embedding_dim = positive_int(embedding_dim, "embedding_dim")
        self.weight = sinusoidal_table(max_len, embedding_dim, base=base, dtype=dtype)  # (T, C)

    def positions(self, seq_len: int, offset: int = 0) -> np.ndarray:
        """Position vectors for positions offset .. offset + seq_len - 1: (T, C)."""
        return self.weight[_positions(seq_len, offset, self.max_len)]

    def __repr__(self) -> str:
        return f"SinusoidalPositionalEmbedding({self.max_len}, {self.embedding_dim})"


@dataclass(frozen=True)
class InputGrads:
    """Gradients of an ``InputEmbedding``; ``wpe`` is None for fixed sinusoidal positions."""

    wte: SparseGrad
    wpe: SparseGrad | None  # rows 0..T-1 of the position table


class InputEmbedding:
    """Token embedding plus positional embedding: ids (B, T) -> (B, T, C).

    >>> InputEmbedding(100, 8, max_len=16, seed=0)(np.zeros((2, 5), int)).shape
    (2, 5, 8)
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        *,
        max_len: int = 1024,
        positional: Literal["learned", "sinusoidal"] = "learned",
        std: float = 0.02,
        seed: int | None = None,
        dtype: Any = np.float32,
    ) -> None:
        rng = np.random.default_rng(seed)
        tok_seed, pos_seed = (int(s) for s in rng.integers(0, 2**63 - 1, size=2))
        self.wte = Embedding(vocab_size, embedding_dim, std=std, seed=tok_seed, dtype=dtype)
        self.wpe: LearnedPositionalEmbedding | SinusoidalPositionalEmbedding
        if positional == "learned":
            self.wpe = LearnedPositionalEmbedding(
                max_len, embedding_dim, std=std, seed=pos_seed, dtype=dtype
            )
        elif positional == "sinusoidal":
            self.wpe = SinusoidalPositionalEmbedding(max_len, embedding_dim, dtype=dtype)
        else:
            raise ValueError(f"positional must be 'learned' or 'sinusoidal', got {positional!r}")

    @property
    def max_len(self) -> int:
        return self.wpe.max_len

    def __repr__(self) -> str:
        return f"InputEmbedding(wte={self.wte!r}, wpe={self.wpe!r})"

    def __call__(self, ids: Any) -> np.ndarray:
        idx = as_ids(ids, self.wte.num_embeddings)
        if idx.ndim not in (1, 2):
            raise ValueError(f"ids must be (T,) or (B, T), got shape {idx.shape}")
        tok = self.wte(idx)  # (B, T, C)
        pos = self.wpe.positions(idx.shape[-1])  # (T, C)
        return tok + pos  # broadcast over B -> (B, T, C)

    forward = __call__

    def backward(self, ids: Any, grad_out: Any) -> InputGrads:
        """Gradients of both tables; the position gradient sums over the batch."""
        idx = as_ids(ids, self.wte.num_embeddings)
        grad = np.asarray(grad_out)
        tok = self.wte.backward(idx, grad)
        if isinstance(self.wpe, SinusoidalPositionalEmbedding):
            return InputGrads(tok, None)
        seq_len = idx.shape[-1]
        pos = grad.reshape(-1, seq_len, grad.shape[-1]).sum(axis=0)  # (T, C)
        return InputGrads(tok, SparseGrad(np.arange(seq_len), pos, self.wpe.max_len))

    def apply_gradient(self, grads: InputGrads, *, lr: float = 0.01) -> None:
        """Plain SGD on both tables (use each table's ``apply_gradient`` for other optimizers)."""
        self.wte.apply_gradient(grads.wte, lr=lr)
        if grads.wpe is not None and isinstance(self.wpe, LearnedPositionalEmbedding):
            self.wpe.apply_gradient(grads.wpe, lr=lr)
