"""Shared fixtures: a tiny hand-made vector set and the real GloVe vectors when installed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import settings

import tokenvec as tv

# Tests write only under tmp_path: no example database in the working directory.
settings.register_profile("tokenvec", database=None)
settings.load_profile("tokenvec")


@pytest.fixture
def tiny() -> tv.Vectors:
    """Five words in 2-D: king/queen and man/woman form a parallelogram."""
    keys = ["king", "queen", "man", "woman", "apple"]
    mat = np.array([[3, 3], [3, 5], [1, 0], [1, 2], [-4, 1]], dtype=np.float32)
    return tv.Vectors(keys, mat)


@pytest.fixture(scope="session")
def glove() -> tv.Vectors:
    pytest.importorskip("pyarrow")
    try:
        return tv.load("glove-6b-50d")
    except ModuleNotFoundError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def random_vectors() -> tv.Vectors:
    rng = np.random.default_rng(0)
    keys = [f"w{i}" for i in range(3000)]
    return tv.Vectors(keys, rng.standard_normal((3000, 16)).astype(np.float32))


@pytest.fixture
def prepare_for_kernel():
    """A function readying a model for one kernel call (see :func:`_prepare_for_kernel`)."""
    return _prepare_for_kernel


def _prepare_for_kernel(model, sentences):
    """A word2vec-family model with its vocabulary, random output layers and encoded corpus,
    ready for one kernel call: (model, encoded corpus, tables)."""
    from tokenvec.word2vec import EncodedCorpus, Vocab
    from tokenvec.word2vec.corpus import Corpus

    corpus = Corpus(sentences)
    model.vocab = Vocab.build(corpus, model.config)
    model._init_weights()
    model.syn1neg[:] = np.random.default_rng(1).standard_normal(model.syn1neg.shape) * 0.1
    model.syn1[:] = np.random.default_rng(2).standard_normal(model.syn1.shape) * 0.1
    enc = EncodedCorpus.encode(corpus, model.vocab, 10_000)
    return model, enc, model._tables()


class StopTraining(Exception):
    """Raised by :func:`interrupt_after` callbacks: a run killed between epochs."""


@pytest.fixture
def interrupted_run():
    """Train ``model`` on ``corpus`` with a checkpoint at ``ckpt``, stopped after ``epoch``."""

    def run(model, corpus, ckpt, epoch):
        def stop(info):
            if info.epoch == epoch:
                raise StopTraining

        with pytest.raises(StopTraining):
            model.train(corpus, progress=False, checkpoint=ckpt, checkpoint_every=0,
                        callbacks=[stop])  # fmt: skip

    return run


@pytest.fixture(scope="session", autouse=True)
def _cache_under_tmp(tmp_path_factory):
    """Built-in vectors made on first use (the distilled MiniLM) are cached under pytest's
    temporary folder, once per session, and never in the user's cache; subprocesses inherit it."""
    import os

    old = os.environ.get("TOKENVEC_CACHE")
    os.environ["TOKENVEC_CACHE"] = str(tmp_path_factory.mktemp("tokenvec-cache"))
    yield
    if old is None:
        os.environ.pop("TOKENVEC_CACHE", None)
    else:
        os.environ["TOKENVEC_CACHE"] = old


@pytest.fixture
def fasttext_bin(tmp_path):
    """A function writing a random fastText model of ``words`` as ``tmp_path / "m.bin"`` and
    reading it back: ``fasttext_bin(words, dim=8, bucket=300, minn=2, maxn=4)``."""

    def make(words: list[str], *, dim: int, bucket: int, minn: int, maxn: int) -> tv.Vectors:
        from tokenvec.io.fasttext_bin import FastTextArgs, FastTextModel, write_fasttext

        rng = np.random.default_rng(0)
        n = len(words)
        args = FastTextArgs(dim=dim, bucket=bucket, minn=minn, maxn=maxn, model=2, loss=2)
        model = FastTextModel.from_words(
            args, words, [w.encode() for w in words], counts=np.arange(n, 0, -1, dtype=np.int64),
            input=rng.normal(size=(n + bucket, dim)).astype(np.float32),
            output=rng.normal(size=(n, dim)).astype(np.float32), ntokens=100, prune=None,
        )  # fmt: skip
        write_fasttext(model, tmp_path / "m.bin")
        return tv.load_vectors(tmp_path / "m.bin")

    return make
