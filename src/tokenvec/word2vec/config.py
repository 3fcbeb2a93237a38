"""The knobs of a word2vec run (names and defaults follow gensim's ``Word2Vec``), and the
errors raised when its corpus cannot be read or training cannot go on."""

from __future__ import annotations

import os
from dataclasses import dataclass

from tokenvec._checks import as_bool, check_float, check_int

DECAY_BY = ("words", "sentences")  # what the learning rate falls with (Word2VecConfig.decay_by)


class CorpusError(ValueError):
    """A corpus cannot be read: missing, binary, not UTF-8, or empty."""


class TrainingError(RuntimeError):
    """Training cannot go on: it diverged (NaN) or the corpus does not fit a checkpoint."""


@dataclass(frozen=True)
class Word2VecConfig:
    """Every knob of a word2vec run; names and defaults follow gensim's ``Word2Vec``.

    >>> Word2VecConfig(sg=True, vector_size=50).window
    5
    """

    sg: bool = False  # skip-gram (True) or CBOW (False)
    vector_size: int = 100
    window: int = 5  # maximum distance; each position draws a window of 1..window (dynamic)
    min_count: int = 5
    max_vocab_size: int | None = None  # keep at most this many of the most frequent words
    sample: float = 1e-3  # sub-sampling threshold of frequent words (0 turns it off)
    negative: int = 5  # noise words per prediction (0 turns negative sampling off)
    hs: bool = False  # hierarchical softmax
    ns_exponent: float = 0.75  # noise distribution: unigram counts ** ns_exponent
    cbow_mean: bool = True  # CBOW averages the context vectors (else sums them)
    alpha: float = 0.025  # learning rate at the start ...
    min_alpha: float = 0.0001  # ... falling linearly to this at the end
    # What the rate falls with: "words" trained (word2vec.c) or "sentences" (gensim, which
    # counts its progress in sentences when it knows their number). The two differ where
    # sentence lengths change along the corpus: the built-in one's long paragraphs come
    # before its short glosses, so by sentences the rate stays higher over its first half.
    # (Inside a chunk of chunk_words words it falls with the words either way.)
    decay_by: str = "words"
    epochs: int = 5
    threads: int = 0  # 0 means one per CPU core
    seed: int = 1
    max_sentence_length: int = 10_000
    chunk_words: int = 10_000
    # The batched step (one draw of noise words per skip-gram window, see
    # tokenvec.word2vec._batched): skip-gram with negative sampling over word rows. None (the
    # default): the batched step wherever the model has one, the classic step elsewhere, each
    # in machine code for the vector size where it has its own (100: _kernel.FIXED_DIMS);
    # False: the classic per-pair step in the code for any size, bit for bit as before.
    batch: bool | None = None

    def __post_init__(self) -> None:
        # Every field is checked up front: a bad value must fail here, not inside the kernel.
        for name in ("sg", "hs", "cbow_mean", "batch"):
            if name != "batch" or self.batch is not None:
                object.__setattr__(self, name, as_bool(getattr(self, name), name))
        for name, lo, hi in (
            ("vector_size", 1, 100_000),
            ("window", 1, 10_000),
            ("min_count", 1, None),
            ("epochs", 1, 1_000_000),
            ("max_sentence_length", 1, 10_000_000),
            ("negative", 0, 1_000),
            ("threads", 0, 1_024),
            ("seed", 0, 2**63 - 1),
            ("chunk_words", 1, 2**31 - 1),
        ):
            check_int(getattr(self, name), name, lo, hi)
        if self.max_vocab_size is not None:
            check_int(self.max_vocab_size, "max_vocab_size", 1, None)
        check_float(self.alpha, "alpha", 0.0, None, low_open=True)
        if self.decay_by not in DECAY_BY:
            raise ValueError(f"decay_by must be one of {DECAY_BY}, got {self.decay_by!r}")
        check_float(self.min_alpha, "min_alpha", 0.0, self.alpha)
        check_float(self.sample, "sample", 0.0, None)
        check_float(self.ns_exponent, "ns_exponent", -10.0, 10.0)
        if not (self.hs or self.negative > 0):
            raise ValueError("set negative > 0 or hs=True: nothing would train")
        if self.batch and (not self.sg or self.hs or self.negative == 0):
            raise ValueError(
                "batch=True trains skip-gram with negative sampling only: set sg=True, "
                "hs=False, negative > 0 (CBOW keeps the classic step)"
            )

    @property
    def workers(self) -> int:
        return self.threads or (os.cpu_count() or 1)
