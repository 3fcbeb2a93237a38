"""The PyTorch side of tokenvec (extra ``torch``): layers, a small GPT and its trainer.

- :mod:`~tokenvec.nn.layers`: the numpy layers as ``nn.Module`` and conversions both ways
- :mod:`~tokenvec.nn.gpt`: GPT-2's architecture at toy size
- :mod:`~tokenvec.nn.train`: training with checkpoints, DDP and embedding snapshots
- :mod:`~tokenvec.nn.word2vec`: word2vec's batched step on any torch device

Importing it without PyTorch raises one error naming the install.
"""

from __future__ import annotations

from tokenvec.nn._torch import torch
from tokenvec.nn.gpt import GPT, GPTConfig, token_vectors
from tokenvec.nn.layers import InputEmbedding, SinusoidalPositions, from_torch, to_torch
from tokenvec.nn.train import (
    Snapshot,
    TrainConfig,
    TrainResult,
    embedding_snapshot,
    load_model,
    loss_curves,
    lr_at,
    read_checkpoint,
    train_lm,
)
from tokenvec.nn.word2vec import train_word2vec

__all__ = [
    "GPT",
    "GPTConfig",
    "InputEmbedding",
    "SinusoidalPositions",
    "Snapshot",
    "TrainConfig",
    "TrainResult",
    "embedding_snapshot",
    "from_torch",
    "load_model",
    "loss_curves",
    "lr_at",
    "read_checkpoint",
    "to_torch",
    "token_vectors",
    "torch",
    "train_lm",
    "train_word2vec",
]
