"""fastText-style training: the kernel's subword path against the reference, the model it
writes (fastText's vectors of it), resume, and vectors for words held out of training."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import tokenvec as tv
from tokenvec.io.fasttext_bin import subword_rows
from tokenvec.word2vec import FastText, FastTextConfig
from tokenvec.word2vec import _kernel as _w2v
from tokenvec.word2vec.corpus import Corpus


def morph_corpus(n_sent=300, seed=0):
    """Two topics of words sharing stems: night/nights/nightly..., water/waters/watery..."""
    rng = np.random.default_rng(seed)
    a = [s + e for s in ("night", "dark", "moon") for e in ("", "s", "ly", "ness")]
    b = [s + e for s in ("water", "river", "rain") for e in ("", "s", "ly", "ness")]
    filler = ["the", "of", "and"]
    return [
        [str(w) for w in rng.choice((a if s % 2 == 0 else b) + filler, size=12)]
        for s in range(n_sent)
    ]


def prepared(prepare, sg, cbow_mean=True, hs=False, negative=5, bucket=50):
    cfg = FastTextConfig(
        sg=sg, hs=hs, negative=negative, cbow_mean=cbow_mean, window=3, vector_size=16,
        min_count=1, sample=1e-2, threads=1, bucket=bucket, min_n=2, max_n=4,
    )  # fmt: skip
    return prepare(FastText(cfg), morph_corpus(30))


@pytest.mark.parametrize(
    "sg,cbow_mean,hs,negative",
    [
        (True, True, False, 5),
        (False, True, False, 5),
        (False, False, False, 3),
        (True, True, True, 0),
    ],
)
def test_subword_kernel_equals_reference(prepare_for_kernel, sg, cbow_mean, hs, negative):
    results = []
    for fn in (_w2v.kernel(), _w2v.train_chunk_reference):
        model, enc, t = prepared(prepare_for_kernel, sg, cbow_mean, hs, negative)
        assert t.sub_rows.size > len(model.vocab)  # n-gram rows are in the tables
        mode = _w2v.Mode(sg, negative, hs, 3, cbow_mean, subwords=True)
        out = _w2v.train_chunk(
            fn, model.syn0, model.syn1neg, model.syn1, enc.words, enc.starts, t, mode,
            0.05, 0.01, 777,
        )  # fmt: skip
        results.append((out, model.syn0.copy(), model.syn1neg.copy(), model.syn1.copy()))
    (k_out, *k_w), (r_out, *r_w) = results
    assert k_out[1:] == r_out[1:]
    assert k_out[0] == pytest.approx(r_out[0], rel=1e-3)
    for a, b in zip(k_w, r_w, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)
    # n-gram rows moved: they are trained, not only the words' rows.
    model, _, _ = prepared(prepare_for_kernel, sg, cbow_mean, hs, negative)
    assert not np.allclose(k_w[0][len(model.vocab) :], model.syn0[len(model.vocab) :])


def test_tables_hold_fasttexts_rows(prepare_for_kernel):
    model, _, t = prepared(prepare_for_kernel, True)
    m = model.model()
    for i, w in enumerate(model.vocab.words):
        rows = t.sub_rows[t.sub_offsets[i] : t.sub_offsets[i + 1]].tolist()
        assert rows == subword_rows(m, w.encode(), i)


@pytest.mark.parametrize("sg", [True, False])
def test_words_held_out_get_meaningful_vectors(sg):
    cfg = FastTextConfig(
        sg=sg, vector_size=24, window=4, min_count=1, epochs=10, threads=2, seed=3, sample=0,
        bucket=2000, min_n=3, max_n=5,
    )  # fmt: skip
    held_out = {"moonly", "rivers"}
    corpus = [s for s in morph_corpus() if not held_out & set(s)]
    model = FastText(cfg)
    v = model.train(corpus, progress=False)
    assert isinstance(v, tv.SubwordVectors) and "moonly" not in v
    # two threads: skip-gram's output rows are private, CBOW's shared (see trainer._HotRows)
    plan = model._plan(Corpus(corpus))
    assert (plan.hot_out is not None) == sg
    a = [w for w in v.index_to_key if w.startswith(("night", "dark", "moon"))]
    b = [w for w in v.index_to_key if w.startswith(("water", "river", "rain"))]
    for word, same, other in (("moonly", a, b), ("rivers", b, a)):
        near = np.mean([v.similarity(word, x) for x in same])
        far = np.mean([v.similarity(word, x) for x in other])
        assert near - far > 0.3, (word, near, far)


def test_resume_and_save_as_bin(tmp_path):
    cfg = FastTextConfig(
        vector_size=8, min_count=1, epochs=2, threads=1, bucket=100, chunk_words=200
    )
    full = FastText(cfg).train(morph_corpus(), progress=False)
    ckpt = tmp_path / "ck"
    FastText(cfg, epochs=1).train(morph_corpus(), progress=False, checkpoint=ckpt)
    with pytest.raises(tv.word2vec.CheckpointError, match="fasttext checkpoint"):
        tv.Word2Vec.load_checkpoint(ckpt)
    model = FastText.load_checkpoint(ckpt)
    assert model.syn0.shape == (len(model.vocab) + 100, 8)
    path = full.save(tmp_path / "m.bin", format="fasttext-bin")
    back = tv.load_vectors(path)
    np.testing.assert_array_equal(back["nightlyness"], full["nightlyness"])
    if importlib.util.find_spec("fasttext") is not None:
        import fasttext

        ft = fasttext.load_model(str(path))
        for w in ("night", "nightlyness", "zzz"):
            np.testing.assert_allclose(ft.get_word_vector(w), full[w], rtol=1e-6, atol=1e-7)


def test_bad_subword_config():
    with pytest.raises(ValueError, match="max_n"):
        FastTextConfig(min_n=4, max_n=3)
    with pytest.raises(TypeError, match="FastTextConfig"):
        FastText(tv.Word2VecConfig())


def test_cli_trains_subwords(tmp_path):
    from typer.testing import CliRunner

    from tokenvec.app.cli import app

    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(" ".join(s) for s in morph_corpus()), "utf-8")
    out = tmp_path / "m.bin"
    res = CliRunner().invoke(
        app,
        ["train", str(corpus), "-o", str(out), "--format", "fasttext-bin", "--subwords",
         "--bucket", "500", "--min-count", "1", "--epochs", "2", "--vector-size", "12",
         "--no-progress", "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    v = tv.load_vectors(out)
    assert isinstance(v, tv.SubwordVectors) and v.model.args.bucket == 500
    assert v.model.args.minn == 3 and v.has_vector("moonlyness") and "moonlyness" not in v
    res = CliRunner().invoke(app, ["similar", "moonlyness", "-v", str(out), "--topn", "3"])
    assert res.exit_code == 0, res.output


def test_resume_equals_uninterrupted(tmp_path, interrupted_run):
    cfg = FastTextConfig(
        vector_size=8, min_count=1, epochs=3, threads=1, bucket=64, chunk_words=300
    )
    full = FastText(cfg).train(morph_corpus(), progress=False)
    ckpt = tmp_path / "ckpt"
    interrupted_run(FastText(cfg), morph_corpus(), ckpt, 2)
    model, resumed = FastText.resume(ckpt, morph_corpus(), progress=False)
    assert model.progress.epoch == 3
    np.testing.assert_array_equal(resumed.vectors, full.vectors)
    np.testing.assert_array_equal(resumed["zzzz"], full["zzzz"])  # the n-gram rows too


def test_fasttext_refuses_a_word_without_utf8_bytes_clearly():
    from tokenvec.word2vec import FastText
    from tokenvec.word2vec.corpus import CorpusError

    model = FastText(min_count=1, vector_size=4, epochs=1)
    model.train([["a", "b", "c"]] * 5, progress=False)
    with pytest.raises(CorpusError, match="lone surrogate"):
        model.update([["a", "\ud800"]] * 5, progress=False)
