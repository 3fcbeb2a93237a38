"""tokenvec: token embeddings, from the lookup table to the vectors that carry meaning.

The public API is re-exported here; optional parts (``tokenvec.torch``) are imported on use.
"""

from __future__ import annotations

from tokenvec._optional import MissingExtraError
from tokenvec.embedding import Embedding, Linear, SparseGrad, init_weight, one_hot
from tokenvec.optim import SGD, Adam
from tokenvec.positional import (
    InputEmbedding,
    InputGrads,
    LearnedPositionalEmbedding,
    SinusoidalPositionalEmbedding,
    sinusoidal_table,
)

__version__ = "0.1.0"

__all__ = [
    "SGD",
    "Adam",
    "Embedding",
    "InputEmbedding",
    "InputGrads",
    "LearnedPositionalEmbedding",
    "Linear",
    "MissingExtraError",
    "SinusoidalPositionalEmbedding",
    "SparseGrad",
    "__version__",
    "init_weight",
    "one_hot",
    "sinusoidal_table",
]
