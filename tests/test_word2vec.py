"""word2vec: kernel against its reference, determinism, resume, quality, gensim's tables, bad input."""

from __future__ import annotations

import bz2
import gzip
import json
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokenvec as tv
from support import checkpoint, cli
from tokenvec.word2vec import (
    CheckpointError,
    TrainingError,
    Vocab,
    Word2Vec,
    Word2VecConfig,
    _batched,
)
from tokenvec.word2vec import _kernel as _w2v
from tokenvec.word2vec.corpus import Corpus, CorpusError, WordTokenizer
from tokenvec.word2vec.fasttext import FastTextConfig


def planted_corpus(n_sent=400, seed=0):
    """Two topics whose words only co-occur within their topic, plus shared filler words."""
    rng = np.random.default_rng(seed)
    a = [f"a{i}" for i in range(10)]
    b = [f"b{i}" for i in range(10)]
    filler = ["the", "of", "and"]
    out = []
    for s in range(n_sent):
        topic = a if s % 2 == 0 else b
        out.append([str(w) for w in rng.choice(topic + filler, size=12)])
    return out


def prepared(prepare, sg, hs, negative, cbow_mean=True, window=3, dim=16):
    cfg = Word2VecConfig(
        sg=sg,
        hs=hs,
        negative=negative,
        cbow_mean=cbow_mean,
        window=window,
        vector_size=dim,
        min_count=1,
        sample=1e-2,
        threads=1,
    )
    return prepare(Word2Vec(cfg), planted_corpus(40))


@pytest.mark.parametrize(
    "sg,hs,negative,cbow_mean",
    [
        (True, False, 5, True),
        (False, False, 5, True),
        (False, False, 3, False),
        (True, True, 0, True),
        (False, True, 2, True),
    ],
)
@pytest.mark.parametrize("dim", [16, 100])
def test_kernel_equals_reference(prepare_for_kernel, sg, hs, negative, cbow_mean, dim):
    # At 100 the default step runs code compiled for that width (a compile-time width): the
    # same arithmetic and random stream as the reference and the code for any width.
    results = []
    for fn in (_w2v.kernel(), _w2v.kernel(fixed=True), _w2v.train_chunk_reference):
        model, enc, t = prepared(prepare_for_kernel, sg, hs, negative, cbow_mean, dim=dim)
        mode = _w2v.Mode(sg, negative, hs, 3, cbow_mean)
        out = _w2v.train_chunk(
            fn, model.syn0, model.syn1neg, model.syn1, enc.words, enc.starts, t, mode,
            0.05, 0.01, 12345,
        )  # fmt: skip
        results.append((out, model.syn0.copy(), model.syn1neg.copy(), model.syn1.copy()))
    (r_out, *r_w) = results[-1]
    for k_out, *k_w in results[:-1]:
        assert k_out[1:] == r_out[1:]  # same pairs and kept words: the same random stream
        assert k_out[0] == pytest.approx(r_out[0], rel=1e-3)
        for a, b in zip(k_w, r_w, strict=True):
            # float32 with reordered sums (fastmath) against sequential numpy: agree to 1e-4.
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


def test_only_the_listed_widths_get_code_of_their_own():
    from tokenvec._native.jit import Constant

    assert _w2v.FIXED_DIMS == (100,)  # the others measured slower in their own code
    assert isinstance(_w2v.width(100, True), Constant)
    for dim, fixed in ((100, False), (50, True), (300, True), (16, True)):
        assert type(_w2v.width(dim, fixed)) is int


def test_runs_call_the_code_their_warm_up_loaded():
    # The trainer loads its step in a thread while it counts the corpus: for rows of 100 that
    # is the code for 100 (CBOW and fastText: the classic step; skip-gram: the batched one),
    # and with batch=False the code for any width; a run then compiles or loads nothing more.
    from tokenvec.word2vec import _batched_numba, _numba

    _w2v.warm(dim=100, fixed=True)
    _w2v.warm(dim=100, fixed=False)
    _batched.warm(dim=100)
    classic, batched = _numba.train_chunk, _batched_numba.train_chunk_batched
    loaded = set(classic.signatures), set(batched.signatures)
    assert any(str(sig[-1]) == "Literal[int](100)" for sig in loaded[0])
    assert any(str(sig[-1]) == "Literal[int](100)" for sig in loaded[1])
    assert any(str(sig[-1]) == "int64" for sig in loaded[0])
    words = [["a", "b", "c", "a"]] * 5
    for kw in ({}, {"sg": True}, {"batch": False}, {"sg": True, "batch": False}):
        tv.train_word2vec(words, vector_size=100, min_count=1, epochs=1, threads=1,
                          progress=False, **kw)  # fmt: skip
    assert (set(classic.signatures), set(batched.signatures)) == loaded


