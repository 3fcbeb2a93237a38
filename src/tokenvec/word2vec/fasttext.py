"""fastText-style training: word2vec whose input vector of a word is the mean of its own row
and the rows of its character n-grams, so words never seen get vectors too.

The same compiled kernel, trainer, checkpoints and progress as :class:`Word2Vec`; this module
adds the n-gram rows (``bucket`` of them after the words' rows), each word's row table
(hashed exactly as fastText does, :mod:`tokenvec.io.fasttext_bin`), and returns
:class:`tokenvec.SubwordVectors`, which can be saved as a fastText ``.bin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tokenvec._checks import check_int
from tokenvec.io.fasttext_bin import FastTextArgs, FastTextModel
from tokenvec.vectors.subwords import SubwordVectors
from tokenvec.word2vec import _kernel as _w2v
from tokenvec.word2vec.config import Word2VecConfig
from tokenvec.word2vec.corpus import CorpusError
from tokenvec.word2vec.trainer import Word2Vec


@dataclass(frozen=True)
class FastTextConfig(Word2VecConfig):
    """Every :class:`Word2VecConfig` knob plus the n-grams (names as gensim's ``FastText``).

    >>> FastTextConfig(min_n=2, max_n=4).bucket
    2000000
    """

    alpha: float = 0.05  # fastText's default learning rate (gensim's FastText uses 0.025;
    # on the built-in corpus 0.05 gains 9 points of analogy accuracy in skip-gram)
    min_n: int = 3  # n-grams of min_n..max_n characters (max_n = 0: no n-grams)
    max_n: int = 6
    bucket: int = 2_000_000  # n-gram rows: n-grams are hashed into this many

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.batch:
            raise ValueError(
                "batch=True trains word rows only: fastText's n-gram rows train with the "
                "classic step (batch=False)"
            )
        check_int(self.min_n, "min_n", 1, 256)
        check_int(self.max_n, "max_n", 0, 256)
        check_int(self.bucket, "bucket", 0, 2**31 - 1)
        if self.max_n and self.max_n < self.min_n:
            raise ValueError(f"max_n ({self.max_n}) must be 0 or at least min_n ({self.min_n})")


class FastText(Word2Vec):
    """Train subword vectors: ``FastText(FastTextConfig(...)).train(corpus)``.

    >>> cfg = FastTextConfig(vector_size=8, min_count=1, epochs=1, threads=1, bucket=100)
    >>> v = FastText(cfg).train([["night", "light", "nightly"]] * 20, progress=False)
    >>> "lightly" in v, v["lightly"].shape
    (False, (8,))
    """

    CONFIG = FastTextConfig
    MODEL = "fasttext"
    config: FastTextConfig

    def _ngrams(self) -> bool:
        return self.config.max_n > 0 and self.config.bucket > 0

    def _subwords(self) -> bool:
        return self._ngrams()

    def _input_rows(self, words: int) -> int:
        return words + (self.config.bucket if self._ngrams() else 0)

    def _new_input_rows(self, v_old: int, v_new: int) -> np.ndarray:
        return self.syn0[v_old:]  # the n-gram buckets follow the (now more) word rows

    def model(self) -> FastTextModel:
        """The trained model in fastText's terms (input rows are this trainer's weights)."""
        assert self.vocab is not None
        cfg = self.config
        words = list(self.vocab.words)
        args = FastTextArgs(
            dim=cfg.vector_size, ws=cfg.window, epoch=cfg.epochs, min_count=cfg.min_count,
            neg=cfg.negative, loss=2 if cfg.negative else 1, model=2 if cfg.sg else 1,
            bucket=cfg.bucket if self._ngrams() else 0, minn=cfg.min_n if self._ngrams() else 0,
            maxn=cfg.max_n if self._ngrams() else 0, t=cfg.sample,
        )  # fmt: skip
        output = (
            self.syn1neg if cfg.negative else np.zeros((len(words), cfg.vector_size), np.float32)
        )
        return FastTextModel.from_words(
            args, words, _word_bytes(words),
            counts=np.asarray(self.vocab.counts, dtype=np.int64), input=self.syn0,
            output=output, ntokens=int(self.vocab.raw_words), prune=None,
        )  # fmt: skip

    def _vectors(self) -> SubwordVectors:  # type: ignore[override]
        return SubwordVectors.from_model(self.model())

    def _tables(self) -> _w2v.Tables:
        from tokenvec.io.fasttext_rows import subword_table

        tables = super()._tables()
        offsets, rows = subword_table(self.model())
        if rows.size <= 1:  # one word and no n-gram: the kernel's plain path is the same
            return tables
        return tables.with_subwords(offsets, rows)


def train_fasttext(
    corpus: Any = None, config: FastTextConfig | None = None, **kw: Any
) -> SubwordVectors:
    """Train subword vectors on ``corpus`` (None: the built-in corpus), as
    :func:`~tokenvec.word2vec.train_word2vec` does word vectors (same keyword arguments, plus
    ``min_n``, ``max_n`` and ``bucket``)."""
    run_kw = {
        k: kw.pop(k)
        for k in ("progress", "callbacks", "checkpoint", "checkpoint_every", "overwrite")
        if k in kw
    }
    return FastText(config, **kw).train(corpus, **run_kw)  # type: ignore[return-value]


def _word_bytes(words: list[str]) -> list[bytes]:
    """Each word's UTF-8 bytes, which its n-grams are hashed over (bytes of a file that were
    not UTF-8 come back as they were); a word with no bytes at all is a CorpusError."""
    out = []
    for w in words:
        try:
            out.append(w.encode("utf-8", "surrogateescape"))
        except UnicodeEncodeError as exc:
            raise CorpusError(
                f"the word {w[:40]!r} holds {w[exc.start]!r}, a lone surrogate with no UTF-8 "
                f"bytes: fastText hashes a word's bytes, so it cannot be trained on"
            ) from None
    return out
