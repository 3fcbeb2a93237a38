"""PyTorch integration (extra ``torch``): conversions and an ``nn.Module`` input embedding.

Parameter names follow GPT-2's checkpoint (``wte``, ``wpe``) so weights load by name.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from tokenvec.embedding import Embedding
from tokenvec.positional import InputEmbedding as NumpyInputEmbedding
from tokenvec.positional import LearnedPositionalEmbedding, sinusoidal_table


def to_torch(
    emb: Embedding, *, freeze: bool | None = None, device: Any = None
) -> torch.nn.Embedding:
    """An ``nn.Embedding`` with the same weight (copied) and padding row.

    ``freeze`` defaults to the tokenvec layer's own ``frozen`` flag.
    """
    weight = torch.from_numpy(np.array(emb.weight, copy=True))
    module = nn.Embedding.from_pretrained(
        weight,
        freeze=emb.frozen if freeze is None else freeze,
        padding_idx=emb.padding_idx,
    )
    return module.to(device) if device is not None else module


def from_torch(module: torch.nn.Embedding) -> Embedding:
    """A tokenvec ``Embedding`` with the module's weight (copied to host memory)."""
    if not isinstance(module, nn.Embedding):
        raise TypeError(f"expected torch.nn.Embedding, got {type(module).__name__}")
    weight = module.weight.detach().to("cpu").numpy().copy()
    emb = Embedding.from_pretrained(
        weight, freeze=not module.weight.requires_grad, padding_idx=module.padding_idx, copy=False
    )
    return emb


class SinusoidalPositions(nn.Module):
    """Fixed sinusoidal positions as a non-trainable buffer, indexed like ``nn.Embedding``."""

    def __init__(self, max_len: int, dim: int, base: float = 10000.0) -> None:
        super().__init__()
        table = torch.from_numpy(sinusoidal_table(max_len, dim, base=base))
        self.register_buffer("weight", table, persistent=False)
        self.num_embeddings = max_len

    def forward(self, pos: torch.Tensor) -> torch.Tensor:
        return self.weight[pos]  # (T, C)


class InputEmbedding(nn.Module):
    """Token embedding + positional embedding + dropout: idx (B, T) -> (B, T, C).

    >>> m = InputEmbedding(100, 8, max_len=16)
    >>> tuple(m(torch.zeros(2, 5, dtype=torch.long)).shape)
    (2, 5, 8)
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        *,
        max_len: int = 1024,
        positional: Literal["learned", "sinusoidal"] = "learned",
        dropout: float = 0.0,
        std: float = 0.02,
        check_ids: bool = True,
    ) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab_size, embedding_dim)
        nn.init.normal_(self.wte.weight, mean=0.0, std=std)
        self.wpe: nn.Module
        if positional == "learned":
            self.wpe = nn.Embedding(max_len, embedding_dim)
            nn.init.normal_(self.wpe.weight, mean=0.0, std=std)
        elif positional == "sinusoidal":
            self.wpe = SinusoidalPositions(max_len, embedding_dim)
        else:
            raise ValueError(f"positional must be 'learned' or 'sinusoidal', got {positional!r}")
        self.drop = nn.Dropout(dropout)
        self.max_len = max_len
        self.check_ids = check_ids

    @classmethod
    def from_numpy(cls, layer: NumpyInputEmbedding, *, dropout: float = 0.0) -> InputEmbedding:
        """The torch twin of a tokenvec ``InputEmbedding`` (weights copied)."""
        learned = isinstance(layer.wpe, LearnedPositionalEmbedding)
        module = cls(
            layer.wte.num_embeddings,
            layer.wte.embedding_dim,
            max_len=layer.max_len,
            positional="learned" if learned else "sinusoidal",
            dropout=dropout,
        )
        with torch.no_grad():
            module.wte.weight.copy_(torch.from_numpy(layer.wte.weight))
            if learned:
                module.wpe.weight.copy_(torch.from_numpy(layer.wpe.weight))
        return module

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        _, t = idx.shape
        if t > self.max_len:
            raise ValueError(
                f"sequence length {t} exceeds max_len {self.max_len} of the positional embedding"
            )
        if self.check_ids and idx.device.type == "cpu" and idx.numel():
            lo, hi = int(idx.min()), int(idx.max())
            if lo < 0 or hi >= self.wte.num_embeddings:
                bad = lo if lo < 0 else hi
                raise IndexError(
                    f"id {bad} is out of range for an embedding with {self.wte.num_embeddings} rows"
                )
        pos = torch.arange(t, device=idx.device)  # (T,)
        tok_emb = self.wte(idx)  # (B, T, C)
        pos_emb = self.wpe(pos)  # (T, C)
        return self.drop(tok_emb + pos_emb)  # (B, T, C)


__all__ = ["InputEmbedding", "SinusoidalPositions", "from_torch", "to_torch"]
