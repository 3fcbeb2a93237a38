"""Vectors and their queries: hand-worked cases, a plain reference, and gensim as oracle."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tokenvec as tv
from support import cli


def cos(a, b):
    return float(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b))


def same_result(a, b):
    """Same keys in the same order, scores equal up to float32 rounding (GEMM vs GEMV)."""
    assert [k for k, _ in a] == [k for k, _ in b]
    np.testing.assert_allclose([s for _, s in a], [s for _, s in b], rtol=1e-5)


def test_plain_data(tiny):
    assert len(tiny) == 5 and tiny.vector_size == 2
    assert "queen" in tiny and "prince" not in tiny
    np.testing.assert_array_equal(tiny["man"], [1, 0])
    np.testing.assert_array_equal(tiny[2], [1, 0])
    assert tiny.get("prince") is None
    assert tiny.get("prince", 0) == 0
    assert tiny.key_to_index["woman"] == 3
    np.testing.assert_allclose(np.linalg.norm(tiny.unit, axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(tiny.norms[0], np.sqrt(18), rtol=1e-6)
    assert tiny[["king", "man"]].shape == (2, 2)


def test_analogy_parallelogram(tiny):
    # king - man + woman = (3, 5) = queen exactly.
    best = tiny.most_similar(positive=["king", "woman"], negative=["man"], topn=1)
    assert best[0][0] == "queen"
    # 3CosMul divides by (1 + cos(x, man)) / 2: in 2-D, "apple" (opposite to man) wins.
    mul = tiny.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=None)
    shifted = {
        k: (1 + tiny.unit[i] @ tiny.unit[[0, 3, 2]].T) / 2 for i, k in enumerate(tiny.index_to_key)
    }
    for i, k in enumerate(tiny.index_to_key):
        p = shifted[k]
        assert mul[i] == pytest.approx(p[0] * p[1] / (p[2] + 1e-6), rel=1e-5)


def test_most_similar_reference(random_vectors):
    v = random_vectors
    res = v.most_similar(positive=["w1", "w2"], negative=["w3"], topn=7)
    unit = v.vectors / np.linalg.norm(v.vectors, axis=1, keepdims=True)
    q = unit[1] + unit[2] - unit[3]
    q /= np.linalg.norm(q)
    scores = unit @ q
    scores[[1, 2, 3]] = -np.inf
    expected = np.argsort(-scores)[:7]
    assert [k for k, _ in res] == [f"w{i}" for i in expected]
    np.testing.assert_allclose([s for _, s in res], scores[expected], rtol=1e-5)
    all_scores = v.most_similar("w5", topn=None)
    assert all_scores.shape == (3000,)
    assert v.most_similar("w5", topn=3, restrict_vocab=10)[0][0] in {f"w{i}" for i in range(10)}
    # Keys, indices and raw vectors are interchangeable.
    assert v.most_similar(5, topn=3) == v.most_similar("w5", topn=3)
    by_vec = v.similar_by_vector(v["w5"], topn=4)
    assert by_vec[0][0] == "w5" and by_vec[1:] == v.most_similar("w5", topn=3)


def test_similarities_and_distances(tiny):
    assert tiny.similarity("king", "queen") == pytest.approx(cos([3, 3], [3, 5]), rel=1e-6)
    assert tiny.distance("king", "queen") == pytest.approx(1 - cos([3, 3], [3, 5]), abs=1e-6)
    assert tiny.norm_distance("man", "woman") == pytest.approx(2.0)
    assert tiny.norm_distance("king", "apple") == pytest.approx(np.hypot(7, 2))
    d = tiny.distances("king", ["queen", "apple"])
    np.testing.assert_allclose(d, [1 - cos([3, 3], [3, 5]), 1 - cos([3, 3], [-4, 1])], rtol=1e-5)
    assert tiny.distances("king").shape == (5,)
    assert tiny.doesnt_match(["king", "queen", "woman", "apple"]) == "apple"
    # Closer to man than woman is: only... compute by hand.
    c = {k: cos(tiny[k], [1, 0]) for k in tiny.index_to_key if k != "man"}
    assert tiny.closer_than("man", "woman") == sorted(
        [k for k, s in c.items() if s > c["woman"]], key=lambda k: -c[k]
    )
    assert tiny.rank("man", "woman") == len(tiny.closer_than("man", "woman")) + 1


def test_batch_equals_single_queries(random_vectors, monkeypatch):
    import tokenvec.vectors.base as vmod

    v = random_vectors
    # A tiny block size forces several blocks: results must not depend on blocking.
    monkeypatch.setattr(vmod, "SCORE_BLOCK_BYTES", 3000 * 4 * 7)
    queries = [f"w{i}" for i in range(0, 60, 3)] + [["w1", "w2"], v["w9"]]
    batch = v.most_similar_batch(queries, topn=5)
    for q, got in zip(queries, batch, strict=True):
        same_result(got, v.most_similar(q, topn=5))
    neg = v.most_similar_batch([["w1", "w2"]], negatives=[["w3"]], topn=4)
    same_result(neg[0], v.most_similar(["w1", "w2"], ["w3"], topn=4))
    assert v.most_similar_batch([]) == []


def test_unknown_key_suggests_close_matches(glove):
    with pytest.raises(KeyError, match=r"unknown word 'kign' \(did you mean 'king'"):
        glove.most_similar("kign")
    with pytest.raises(KeyError, match="unknown word 'qwzxv'"):
        glove["qwzxv"]


def test_query_errors(tiny):
    with pytest.raises(ValueError, match="at least one positive or negative"):
        tiny.most_similar([])
    with pytest.raises(ValueError, match="query vector has 3 values, vectors have 2"):
        tiny.most_similar(np.ones(3, np.float32))
    with pytest.raises(ValueError, match="NaN or inf"):
        tiny.most_similar(np.array([np.nan, 1], np.float32))
    with pytest.raises(IndexError, match="index 9 is out of range"):
        tiny.most_similar(9)
    with pytest.raises(ValueError, match="cancel out"):
        tiny.most_similar(positive=["king"], negative=["king"])
    with pytest.raises(ValueError, match="at least 2 known words"):
        tiny.doesnt_match(["king", "prince"])
    with pytest.raises(ValueError, match="topn must be"):
        tiny.most_similar("king", topn=-1)


def test_construction_checks():
    with pytest.raises(ValueError, match="2 keys for 3 vectors"):
        tv.Vectors(["a", "b"], np.ones((3, 2), np.float32))
    bad = np.ones((3, 2), np.float32)
    bad[1, 0] = np.inf
    with pytest.raises(ValueError, match=r"vector of 'b' \(row 1\) has NaN or inf"):
        tv.Vectors(["a", "b", "c"], bad)
    assert len(tv.Vectors(["a", "b", "c"], bad, allow_nan=True)) == 3
    with pytest.warns(UserWarning, match=r"1 duplicate keys \(first: 'a' at row 2\)"):
        v = tv.Vectors(["a", "b", "a"], np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(v["a"], [1, 0, 0])  # the first occurrence wins
    with pytest.raises(ValueError, match="duplicate"):
        tv.Vectors(["a", "a"], np.eye(2, dtype=np.float32), on_duplicate="error")
    assert tv.Vectors(["a"], np.ones((1, 2), np.float16)).vectors.dtype == np.float16


def test_to_embedding(tiny):
    emb = tiny.to_embedding()
    np.testing.assert_array_equal(emb([tiny.key_to_index["queen"]]), [tiny["queen"]])


def test_glove_semantics(glove):
    assert len(glove) == 400_000 and glove.vector_size == 50 and glove.index_to_key[0] == "the"
    top = glove.most_similar(positive=["king", "woman"], negative=["man"], topn=5)
    assert top[0][0] == "queen"
    assert top[0][1] == pytest.approx(0.852, abs=1e-3)
    # Related pairs lie closer than unrelated ones.
    related = [("woman", "man"), ("king", "queen"), ("uncle", "aunt"), ("boy", "girl")]
    for a, b in related:
        assert glove.similarity(a, b) > glove.similarity("paper", "water") + 0.2
        assert glove.norm_distance(a, b) < glove.norm_distance("paper", "water") - 1.5
    assert glove.doesnt_match(["breakfast", "cereal", "dinner", "lunch"]) == "cereal"


def test_matches_gensim(glove):
    gensim = pytest.importorskip("gensim.models")
    kv = gensim.KeyedVectors(50)
    kv.add_vectors(glove.index_to_key[:50000], np.asarray(glove.vectors[:50000]))
    ours = tv.Vectors(glove.index_to_key[:50000], glove.vectors[:50000])
    for pos, neg in [
        (["king", "woman"], ["man"]),
        (["paris", "germany"], ["france"]),
        (["tower"], []),
    ]:
        a = ours.most_similar(pos, neg, topn=10)
        b = kv.most_similar(positive=pos, negative=neg, topn=10)
        assert [k for k, _ in a] == [k for k, _ in b]
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], rtol=1e-4)
        a = ours.most_similar_cosmul(pos, neg, topn=5)
        b = kv.most_similar_cosmul(positive=pos, negative=neg, topn=5)
        assert [k for k, _ in a] == [k for k, _ in b]
    assert ours.doesnt_match(["breakfast", "cereal", "dinner", "lunch"]) == kv.doesnt_match(
        ["breakfast", "cereal", "dinner", "lunch"]
    )
    assert ours.similarity("woman", "man") == pytest.approx(
        float(kv.similarity("woman", "man")), rel=1e-5
    )
    assert ours.rank("king", "queen") == kv.rank("king", "queen")
    assert ours.closer_than("king", "queen") == kv.closer_than("king", "queen")


def test_huge_finite_values_are_not_mistaken_for_inf():
    # Row sums overflow float32 here, yet every value is finite: the row must be accepted.
    big = np.full((3, 4), 3e38, dtype=np.float32)
    v = tv.Vectors(["a", "b", "c"], big)
    assert len(v) == 3
    big[1, 2] = np.inf
    with pytest.raises(ValueError, match=r"vector of 'b' \(row 1\)"):
        tv.Vectors(["a", "b", "c"], big)


def test_single_row_top_k_has_one_answer_with_or_without_the_kernel():
    # numpy's single-row path and the compiled scan agree exactly with the plain reference,
    # ties included (lower index first), on short rows and on rows long enough for blocks.
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tokenvec._native.topk import topk_row_numpy, topk_rows, topk_rows_reference

    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(st.integers(-3, 3), min_size=1, max_size=60),  # small ints: many ties
        st.integers(0, 70),
        st.integers(1, 400),  # repeats: rows of up to 24,000 scores take the block path
    )
    def check(values, k, repeat):
        s = np.tile(np.array(values, dtype=np.float32), repeat)
        s[:: max(1, len(s) // 7)] += 0.5  # a few distinct best scores among the ties
        want = topk_rows_reference(s[None, :], k)[0].tolist()
        assert topk_row_numpy(s, k).tolist() == want
        assert topk_rows(s[None, :], k)[0].tolist() == want

    check()


def test_a_fresh_process_answers_a_query_without_loading_numba():

    code = (
        "import sys, numpy as np, tokenvec as tv\n"
        "rng = np.random.default_rng(0)\n"
        "v = tv.Vectors([f'w{i}' for i in range(5000)], rng.standard_normal((5000, 8)).astype(np.float32))\n"
        "print(v.most_similar('w1', topn=3)[0][0], 'numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[1] == "False"


# --- the names gensim users bring, checked against gensim itself ---------------------------


def test_gensim_names_answer_as_gensim_does(tiny, tmp_path):
    gensim = pytest.importorskip("gensim")
    kv = tiny.to_gensim()
    assert isinstance(kv, gensim.models.KeyedVectors) and kv.index_to_key == tiny.index_to_key
    np.testing.assert_array_equal(kv.vectors, tiny.vectors)
    for a, b in ((["king", "man"], ["queen"]), (["apple"], ["woman", "queen", "man"])):
        assert tiny.n_similarity(a, b) == pytest.approx(float(kv.n_similarity(a, b)), abs=1e-6)
    np.testing.assert_allclose(tiny.get_normed_vectors(), kv.get_normed_vectors(), rtol=1e-6)
    assert tiny.has_index_for("king") == kv.has_index_for("king") is True
    assert tiny.has_index_for("zebra") == kv.has_index_for("zebra") is False
    for binary in (False, True):
        path = tiny.save_word2vec_format(tmp_path / f"w{binary}", binary=binary)
        theirs = gensim.models.KeyedVectors.load_word2vec_format(str(path), binary=binary)
        assert theirs.index_to_key == tiny.index_to_key
        np.testing.assert_allclose(theirs.vectors, tiny.vectors, rtol=1e-6)
        kv.save_word2vec_format(str(tmp_path / f"g{binary}"), binary=binary)
        ours = tv.Vectors.load_word2vec_format(tmp_path / f"g{binary}", binary=binary)
        assert ours.index_to_key == tiny.index_to_key
        np.testing.assert_allclose(ours.vectors, tiny.vectors, rtol=1e-6)
    back = tv.Vectors.from_gensim(kv)
    assert back == tiny
    counted = tv.Vectors(["a", "b"], np.eye(2, dtype=np.float32), counts=[5, 2])
    assert counted.to_gensim().get_vecattr("a", "count") == 5
    np.testing.assert_array_equal(tv.Vectors.from_gensim(counted.to_gensim()).counts, [5, 2])
    model = gensim.models.Word2Vec([["a", "b", "a"]] * 20, vector_size=4, min_count=1, seed=1)
    from_model = tv.Vectors.from_gensim(model.wv)
    assert from_model.index_to_key == ["a", "b"] and from_model.counts.tolist() == [40, 20]


def _lying_folder(tmp_path: Path, dtype=np.float32) -> tuple[Path, tv.Vectors]:
    keys = ["king", "man", "woman", "queen", "the", ",", ".", "prince", "girl", "boy"]
    rng = np.random.default_rng(1)
    mat = rng.normal(size=(len(keys), 16)).astype(dtype)
    mat[3] = mat[0] - mat[1] + mat[2] + rng.normal(scale=0.01, size=16)  # queen, as it should
    clean = tv.Vectors(keys, mat)
    folder = tmp_path / "lying"
    clean.save(folder)
    doctored = np.load(folder / "vectors.npy")
    doctored[3, 5] = np.nan
    np.save(folder / "vectors.npy", doctored)
    assert json.loads((folder / "meta.json").read_text())["finite"] is True
    return folder, clean


def test_restrict_vocab_answers_from_the_restricted_candidates():
    rng = np.random.default_rng(0)
    keys = [f"w{i}" for i in range(50)]
    v = tv.Vectors(keys, rng.standard_normal((50, 8)).astype(np.float32))
    res = v.most_similar("w30", topn=3, restrict_vocab=5)
    assert [k for k, _ in res] == [k for k, _ in v.most_similar(v["w30"], topn=3,
                                                                 restrict_vocab=5)]  # fmt: skip
    assert all(int(k[1:]) < 5 for k, _ in res)
    assert len(v.most_similar_cosmul("w30", topn=3, restrict_vocab=5)) == 3
    assert len(v.most_similar_batch(["w30", ["w40", "w1"]], topn=3, restrict_vocab=5)[1]) == 3
    assert len(v.most_similar(["w30", "w40"], topn=3, restrict_vocab=5)) == 3


def test_identical_inputs_give_zero_distance_and_equality_is_defined():
    rng = np.random.default_rng(0)
    v = tv.Vectors([f"w{i}" for i in range(500)], rng.standard_normal((500, 50)).astype(np.float32))
    assert all(v.distance(k, k) == 0.0 for k in v.index_to_key)
    assert all(v.similarity(k, k) == 1.0 for k in v.index_to_key)
    w = tv.Vectors(list(v.index_to_key), v.vectors.copy())
    assert v == w and not (v != w)
    w.vectors[0, 0] += 1
    assert v != w
    with pytest.raises(TypeError):
        hash(v)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_a_nan_row_never_changes_other_answers(tmp_path, dtype):
    folder, clean = _lying_folder(tmp_path, dtype)
    v = tv.load_vectors(folder)  # the fast open trusts the record
    without = tv.Vectors([k for k in clean.index_to_key if k != "queen"],
                         np.delete(np.asarray(clean.vectors), 3, axis=0))  # fmt: skip
    for query in (dict(positive=["king", "woman"], negative=["man"]), dict(positive=["boy"])):
        got = v.most_similar(**query, topn=5)
        want = without.most_similar(**query, topn=5)
        assert [k for k, _ in got] == [k for k, _ in want]
        assert all(np.isfinite(s) for _, s in got)
    assert "queen" not in v.closer_than("king", "boy")
    assert v.doesnt_match(["king", "man", "boy"]) in {"king", "man", "boy"}


def test_asking_about_the_nan_row_is_a_clear_error(tmp_path):
    folder, _ = _lying_folder(tmp_path)
    v = tv.load_vectors(folder)
    for ask in (lambda: v.most_similar("queen"), lambda: v.similarity("queen", "king"),
                lambda: v.distances("queen"), lambda: v.doesnt_match(["queen", "king", "man"]),
                lambda: v.closer_than("king", "queen")):  # fmt: skip
        with pytest.raises(ValueError, match="'queen' \\(row 3\\) holds NaN"):
            ask()
    r = cli("similar", "queen", "-v", str(folder))
    assert r.returncode == 1 and "NaN" in r.stderr and "Traceback" not in r.stderr
