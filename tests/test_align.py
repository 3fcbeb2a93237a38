"""Aligning two spaces: Procrustes recovers a known rotation, equals scipy's where installed,
CSLS retrieval against its definition, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import tokenvec as tv
from tokenvec.vectors.align import align


def _rotated(n=400, d=16, noise=0.01, seed=0, d_target=None):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((n, d_target or d)).astype(np.float32)
    q, _ = np.linalg.qr(rng.standard_normal((d_target or d, d)))
    x = y @ q + noise * rng.standard_normal((n, d))
    keys = [f"w{i}" for i in range(n)]
    return tv.Vectors(keys, x.astype(np.float32)), tv.Vectors(keys, y), q


def test_recovers_a_rotation_and_translates_held_out_keys():
    src, tgt, q = _rotated()
    al = align(src, tgt, normalize=False, center=False, holdout=0.25)
    assert len(al.pairs) == 300 and len(al.held_out) == 100
    np.testing.assert_allclose(al.rotation, q.T, atol=0.01)  # x = y q, so W = q^T
    assert al.evaluate() == {"p@1": 1.0, "p@5": 1.0, "pairs": 100.0}
    assert al.evaluate(csls=True)["p@1"] == 1.0
    word = al.held_out[0][0]
    assert al.translate(word, topn=1)[0][0] == word
    mapped = al.apply()
    assert mapped.most_similar(tgt[word], topn=1)[0][0] == word
    # With the literature's preprocessing too (unit rows, centred, unit again).
    assert align(src, tgt, holdout=0.25).evaluate()["p@1"] == 1.0


def test_equals_scipy_orthogonal_procrustes():
    linalg = pytest.importorskip("scipy.linalg")
    src, tgt, _ = _rotated(noise=0.3, seed=1)
    al = align(src, tgt, normalize=False, center=False)
    w, _ = linalg.orthogonal_procrustes(
        src.vectors.astype(np.float64), tgt.vectors.astype(np.float64)
    )
    np.testing.assert_allclose(al.rotation, w, atol=1e-8)
    np.testing.assert_allclose(al.rotation @ al.rotation.T, np.eye(16), atol=1e-10)


def test_spaces_of_different_widths():
    rng = np.random.default_rng(2)
    keys = [f"w{i}" for i in range(300)]
    y = rng.standard_normal((300, 8)).astype(np.float32)
    pad = np.concatenate([y, np.zeros((300, 4), np.float32)], axis=1)  # 12 dims, 8 used
    q, _ = np.linalg.qr(rng.standard_normal((12, 12)))
    src, tgt = tv.Vectors(keys, pad @ q), tv.Vectors(keys, y)
    al = align(src, tgt, normalize=False, center=False, holdout=0.2)
    assert al.rotation.shape == (12, 8) and al.evaluate()["p@1"] == 1.0


def test_csls_is_its_definition():
    src, tgt, _ = _rotated(n=60, d=6, noise=0.5, seed=3)
    al = align(src, tgt, normalize=True, center=False)
    k = 4
    xs = al.transform(src.vectors)
    ys = tgt.unit
    cos = xs @ ys.T
    r_t = np.sort(cos, axis=1)[:, -k:].mean(axis=1)
    r_s = np.sort(cos.T, axis=1)[:, -k:].mean(axis=1)
    csls = 2 * cos - r_t[:, None] - r_s[None, :]
    got = al.translate(["w0", "w7"], topn=3, csls=True, k=k)
    for row, res in zip([0, 7], got, strict=True):
        want = np.argsort(-csls[row])[:3]
        assert [w for w, _ in res] == [tgt.index_to_key[j] for j in want]
        np.testing.assert_allclose([s for _, s in res], csls[row, want], rtol=1e-4, atol=1e-5)
    # most_similar across the two spaces: the same scores for one word, cosine by default.
    res = al.most_similar("w7", topn=3, csls=True, k=k)
    want = np.argsort(-csls[7])[:3]
    assert [w for w, _ in res] == [tgt.index_to_key[j] for j in want]
    plain = al.most_similar("w7", topn=3)
    np.testing.assert_allclose([s for _, s in plain], np.sort(cos[7])[::-1][:3], rtol=1e-4)
    with pytest.raises(TypeError, match="one source word"):
        al.most_similar(["w7"])  # type: ignore[arg-type]


def test_bad_alignments_are_clear_errors():
    src, tgt, _ = _rotated(n=40, d=16)
    other = tv.Vectors(["a", "b"], np.eye(2, dtype=np.float32))
    with pytest.raises(ValueError, match="share no key"):
        align(src, other)
    with pytest.raises(ValueError, match="needs at least 16"):
        align(src, tgt, pairs=[(f"w{i}", f"w{i}") for i in range(10)])
    with pytest.raises(KeyError, match="keys the spaces lack"):
        align(src, tgt, pairs=[("w1", "zebra")])
    with pytest.raises(ValueError, match="holdout"):
        align(src, tgt, holdout=1.0)
    with pytest.raises(ValueError, match="no pairs to evaluate"):
        align(src, tgt).evaluate()
    with pytest.raises(TypeError):
        align(src, np.eye(3))  # type: ignore[arg-type]


@pytest.mark.slow
def test_two_word2vec_runs_align():
    """Two trainings on the built-in corpus with different seeds: the map found on 80% of the
    frequent words translates the other 20% to themselves."""
    a = tv.train_word2vec(None, epochs=3, seed=0, progress=False)
    b = tv.train_word2vec(None, epochs=3, seed=1, progress=False)
    pairs = [(w, w) for w in a.index_to_key[:5000] if w in b]
    al = align(a, b, pairs, holdout=0.2)
    assert al.evaluate()["p@1"] > 0.9 and al.evaluate(csls=True)["p@1"] > 0.9
