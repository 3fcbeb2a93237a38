"""tokenvec: token embeddings, from the lookup table to the vectors that carry meaning.

The public API is re-exported here; optional parts (``tokenvec.nn``) are imported on use.
"""

from __future__ import annotations

from tokenvec import tokenizers, windows
from tokenvec.builtin import load
from tokenvec.distillation import distill
from tokenvec.io.files import VectorFormatError
from tokenvec.layers.bag import EmbeddingBag
from tokenvec.layers.embedding import Embedding, one_hot
from tokenvec.layers.optim import Adam
from tokenvec.layers.positional import InputEmbedding, sinusoidal_table
from tokenvec.vectors import evaluate
from tokenvec.vectors.align import align
from tokenvec.vectors.base import Vectors
from tokenvec.vectors.loading import load_vectors
from tokenvec.vectors.static import StaticVectors
from tokenvec.vectors.subwords import SubwordVectors, load_fasttext
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

# What a newcomer reads as one list; the rest lives in its folder: tokenvec.layers (numpy
# layers), tokenvec.vectors (vocabularies, storages, queries), tokenvec.io (files), ...
__all__ = [
    "Adam",
    "Embedding",
    "EmbeddingBag",
    "FastText",
    "FastTextConfig",
    "InputEmbedding",
    "StaticVectors",
    "SubwordVectors",
    "VectorFormatError",
    "Vectors",
    "Word2Vec",
    "Word2VecConfig",
    "__version__",
    "align",
    "corpus",
    "distill",
    "evaluate",
    "load",
    "load_fasttext",
    "load_vectors",
    "one_hot",
    "sinusoidal_table",
    "tokenizers",
    "train_fasttext",
    "train_word2vec",
    "windows",
]