@pytest.mark.parametrize("negative,window,dim", [(5, 3, 16), (2, 1, 16), (8, 5, 16), (5, 3, 100)])
def test_batched_kernel_equals_its_reference(prepare_for_kernel, negative, window, dim):
    results = []  # (at 100: the code compiled for that width)
    for fn in (None, _batched.train_chunk_batched_reference):
        model, enc, t = prepared(prepare_for_kernel, True, False, negative, window=window,
                                 dim=dim)  # fmt: skip
        mode = _w2v.Mode(True, negative, False, window, True)
        before = model.syn0.copy()
        out = _batched.train_chunk_batched(model.syn0, model.syn1neg, enc.words, enc.starts, t,
                                           mode, 0.05, 0.01, 12345, fn=fn)  # fmt: skip
        results.append((out, model.syn0.copy(), model.syn1neg.copy()))
    (k_out, *k_w), (r_out, *r_w) = results
    assert k_out[1:] == r_out[1:]  # same pairs and kept words: the same random stream
    assert k_out[0] == pytest.approx(r_out[0], rel=1e-3)
    assert not np.array_equal(k_w[0], before)
    for a, b in zip(k_w, r_w, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


def test_batched_private_output_rows_end_as_the_shared_ones(prepare_for_kernel):
    # The first k output rows trained in a private copy, added back: the same rows.
    runs = []
    for k in (0, 5):
        model, enc, t = prepared(prepare_for_kernel, True, False, 5)
        mode = _w2v.Mode(True, 5, False, 3, True)
        hot = model.syn1neg[:k].copy() if k else None
        taken = None if hot is None else hot.copy()
        _batched.train_chunk_batched(model.syn0, model.syn1neg, enc.words, enc.starts, t, mode,
                                     0.05, 0.01, 12345, hot_out=hot)  # fmt: skip
        if hot is not None:
            assert np.array_equal(model.syn1neg[:k], taken)  # untouched while private
            model.syn1neg[:k] += hot - taken
        runs.append((model.syn0.copy(), model.syn1neg.copy()))
    for a, b in zip(*runs, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_the_batched_step_is_the_stated_matrix_update():
    # One skip-gram window by hand: contexts C predict the centre and shared noise words O.
    rng = np.random.default_rng(3)
    syn0 = rng.standard_normal((6, 4)).astype(np.float32) * 0.3
    syn1neg = rng.standard_normal((6, 4)).astype(np.float32) * 0.3
    sig, log = _w2v.tables()
    t = _w2v.Tables(sample_int=np.full(6, 2**32, np.uint64), cum_table=np.arange(1, 7, dtype=np.uint32) * 100,
                    codes=np.zeros((1, 1), np.uint8), points=np.zeros((1, 1), np.int32),
                    code_lens=np.zeros(6, np.int32), sig=sig, log=log)  # fmt: skip
    c_rows, o_rows = syn0[[1, 2]].copy(), syn1neg[[0, 4, 5]].copy()
    _, d_in = _batched._step(
        syn0, syn1neg, c_rows.copy(), np.array([0, 0]), np.array([4, 5]), 0.1, t
    )
    f = c_rows.astype(np.float64) @ o_rows.T.astype(np.float64)
    g = (np.array([1.0, 0.0, 0.0]) - 1 / (1 + np.exp(-f))) * 0.1
    np.testing.assert_allclose(d_in, g @ o_rows, atol=2e-3)  # the sigmoid table's resolution
    np.testing.assert_allclose(syn1neg[[0, 4, 5]] - o_rows, g.T @ c_rows, atol=2e-3)


def test_batch_is_refused_where_it_has_no_step():
    for kw in ({"hs": True, "negative": 0}, {"hs": True}, {"sg": False}):
        with pytest.raises(ValueError, match="skip-gram with negative sampling only"):
            Word2VecConfig(batch=True, **{"sg": True, **kw})
    with pytest.raises(ValueError, match="n-gram rows train with the classic step"):
        FastTextConfig(batch=True, sg=True)


def test_the_batched_step_is_the_default_where_the_model_has_one():
    # batch=None (the default) trains as batch=True where there is a batched step (skip-gram,
    # negative sampling, word rows) and as batch=False, the classic step, elsewhere.
    corpus = planted_corpus(30)

    def vectors(**kw):
        cfg = Word2VecConfig(vector_size=8, min_count=1, epochs=1, threads=1, **kw)
        return Word2Vec(cfg).train(corpus, progress=False).vectors

    assert Word2VecConfig().batch is None
    np.testing.assert_array_equal(vectors(sg=True), vectors(sg=True, batch=True))
    assert not np.array_equal(vectors(sg=True), vectors(sg=True, batch=False))
    np.testing.assert_array_equal(vectors(sg=False), vectors(sg=False, batch=False))
    np.testing.assert_array_equal(
        vectors(sg=True, hs=True, negative=0), vectors(sg=True, hs=True, negative=0, batch=False)
    )


def test_a_batched_run_trains_and_resumes_to_the_same_vectors(tmp_path, interrupted_run):
    # batch=True through the trainer: one thread is reproducible, and a run stopped after an
    # epoch and resumed ends where the uninterrupted run does.
    corpus = planted_corpus(60)
    cfg = Word2VecConfig(sg=True, batch=True, vector_size=16, min_count=1, epochs=3, threads=1)
    whole = Word2Vec(cfg).train(corpus, progress=False)
    again = Word2Vec(cfg).train(corpus, progress=False)
    np.testing.assert_array_equal(whole.vectors, again.vectors)
    assert whole.similarity("a0", "a1") > whole.similarity("a0", "b1")
    ckpt = tmp_path / "ckpt"
    interrupted_run(Word2Vec(cfg), corpus, ckpt, 1)
    _, resumed = Word2Vec.resume(ckpt, corpus, progress=False)
    np.testing.assert_array_equal(resumed.vectors, whole.vectors)


@pytest.mark.parametrize("sg,negative", [(True, 5), (False, 5), (False, 2)])
def test_private_rows_are_the_only_ones_written(prepare_for_kernel, sg, negative):
    # Two threads sharing the most frequent words' output rows ran 1.6x one: nearly every
    # noise draw writes those rows, and each write pulls them from the other core. A thread
    # now trains on its own copies of them: the kernel must write the copies, never the shared
    # rows they stand for, and compute exactly what it computes on the shared rows alone.
    mode = _w2v.Mode(sg, negative, False, 3, True)
    runs = {}
    for name, fn, k in (
        ("shared", _w2v.kernel(), 0),
        ("private", _w2v.kernel(), 6),
        ("reference", _w2v.train_chunk_reference, 6),
    ):
        model, enc, t = prepared(prepare_for_kernel, sg, False, negative)
        hot_out = model.syn1neg[:k].copy()
        before = model.syn1neg.copy()
        out = _w2v.train_chunk(
            fn, model.syn0, model.syn1neg, model.syn1, enc.words, enc.starts, t, mode,
            0.05, 0.01, 4321, hot_out,
        )  # fmt: skip
        # the shared rows the copy stands for are untouched; the copy took their updates
        np.testing.assert_array_equal(model.syn1neg[:k], before[:k])
        runs[name] = (out, model.syn0.copy(), np.concatenate([hot_out, model.syn1neg[k:]]))
    assert k > 0
    assert not np.array_equal(runs["private"][2][:k], before[:k])
    assert runs["private"][0] == runs["shared"][0]
    for a, b in zip(runs["private"][1:], runs["shared"][1:], strict=True):
        np.testing.assert_array_equal(a, b)  # the same arithmetic, the rows elsewhere
    assert runs["reference"][0][1:] == runs["private"][0][1:]
    for a, b in zip(runs["reference"][1:], runs["private"][1:], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


def test_private_rows_give_back_every_threads_change():

    from tokenvec.word2vec.trainer import _HotRows

    syn1neg = np.zeros((50, 8), np.float32)
    hot = _HotRows(50, 8)
    both = threading.Barrier(2)

    def work(step: float) -> None:
        mine = hot.take(syn1neg)
        both.wait()  # both copies taken before either gives back
        mine += step
        hot.give_back(syn1neg)

    threads = [threading.Thread(target=work, args=(s,)) for s in (1.0, 0.5)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    np.testing.assert_array_equal(syn1neg[: hot.rows], 1.5)  # neither change lost
    np.testing.assert_array_equal(syn1neg[hot.rows :], 0.0)
    assert hot.rows == 50  # all of a small table fits the budget


def test_several_threads_train_skip_gram_on_private_output_rows():
    cfg = Word2VecConfig(sg=True, vector_size=16, min_count=1, epochs=1, threads=2, seed=3)
    model = Word2Vec(cfg)
    model.train(planted_corpus(), progress=False)
    plan = model._plan(as_corpus_of(planted_corpus()))
    assert plan.hot_out is not None and plan.hot_out.rows == len(model.vocab)
    for other in (Word2Vec(cfg, threads=1), Word2Vec(cfg, sg=False)):  # one thread; CBOW
        other.train(planted_corpus(), progress=False)
        assert other._plan(as_corpus_of(planted_corpus())).hot_out is None


def as_corpus_of(sentences):
    return Corpus(sentences)


def test_threads_1_is_bit_for_bit_reproducible():
    cfg = Word2VecConfig(sg=True, vector_size=20, min_count=1, epochs=2, threads=1, seed=7)
    a = Word2Vec(cfg).train(planted_corpus(), progress=False)
    b = Word2Vec(cfg).train(planted_corpus(), progress=False)
    np.testing.assert_array_equal(a.vectors, b.vectors)
    c = Word2Vec(cfg, seed=8).train(planted_corpus(), progress=False)
    assert not np.array_equal(a.vectors, c.vectors)


def test_learning_rate_falls_with_the_words_or_the_sentences():
    # One 3,000-word sentence, then 1,000 sentences of 3 words: half the words are trained
    # after 1 sentence of 1,001. By words the rate is halfway down there; by sentences (as
    # gensim counts when it knows their number) it has hardly fallen.
    corpus = [[f"w{i % 50}" for i in range(3000)]] + [["x", "y", "z"]] * 1000
    rates = {}
    for by in ("words", "sentences"):
        cfg = Word2VecConfig(min_count=1, vector_size=4, epochs=2, threads=1, chunk_words=500,
                             alpha=0.1, min_alpha=0.0, decay_by=by)  # fmt: skip
        m = Word2Vec(cfg)
        m.build_vocab(corpus)
        plan = m._plan(tv.word2vec.corpus.as_corpus(corpus))
        first_short = int(np.searchsorted(plan.enc.chunks, 1))  # the chunk after the long one
        assert plan.before[first_short] == 3000
        rates[by] = [m._rates(plan, e, k) for e in (0, 1) for k in (0, first_short)]
        assert rates[by][0][0] == 0.1 and all(a0 > a1 for a0, a1 in rates[by])
    # epoch 0 starts at 0.1; the first short chunk: 3,000 of 6,000 words, 1 of 1,001 sentences
    assert rates["words"][1][0] == pytest.approx(0.1 * (1 - 3000 / 12000))
    assert rates["sentences"][1][0] == pytest.approx(0.1 * (1 - 1 / 2002))
    assert rates["sentences"][3][0] == pytest.approx(0.1 * (1 - 1002 / 2002))  # epoch 1
    a, b = (Word2Vec(min_count=1, vector_size=4, epochs=1, threads=1, chunk_words=500,
                     decay_by=by).train(corpus, progress=False)
            for by in ("words", "sentences"))  # fmt: skip
    assert not np.array_equal(a.vectors, b.vectors)
    with pytest.raises(ValueError, match="decay_by must be one of"):
        Word2VecConfig(decay_by="lines")


def test_resume_equals_uninterrupted(tmp_path, interrupted_run):
    cfg = Word2VecConfig(
        sg=False, vector_size=12, min_count=1, epochs=3, threads=1, chunk_words=300
    )
    full = Word2Vec(cfg).train(planted_corpus(), progress=False)
    ckpt = tmp_path / "ckpt"
    interrupted_run(Word2Vec(cfg), planted_corpus(), ckpt, 2)
    assert (ckpt / "state.json").is_file() and not list(tmp_path.glob(".*tmp"))
    model, resumed = Word2Vec.resume(ckpt, planted_corpus(), progress=False)
    assert model.progress.epoch == 3
    np.testing.assert_array_equal(resumed.vectors, full.vectors)
    with pytest.raises(TrainingError, match="resume needs the same corpus"):
        Word2Vec.resume(ckpt, planted_corpus(n_sent=10), progress=False)


@pytest.mark.parametrize("sg", [True, False])
def test_planted_topics_are_learned(sg):
    losses = []
    # sample=0: in a 23-word corpus every word is "frequent" and sub-sampling would drop most.
    cfg = Word2VecConfig(
        sg=sg, vector_size=24, window=4, min_count=1, epochs=8, threads=2, seed=3, sample=0
    )
    wv = Word2Vec(cfg).train(
        planted_corpus(), progress=False, callbacks=[lambda i: losses.append(i.loss)]
    )
    a = [f"a{i}" for i in range(10)]
    b = [f"b{i}" for i in range(10)]
    within = np.mean([wv.similarity(x, y) for x in a for y in a if x != y])
    across = np.mean([wv.similarity(x, y) for x in a for y in b])
    # Random 24-d vectors have cosine ~0 +- 0.2; topic words share every context. Seeds 3-5 give
    # a margin of 0.92-1.0 for both SG and CBOW: 0.5 is far outside chance and far inside that.
    assert within - across > 0.5
    assert losses[-1] < losses[0]


def test_hierarchical_softmax_trains():
    cfg = Word2VecConfig(
        sg=True, hs=True, negative=0, vector_size=16, min_count=1, epochs=5, threads=1
    )
    wv = Word2Vec(cfg).train(planted_corpus(), progress=False)
    assert wv.similarity("a1", "a2") > wv.similarity("a1", "b2")


def test_tables_equal_gensims():
    models = pytest.importorskip("gensim.models")
    sents = [*planted_corpus(300), ["rare"] * 2, ["once"]]
    g = models.Word2Vec(vector_size=8, min_count=2, sample=1e-3, negative=5, hs=1, sg=1)
    g.build_vocab(sents)
    cfg = Word2VecConfig(min_count=2, sample=1e-3)
    v = Vocab.build(Corpus(sents), cfg)
    assert sorted(v.words) == sorted(g.wv.index_to_key)
    assert {w: int(c) for w, c in zip(v.words, v.counts, strict=True)} == {
        w: g.wv.get_vecattr(w, "count") for w in g.wv.index_to_key
    }
    # gensim keeps equal counts in its own order; compare the tables word by word.
    order = [v.words.index(w) for w in g.wv.index_to_key]
    theirs_sample = np.array(
        [g.wv.get_vecattr(w, "sample_int") for w in g.wv.index_to_key], np.float64
    )
    np.testing.assert_allclose(
        v.sample_int(1e-3)[order].astype(np.float64), theirs_sample, rtol=1e-6
    )
    codes, points, lens = v.huffman()
    theirs_lens = np.array([len(g.wv.get_vecattr(w, "code")) for w in g.wv.index_to_key])
    # Every optimal (Huffman) code has the same count-weighted length, whatever the tie order.
    assert int(v.counts @ lens) == int(v.counts[order] @ theirs_lens)
    # Codes are prefix-free paths: no code is a prefix of another.
    strs = {"".join(map(str, codes[i, : lens[i]])) for i in range(len(v))}
    assert len(strs) == len(v)
    assert not any(a != b and b.startswith(a) for a in strs for b in strs)
    assert points.max() < len(v) - 1


# --- corpus input -----------------------------------------------------------------------------


def test_corpus_sources(tmp_path):
    (tmp_path / "a.txt").write_text("the cat sat\n\non the mat\n")
    with gzip.open(tmp_path / "b.txt.gz", "wt") as f:
        f.write("a dog\n")
    with bz2.open(tmp_path / "c.txt.bz2", "wt") as f:
        f.write("two birds\n")
    assert list(Corpus(tmp_path / "a.txt")) == [["the", "cat", "sat"], ["on", "the", "mat"]]
    assert list(Corpus(tmp_path)) == [
        ["the", "cat", "sat"],
        ["on", "the", "mat"],
        ["a", "dog"],
        ["two", "birds"],
    ]
    raw = Corpus(["The Cat, sat!", ["ok"]], tokenizer=WordTokenizer())
    assert list(raw) == [["the", "cat", "sat"], ["ok"]]


def test_long_lines_are_cut_and_counted(tmp_path):
    p = tmp_path / "text8"
    p.write_text(" ".join(f"w{i % 50}" for i in range(25_000)))  # one line, no newline
    c = Corpus(p, max_sentence_length=10_000)
    sents = list(c)
    assert [len(s) for s in sents] == [10_000, 10_000, 5_000]
    assert c.stats.split_sentences == 1
    model = Word2Vec(min_count=1, epochs=1, threads=1, vector_size=4)
    model.train(p, progress=False)
    assert any("cut into several sentences" in n for n in model.notes)


def test_huge_line_is_streamed(tmp_path):
    import tokenvec.word2vec.corpus as corpus_mod

    p = tmp_path / "big"
    words = [f"w{i % 7}" for i in range(300_000)]
    p.write_text(" ".join(words))
    old = corpus_mod.BLOCK_CHARS
    corpus_mod.BLOCK_CHARS = 10_000  # force many blocks
    try:
        got = [w for s in Corpus(p) for w in s]
    finally:
        corpus_mod.BLOCK_CHARS = old
    assert got == words


def _scanned_sentences(corpus):
    scan = corpus.scan()
    words = list(scan.index)
    return [
        [words[i] for i in scan.ids[a:b]]
        for a, b in zip(scan.starts[:-1], scan.starts[1:], strict=True)
    ]


_WORDS = st.sampled_from(["a", "bb", "ccc", "é", "日本", "x'y", "", "\u3000", "\xa0", "\x1c", "\t"])


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(st.lists(_WORDS, max_size=40).map(" ".join), max_size=30),
    block=st.integers(8, 64),
    piece=st.integers(1, 40),
    limit=st.integers(1, 12),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    last_newline=st.booleans(),
)
def test_scan_yields_the_sentences_iteration_yields(tmp_path_factory, lines, block, piece,
                                                   limit, newline, last_newline):  # fmt: skip
    """The one-pass array scan (vocabulary and encoding) sees exactly the sentences that
    iterating the corpus yields: Unicode whitespace, blank lines, every newline convention,
    lines longer than a block (cut at a space) and than the sentence limit (cut and counted)."""
    import tokenvec.word2vec.corpus as corpus_mod

    p = tmp_path_factory.mktemp("scan") / "c.txt"
    p.write_bytes((newline.join(lines) + (newline if last_newline else "")).encode("utf-8"))
    old = corpus_mod.BLOCK_CHARS, corpus_mod._SLICE
    corpus_mod.BLOCK_CHARS, corpus_mod._SLICE = block, piece
    try:
        it = Corpus(p, max_sentence_length=limit)
        expected = list(it)
        sc = Corpus(p, max_sentence_length=limit)
        assert _scanned_sentences(sc) == expected
        assert sc.stats == it.stats
    finally:
        corpus_mod.BLOCK_CHARS, corpus_mod._SLICE = old


_TEXT = st.lists(
    st.sampled_from(["a", "bb", "é", "日本", "x'y", " ", "\n", "\t", "\r", "\x0b", "\x0c",
                     "\x1c", "\x1f", "\x85", "\xa0", "\u2003", "\u2028", "\u3000", "\u200b"]),
    max_size=300,
).map("".join)  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(texts=st.lists(_TEXT, min_size=1, max_size=7), table=st.sampled_from([3, 4, 8, 50]),
       words=st.sampled_from([1, 2, 16]), arena=st.sampled_from([1, 3, 64]),
       workers=st.sampled_from([1, 2, 3]))  # fmt: skip
def test_compiled_scanner_maps_words_as_the_reference(texts, table, words, arena, workers):
    """The compiled scan (bytes split at ASCII whitespace after Unicode whitespace became
    spaces, words hashed into a growing table) gives the reference's positions, line marks
    and sentences, from capacities small enough that every block grows them; with several
    threads (blocks looked up at once, the new words then placed in order) as with one."""
    from tokenvec.word2vec.corpus import _CompiledScanner, _Scanner

    class Small(_CompiledScanner):
        TABLE, WORDS, ARENA = table, words, arena

    ref, got = _Scanner(5), Small(5, workers)
    for i, text in enumerate(texts):
        if i % 2:
            ref.piece(text.replace("\n", " "))
            got.piece(text.replace("\n", " "))
        else:
            ref.lines(text)
            got.lines(text)
    a, b = ref.result(), got.result()
    assert list(b.index) == list(a.index)
    np.testing.assert_array_equal(b.ids, a.ids)
    np.testing.assert_array_equal(b.starts, a.starts)
    assert b.stats == a.stats


def test_unicode_spaces_are_str_split_whitespace():
    import re

    from tokenvec.word2vec.corpus import UNICODE_SPACES

    spaces = "".join(chr(c) for c in range(128, 0x110000) if chr(c).isspace())
    assert re.fullmatch(f"[{UNICODE_SPACES}]*", spaces)
    assert len(re.findall(f"[{UNICODE_SPACES}]", "".join(map(chr, range(128, 0x110000))))) == len(
        spaces
    )
    ascii_spaces = [c for c in range(128) if chr(c).isspace()]
    assert ascii_spaces == [9, 10, 11, 12, 13, 28, 29, 30, 31, 32]  # the compiled split's


def test_vocabulary_and_encoding_from_the_scan_equal_the_iterated_ones(tmp_path):
    """Counting and encoding by arrays give the Counter path's words, counts, ties order,
    ids and sentence bounds (words below min_count dropped, sentences left empty skipped)."""
    from tokenvec.word2vec.vocab import EncodedCorpus

    class Iterated(Corpus):
        def scan(self, workers=1):
            return None

    rng = np.random.default_rng(0)
    p = tmp_path / "c.txt"
    vocab = [f"w{i}" for i in range(300)]
    lines = [" ".join(rng.choice(vocab, rng.integers(0, 30), p=None)) for _ in range(2000)]
    p.write_text("\n".join(lines) + "\n")
    for cfg in (Word2VecConfig(min_count=5), Word2VecConfig(min_count=40, max_vocab_size=50)):
        a, b = Corpus(p), Iterated(p)
        va, vb = Vocab.build(a, cfg), Vocab.build(b, cfg)
        assert va.words == vb.words and va.raw_words == vb.raw_words
        np.testing.assert_array_equal(va.counts, vb.counts)
        ea, eb = EncodedCorpus.encode(a, va, 500), EncodedCorpus.encode(b, vb, 500)
        assert ea.words.dtype == eb.words.dtype and ea.raw_words == eb.raw_words
        for x, y in ((ea.words, eb.words), (ea.starts, eb.starts), (ea.chunks, eb.chunks)):
            np.testing.assert_array_equal(x, y)
        assert a._scan is None  # released after encoding
    with pytest.raises(CorpusError, match="min_count=10000"):
        Vocab.build(Corpus(p), Word2VecConfig(min_count=10_000))
    (tmp_path / "empty.txt").write_text("\n \n")
    with pytest.raises(CorpusError, match="empty"):
        Vocab.build(Corpus(tmp_path / "empty.txt"), Word2VecConfig())


def test_builtin_corpus_is_there():
    c = Corpus(tv.corpus.builtin_corpus_path())
    first = next(iter(c))
    assert first and all(w == w.lower() for w in first)


# --- bad input --------------------------------------------------------------------------------


def test_bad_corpora(tmp_path):
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(CorpusError, match="empty"):
        Word2Vec(min_count=1).train(tmp_path / "empty.txt", progress=False)
    with pytest.raises(
        CorpusError,
        match=r"no word occurs at least min_count=5 times \(the most frequent, 'a', occurs 2",
    ):
        Word2Vec().train([["a", "b", "a"]], progress=False)
    (tmp_path / "bin").write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(CorpusError, match="looks binary"):
        Word2Vec(min_count=1).train(tmp_path / "bin", progress=False)
    (tmp_path / "latin1").write_bytes(b"caf\xe9 au lait\n")
    with pytest.raises(CorpusError, match="not UTF-8"):
        Word2Vec(min_count=1).train(tmp_path / "latin1", progress=False)
    with pytest.raises(CorpusError, match="no such corpus"):
        Word2Vec().train(tmp_path / "missing.txt", progress=False)
    with pytest.raises(TypeError, match="re-iterable"):
        Word2Vec(min_count=1).train(iter([["a"]]), progress=False)
    with pytest.raises(CorpusError, match="sentence 1 is a int"):
        Word2Vec(min_count=1).train([["a"], 5], progress=False)


@pytest.mark.parametrize(
    "kw,msg",
    [
        ({"window": 0}, "window must be between 1 and"),
        ({"vector_size": 0}, "vector_size must be between 1 and"),
        ({"vector_size": 10**9}, "vector_size must be between 1 and 100,000"),
        ({"negative": 0, "hs": False}, "nothing would train"),
        ({"alpha": -1}, "alpha must be > 0"),
        ({"epochs": 0}, "epochs must be between 1 and"),
        ({"threads": 1.5}, "threads must be an integer"),
        ({"threads": True}, "threads must be an integer"),
        ({"threads": 10**6}, "threads must be between 0 and 1,024"),
        ({"ns_exponent": float("nan")}, "ns_exponent must be a finite number"),
        ({"sg": "yes"}, "sg must be True or False"),
    ],
)
def test_bad_config(kw, msg):
    with pytest.raises((ValueError, TypeError), match=msg):
        Word2VecConfig(**kw)


def test_divergence_is_reported():
    cfg = Word2VecConfig(
        sg=True, vector_size=8, min_count=1, epochs=3, alpha=1e30, min_alpha=1e29, threads=1
    )
    with pytest.raises(TrainingError, match="diverged.*lower alpha"):
        Word2Vec(cfg).train(planted_corpus(50), progress=False)


def test_train_word2vec_function_and_checkpoint_is_safe(tmp_path):
    wv = tv.train_word2vec(
        planted_corpus(50), min_count=1, vector_size=8, epochs=1, threads=1, progress=False
    )
    assert wv.vector_size == 8 and "a1" in wv
    model = Word2Vec(min_count=1, vector_size=8, epochs=1, threads=1)
    model.train(planted_corpus(50), progress=False, checkpoint=tmp_path / "c")
    loaded = Word2Vec.load_checkpoint(tmp_path / "c")
    np.testing.assert_array_equal(loaded.syn0, model.syn0)
    with pytest.raises(FileNotFoundError, match="not a word2vec checkpoint"):
        Word2Vec.load_checkpoint(tmp_path)


def test_predict_output_word_matches_gensim_formula():
    model = Word2Vec(sg=False, vector_size=16, min_count=1, epochs=5, threads=1, sample=0)
    model.train(planted_corpus(), progress=False)
    got = model.predict_output_word(["a1", "a2", "zzz"], topn=5)
    # The reference: softmax over the output layer of the mean context vector.
    idx = [model.vocab.words.index(w) for w in ("a1", "a2")]
    logits = model.syn1neg @ model.syn0[idx].mean(axis=0)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    assert [w for w, _ in got] == [model.vocab.words[i] for i in np.argsort(-p, kind="stable")[:5]]
    assert sum(1 for w, _ in got if w.startswith("a")) >= 3  # the topic's own words come first
    with pytest.raises(KeyError, match="none of the context words"):
        model.predict_output_word(["zzz"])


@pytest.mark.parametrize("v", [1, 2, 3, 64, 1000, 4097])
def test_guide_table_finds_the_binary_searchs_noise_word(v):
    """The kernel's guide-table walk picks the noise word the binary search picks (words of
    zero count included: their repeated cumulative values must be skipped)."""
    rng = np.random.default_rng(v)
    counts = rng.integers(0, 50, v).astype(np.float64) ** 3
    counts[0] = max(counts[0], 1.0)
    cum = np.round(np.cumsum(counts) / counts.sum() * (2**31 - 1)).astype(np.uint32)
    guide, shift = _w2v.guide_table(cum)
    assert guide.size >= v and guide.size == 1 << (31 - shift)
    xs = np.concatenate([rng.integers(0, int(cum[-1]), 5000), cum[:-1], [0, int(cum[-1]) - 1]])
    for x in xs.astype(np.int64):
        t = int(guide[x >> shift])
        while cum[t] <= x:
            t += 1
        assert t == int(np.searchsorted(cum, x, side="right"))


def test_warm_loads_the_specialisation_a_run_uses(prepare_for_kernel):
    # The trainer loads the compiled loop in a thread while it counts the corpus: the tiny
    # chunk it trains must have the argument types of a real run, or the run loads (or
    # compiles) its own specialisation afterwards and the warm-up was wasted.
    import numba

    seen = []

    def record(*args):
        seen.append(tuple(numba.typeof(a) for a in args))
        return 0.0, 0, 0

    _w2v.warm(fn=record)
    for words, sg in (["a", "b", "c", "a"], False), (["a", "b"], True):
        cfg = Word2VecConfig(vector_size=8, window=2, min_count=1, threads=1, seed=1, sg=sg)
        model, enc, t = prepare_for_kernel(Word2Vec(cfg), [words] * 5)
        assert enc.words.dtype == np.uint16
        mode = _w2v.Mode(sg, 5, False, 2, True)
        _w2v.train_chunk(record, model.syn0, model.syn1neg, model.syn1, enc.words, enc.starts,
                         t, mode, 0.025, 0.0001, 3)  # fmt: skip
    assert seen[0] == seen[1] == seen[2]
    _w2v.warm()  # and the real kernel runs it


def test_progress_goes_to_stderr_and_stdout_stays_the_programs(capfd, tmp_path):
    sentences = [["king", "queen", "man", "woman"] * 10] * 50
    tv.train_word2vec(sentences, vector_size=4, min_count=1, epochs=1, threads=1, progress=True)
    out, err = capfd.readouterr()
    assert out == "" and "word2vec" in err and "epoch" in err
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(" ".join(s) for s in sentences))
    res = subprocess.run(
        [sys.executable, "-m", "tokenvec", "train", str(corpus), "-o", str(tmp_path / "v"),
         "--epochs", "1", "--vector-size", "4", "--min-count", "1", "--progress", "--json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    json.loads(res.stdout)  # one JSON document, the bar on stderr
    assert "epoch" in res.stderr


DOCTORED = [
    ("syn0", "[:1]"),
    ("syn1neg", "[:1]"),
    ("syn1neg", "[:, :1]"),
    ("syn1", "[:1]"),
    ("syn0", ".astype(np.float64)"),
    ("counts", "[:2]"),
    ("counts", "* 0"),
]


DOCTOR = """
import json, shutil, sys, numpy as np
from tokenvec.word2vec import Word2Vec
root, cases = sys.argv[1], json.loads(sys.argv[2])
corpus = [["a", "b", "c", "d"] * 5] * 20
Word2Vec(min_count=1, vector_size=8, epochs=2, threads=1, hs=True).train(
    corpus, progress=False, checkpoint=root + "/good")
for k, (name, how) in enumerate(cases):
    ckpt = f"{root}/c{k}"
    shutil.copytree(root + "/good", ckpt)
    z = dict(np.load(ckpt + "/weights.npz"))
    z[name] = eval("z[name]" + how)
    np.savez(ckpt + "/weights.npz", **z)
    try:
        Word2Vec.resume(ckpt, corpus, progress=False)
        print("LOADED", name, how, flush=True)
    except ValueError as exc:
        print("ERROR", json.dumps(str(exc)), flush=True)
"""


def test_training_refuses_a_checkpoint_target_before_it_trains(tmp_path):
    user = tmp_path / "results"
    user.mkdir()
    (user / "keep.csv").write_text("1,2")
    t0 = time.perf_counter()
    with pytest.raises(FileExistsError, match="not a tokenvec-word2vec-checkpoint folder"):
        Word2Vec(min_count=1, epochs=1).train([["a", "b"]] * 5, progress=False, checkpoint=user)
    assert time.perf_counter() - t0 < 5 and (user / "keep.csv").is_file()
    res = cli("train", "-o", str(user), "--no-progress", "--epochs", "1")
    assert res.returncode == 1 and "not a tokenvec-vectors folder" in res.stderr
    assert (user / "keep.csv").read_text() == "1,2"


def test_doctored_checkpoints_are_errors_naming_file_and_array(tmp_path):
    # In a child process: before the fix these crashed the interpreter (SIGSEGV, free()).
    res = subprocess.run(
        [sys.executable, "-c", DOCTOR, str(tmp_path), json.dumps(DOCTORED)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    lines = res.stdout.splitlines()
    assert len(lines) == len(DOCTORED), res.stdout
    for (name, _), line in zip(DOCTORED, lines, strict=True):
        assert line.startswith("ERROR"), line
        msg = json.loads(line[6:])
        assert "weights.npz" in msg and repr(name) in msg, msg


def test_checkpoint_state_is_checked(tmp_path):
    model = Word2Vec(min_count=1, vector_size=4, epochs=1, threads=1)
    model.train([["a", "b"]] * 5, progress=False, checkpoint=tmp_path / "c")
    state_path = tmp_path / "c" / "state.json"
    state = json.loads(state_path.read_text())
    for doctor in (
        lambda s: s["config"].update(window=0),
        lambda s: s["config"].update(vector_size=5),
        lambda s: s["progress"].update(epoch="1"),
        lambda s: s.update(raw_words=None),
    ):
        bad = json.loads(json.dumps(state))
        doctor(bad)
        state_path.write_text(json.dumps(bad))
        with pytest.raises(CheckpointError, match="c/"):
            Word2Vec.load_checkpoint(tmp_path / "c")
    state_path.write_text("[" * 100_000)
    with pytest.raises(CheckpointError, match="not valid JSON"):
        Word2Vec.load_checkpoint(tmp_path / "c")


@pytest.mark.parametrize(
    "flag",
    [["--sg"], ["--hs"], ["--negative", "3"], ["--vector-size", "12"], ["--min-count", "2"],
     ["--subwords"], ["--window", "2"]],
)  # fmt: skip
def test_continue_refuses_what_the_checkpoint_fixed(tmp_path, flag):
    ckpt = checkpoint(tmp_path)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("a b c d e\n" * 20)
    r = cli("train", str(corpus), "-o", str(tmp_path / "out"), "--continue", str(ckpt),
            "--no-progress", *flag)  # fmt: skip
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert flag[0] in r.stderr and "--continue" in r.stderr
    assert not (tmp_path / "out").exists()


def test_continue_accepts_the_same_values_and_the_updatable_ones(tmp_path):
    ckpt = checkpoint(tmp_path)  # CBOW, vector size 8, min count 1
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("a b c d e\n" * 20)
    r = cli("train", str(corpus), "-o", str(tmp_path / "out"), "--continue", str(ckpt),
            "--no-progress", "--cbow", "--vector-size", "8", "--epochs", "2",
            "--alpha", "0.01")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert tv.load_vectors(tmp_path / "out").vector_size == 8


@pytest.mark.parametrize("token", [None, 3, 2.5, b"x"])
def test_tokens_that_are_not_strings_fail_before_training(token):
    from tokenvec.word2vec import FastText, Word2Vec
    from tokenvec.word2vec.corpus import CorpusError

    for trainer in (Word2Vec, FastText):
        with pytest.raises(CorpusError, match="every word must be a str"):
            trainer(min_count=1, vector_size=4, epochs=1).train([["a", "b", token]] * 5,
                                                                 progress=False)  # fmt: skip
    model = Word2Vec(min_count=1, vector_size=4, epochs=1)
    model.train([["a", "b"]] * 5, progress=False)
    with pytest.raises(CorpusError, match="every word must be a str"):
        model.update([["a", token]] * 5, progress=False)
