"""PyTorch integration (extra ``torch``): conversions and an ``nn.Module`` input embedding.

Parameter names follow GPT-2's checkpoint (``wte``, ``wpe``) so weights load by name.
"""

from __future__ import annotations

from typing import Any, Literal, overload

import numpy as np
import torch
from torch import nn

from tokenvec.layers.bag import EmbeddingBag
from tokenvec.layers.embedding import Embedding
from tokenvec.layers.positional import InputEmbedding as NumpyInputEmbedding
from tokenvec.layers.positional import LearnedPositionalEmbedding, sinusoidal_table


def to_torch(
    emb: Embedding | EmbeddingBag, *, freeze: bool | None = None, device: Any = None
) -> Any:
    """The torch twin of a tokenvec layer: an ``nn.Embedding`` for an :class:`Embedding`, an
    ``nn.EmbeddingBag`` for an :class:`EmbeddingBag`, with the same weight (copied), padding
    row, ``max_norm`` and mode, so both give the same outputs and gradients.

    ``freeze`` defaults to the tokenvec layer's own ``frozen`` flag.
    """
    table = emb.embedding if isinstance(emb, EmbeddingBag) else emb
    if not isinstance(table, Embedding):
        raise TypeError(f"expected a tokenvec Embedding or EmbeddingBag, got {type(emb).__name__}")
    weight = torch.from_numpy(np.array(table.weight, copy=True))
    common: dict[str, Any] = dict(
        freeze=table.frozen if freeze is None else freeze,
        padding_idx=table.padding_idx,
        max_norm=table.max_norm,
        norm_type=table.norm_type,
    )
    module: nn.Module
    if isinstance(emb, EmbeddingBag):
        module = nn.EmbeddingBag.from_pretrained(
            weight, mode=emb.mode, include_last_offset=emb.include_last_offset, **common
        )
    else:
        module = nn.Embedding.from_pretrained(
            weight, scale_grad_by_freq=table.scale_grad_by_freq, **common
        )
    return module.to(device) if device is not None else module


@overload
def from_torch(module: nn.EmbeddingBag) -> EmbeddingBag: ...
@overload
def from_torch(module: nn.Embedding) -> Embedding: ...
def from_torch(module: nn.Embedding | nn.EmbeddingBag) -> Embedding | EmbeddingBag:
    """The tokenvec twin of an ``nn.Embedding`` or ``nn.EmbeddingBag`` (weight copied to host
    memory; padding row, ``max_norm`` and mode kept)."""
    if not isinstance(module, nn.Embedding | nn.EmbeddingBag):
        raise TypeError(f"expected torch.nn.Embedding or EmbeddingBag, got {type(module).__name__}")
    weight = module.weight.detach().to("cpu").numpy().copy()
    common: dict[str, Any] = dict(
        freeze=not module.weight.requires_grad,
        padding_idx=module.padding_idx,
        max_norm=module.max_norm,
        norm_type=module.norm_type,
        copy=False,
    )
    if isinstance(module, nn.EmbeddingBag):
        return EmbeddingBag.from_pretrained(
            weight,
            mode=module.mode,  # type: ignore[arg-type]  # torch's str is one of the three
            include_last_offset=module.include_last_offset,
            **common,
        )
    return Embedding.from_pretrained(weight, scale_grad_by_freq=module.scale_grad_by_freq, **common)


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
