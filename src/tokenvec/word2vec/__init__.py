"""word2vec: skip-gram and CBOW trained with a compiled kernel beside a plain reference.

- :mod:`~tokenvec.word2vec.corpus`: sentences from files, folders or lists, streamed
- :mod:`~tokenvec.word2vec.config`: every knob of a run (:class:`Word2VecConfig`)
- :mod:`~tokenvec.word2vec.vocab`: the vocabulary, its tables, the corpus as ids
- :mod:`~tokenvec.word2vec.trainer`: the training loop, checkpoints, progress
- :mod:`~tokenvec.word2vec.fasttext`: fastText-style training with character n-grams
- :mod:`~tokenvec.word2vec._kernel`: the numba kernel and its plain-Python reference
"""

from __future__ import annotations

from tokenvec.word2vec.config import TrainingError, Word2VecConfig
from tokenvec.word2vec.corpus import CorpusError, WordTokenizer, as_corpus, builtin_corpus_path
from tokenvec.word2vec.fasttext import FastText, FastTextConfig, train_fasttext
from tokenvec.word2vec.trainer import (
    CHECKPOINT_KIND,
    CheckpointError,
    EpochInfo,
    Progress,
    Word2Vec,
    check_kernel_inputs,
    train_word2vec,
)
from tokenvec.word2vec.vocab import EncodedCorpus, Vocab

__all__ = [
    "CHECKPOINT_KIND",
    "CheckpointError",
    "CorpusError",
    "EncodedCorpus",
    "EpochInfo",
    "FastText",
    "FastTextConfig",
    "Progress",
    "TrainingError",
    "Vocab",
    "Word2Vec",
    "Word2VecConfig",
    "WordTokenizer",
    "as_corpus",
    "builtin_corpus_path",
    "check_kernel_inputs",
    "train_fasttext",
    "train_word2vec",
]
