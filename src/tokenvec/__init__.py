"""tokenvec: token embeddings, from the lookup table to the vectors that carry meaning.

The public API is re-exported here; optional parts (``tokenvec.nn``) are imported on use.
"""

from __future__ import annotations

from tokenvec import evaluate, tokenizers, windows
from tokenvec._files import VectorFormatError
from tokenvec._optional import MissingExtraError
from tokenvec.align import Alignment, align
from tokenvec.bag import EmbeddingBag
from tokenvec.builtin import load
from tokenvec.distillation import distill
from tokenvec.embedding import Embedding, Linear, SparseGrad, init_weight, one_hot
from tokenvec.formats import detect_format
from tokenvec.loading import load_vectors
from tokenvec.optim import SGD, Adam
from tokenvec.positional import (
    InputEmbedding,
    InputGrads,
    LearnedPositionalEmbedding,
    SinusoidalPositionalEmbedding,
    sinusoidal_table,
)
from tokenvec.static import StaticVectors
from tokenvec.subwords import SubwordVectors, load_fasttext
from tokenvec.vectors import Vectors, save_vectors
from tokenvec.word2vec import (
    FastText,
    FastTextConfig,
    Word2Vec,
    Word2VecConfig,
    corpus,
    train_fasttext,
    train_word2vec,
)

__version__ = "0.1.0"

__all__ = [
    "SGD",
    "Adam",
    "Alignment",
    "Embedding",
    "EmbeddingBag",
    "FastText",
    "FastTextConfig",
    "InputEmbedding",
    "InputGrads",
    "LearnedPositionalEmbedding",
    "Linear",
    "MissingExtraError",
    "SinusoidalPositionalEmbedding",
    "SparseGrad",
    "StaticVectors",
    "SubwordVectors",
    "VectorFormatError",
    "Vectors",
    "Word2Vec",
    "Word2VecConfig",
    "__version__",
    "align",
    "corpus",
    "detect_format",
    "distill",
    "evaluate",
    "init_weight",
    "load",
    "load_fasttext",
    "load_vectors",
    "one_hot",
    "save_vectors",
    "sinusoidal_table",
    "tokenizers",
    "train_fasttext",
    "train_word2vec",
    "windows",
]
