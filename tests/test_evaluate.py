"""Evaluation: hand-made cases, and the same figures as gensim on real GloVe vectors."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import tokenvec as tv
from tokenvec._native.topk import topk_rows, topk_rows_reference
from tokenvec.vectors import evaluate


def test_hand_made_analogies(tmp_path, tiny):
    q = tmp_path / "q.txt"
    q.write_text(
        ": royalty\nman woman king queen\nMAN WOMAN KING APPLE\n: gram-x\nman king woman queen\nman woman prince queen\n"
    )
    r = evaluate.analogies(tiny, q)
    assert [s.name for s in r.sections] == ["royalty", "gram-x"]
    assert (r.sections[0].correct, r.sections[0].incorrect) == (1, 1)
    assert r.questions == 4 and r.skipped == 1  # "prince" is unknown
    assert r.total.total == 3 and r.semantic.total == 2 and r.syntactic.total == 1
    assert 0 <= r.accuracy <= 1


def test_bad_question_file(tmp_path, tiny):
    q = tmp_path / "q.txt"
    q.write_text(": s\na b c\n")
    with pytest.raises(ValueError, match=r"q.txt:2: expected 4 words, got 3"):
        evaluate.analogies(tiny, q)
    with pytest.raises(ValueError, match="3cosadd"):
        evaluate.analogies(tiny, q, method="cos")  # type: ignore[arg-type]


def test_word_pairs_hand_made(tmp_path, tiny):
    p = tmp_path / "pairs.tsv"
    p.write_text(
        "# comment\nking\tqueen\t9\nman\twoman\t8\nking\tapple\t1\nking\tprince\t5\nbad line\n"
    )
    r = evaluate.word_pairs(tiny, p)
    assert r.pairs == 3
    assert r.oov_ratio == pytest.approx(25.0)
    sims = [
        tiny.similarity("king", "queen"),
        tiny.similarity("man", "woman"),
        tiny.similarity("king", "apple"),
    ]
    np.testing.assert_allclose(r.model, sims, rtol=1e-6)
    assert r.pearson == pytest.approx(np.corrcoef([9, 8, 1], sims)[0, 1])


def test_rank_with_ties_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    x = np.array([3.0, 1, 4, 1, 5, 9, 2, 6, 5, 3])
    np.testing.assert_allclose(evaluate._rank(x), stats.rankdata(x))


@pytest.mark.parametrize("shape,k", [((1, 1), 1), ((3, 10), 4), ((7, 5), 9), ((40, 3000), 5)])
def test_topk_kernel_matches_reference(shape, k):
    rng = np.random.default_rng(0)
    s = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_array_equal(topk_rows(s, k), topk_rows_reference(s, k))
    ties = np.round(s, 1)
    np.testing.assert_array_equal(topk_rows(ties, k), topk_rows_reference(ties, k))
    s[:, 0] = -np.inf
    np.testing.assert_array_equal(topk_rows(s, k), topk_rows_reference(s, k))


def test_glove_equals_gensim(glove):
    models = pytest.importorskip("gensim.models")
    from gensim.test.utils import datapath

    kv = models.KeyedVectors(50)
    kv.add_vectors(glove.index_to_key, np.asarray(glove.vectors))
    ours = evaluate.analogies(glove, restrict_vocab=30000)
    score, sections = kv.evaluate_word_analogies(
        str(evaluate.GOOGLE_ANALOGIES), restrict_vocab=30000
    )
    assert ours.accuracy == pytest.approx(score)
    for mine, theirs in zip([*ours.sections, ours.total], sections, strict=True):
        assert (mine.correct, mine.incorrect) == (len(theirs["correct"]), len(theirs["incorrect"]))
    for name in ("wordsim353", "simlex999"):
        mine = evaluate.word_pairs(glove, name)
        pearson, spearman, oov = kv.evaluate_word_pairs(datapath(evaluate.PAIR_SETS[name]))
        assert mine.pearson == pytest.approx(pearson.statistic, abs=1e-6)
        assert mine.spearman == pytest.approx(spearman.statistic, abs=1e-6)
        assert mine.oov_ratio == pytest.approx(oov)


def test_glove_3cosmul_equals_gensim_cosmul(glove, tmp_path):
    # gensim has no 3CosMul evaluation: compare with its most_similar_cosmul question by question.
    models = pytest.importorskip("gensim.models")
    v = tv.Vectors(glove.index_to_key[:30000], glove.vectors[:30000])
    kv = models.KeyedVectors(50)
    kv.add_vectors(v.index_to_key, np.asarray(v.vectors))
    lines = evaluate.GOOGLE_ANALOGIES.read_text().splitlines()
    qs = [ln.lower().split() for ln in lines if not ln.startswith(":")][::97]
    qs = [q for q in qs if all(w in v for w in q)]
    p = tmp_path / "q.txt"
    p.write_text(": sample\n" + "\n".join(" ".join(q) for q in qs) + "\n")
    r = evaluate.analogies(v, p, method="3cosmul")
    theirs = sum(
        kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=1)[0][0] == d
        for a, b, c, d in qs
    )
    assert len(qs) > 100
    assert r.total.correct == theirs


@pytest.mark.slow
def test_glove_default_figure(glove):
    r = evaluate.analogies(glove)  # restrict_vocab=300000
    assert r.accuracy == pytest.approx(0.464, abs=0.002)


def test_pair_sets_are_shipped(tiny):
    from tokenvec.vectors.evaluate import PAIR_SETS, pair_set_path

    for name in PAIR_SETS:  # no gensim needed: the files ship with tokenvec
        lines = pair_set_path(name).read_text(encoding="utf-8").splitlines()
        assert (
            len([ln for ln in lines if not ln.startswith("#")])
            == {"wordsim353": 353, "simlex999": 999}[name]
        )
    r = tv.evaluate.word_pairs(tiny, "wordsim353")  # two of 353 pairs are among tiny's words
    assert r.oov_ratio == pytest.approx(100 * 351 / 353)
    if importlib.util.find_spec("gensim") is not None:  # the same bytes as gensim's copies
        from gensim.test.utils import datapath

        for name, file in PAIR_SETS.items():
            assert pair_set_path(name).read_bytes() == Path(datapath(file)).read_bytes()


def test_analogies_show_progress_on_stderr_only(tiny, tmp_path, capsys):
    # Before, the default evaluation was half a minute without a word.
    q = tmp_path / "q.txt"
    q.write_text(": family\nman king woman queen\n", "utf-8")
    res = evaluate.analogies(tiny, q, progress=True)
    out = capsys.readouterr()
    assert res.accuracy == 1.0 and out.out == "" and "analogy questions" in out.err
    evaluate.analogies(tiny, q)  # not a terminal under pytest: silent
    assert capsys.readouterr().err == ""
