"""tokenvec: token embeddings, from the lookup table to the vectors that carry meaning.

The public API is re-exported here; optional parts (``tokenvec.nn``) are imported on use.
"""

from __future__ import annotations

from tokenvec import evaluate, tokenizers, windows
from tokenvec._files import VectorFormatError
from tokenvec.align import align
from tokenvec.bag import EmbeddingBag
from tokenvec.builtin import load
from tokenvec.distillation import distill
from tokenvec.embedding import Embedding, one_hot
from tokenvec.loading import load_vectors
from tokenvec.optim import Adam
from tokenvec.positional import InputEmbedding, sinusoidal_table
from tokenvec.static import StaticVectors
from tokenvec.subwords import SubwordVectors, load_fasttext
from tokenvec.vectors import Vectors
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

# What a newcomer reads as one list; the rest lives in its module (tokenvec.embedding,
# tokenvec.positional, tokenvec.optim, tokenvec.align, tokenvec.formats, ...).
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
