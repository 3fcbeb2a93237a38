"""Approximate search (faiss): recall against exact search, save and load beside the vectors."""

from __future__ import annotations

import numpy as np
import pytest

import tokenvec as tv
from support import small

faiss = pytest.importorskip("faiss")

from tokenvec.vectors.ann import recall_at_k  # noqa: E402


@pytest.fixture(scope="module")
def clustered() -> tv.Vectors:
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((50, 32))
    mat = (centers[rng.integers(0, 50, 5000)] + 0.3 * rng.standard_normal((5000, 32))).astype(
        np.float32
    )
    return tv.Vectors([f"w{i}" for i in range(5000)], mat)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_recall_against_exact(clustered, kind):
    v = tv.Vectors(clustered.index_to_key, clustered.vectors)
    v.build_ann(kind=kind)
    queries = v.vectors[:200] + 0.1
    assert recall_at_k(v, queries, k=10) >= 0.95
    approx = v.most_similar("w3", topn=10, approx=True)
    exact = v.most_similar("w3", topn=10)
    assert len({k for k, _ in approx} & {k for k, _ in exact}) >= 8
    assert "w3" not in {k for k, _ in approx}


def test_saved_beside_native_vectors(tmp_path, clustered):
    v = tv.Vectors(clustered.index_to_key, clustered.vectors)
    v.build_ann()
    v.save(tmp_path / "v")
    back = tv.load_vectors(tmp_path / "v")
    assert back.ann is not None and back.ann.count == 5000
    assert back.most_similar("w7", approx=True, topn=5) == v.most_similar("w7", approx=True, topn=5)


def test_errors(clustered, tmp_path):
    v = tv.Vectors(clustered.index_to_key[:10], clustered.vectors[:10])
    with pytest.raises(RuntimeError, match="build_ann"):
        v.most_similar("w1", approx=True)
    with pytest.raises(ValueError, match="'hnsw' or 'ivf'"):
        v.build_ann(kind="lsh")
    big = tv.Vectors(clustered.index_to_key, clustered.vectors)
    big.build_ann().save(tmp_path / "i.faiss")
    from tokenvec.vectors.ann import load_ann

    with pytest.raises(ValueError, match="the index holds 5000 x 32 vectors"):
        load_ann(tmp_path / "i.faiss", v)


def test_batch_approx_equals_single(clustered):
    v = tv.Vectors(clustered.index_to_key, clustered.vectors)
    v.build_ann()
    words = [f"w{i}" for i in range(0, 100, 7)]
    batch = v.most_similar_batch(words, topn=5, approx=True)
    assert batch == [v.most_similar(w, topn=5, approx=True) for w in words]


def test_corrupt_ann_index_is_dropped_with_a_warning(tmp_path):
    pytest.importorskip("faiss")
    v = small()
    v.build_ann()
    out = v.save(tmp_path / "v")
    (out / "ann.faiss").write_bytes(b"garbage" * 10)
    with pytest.warns(UserWarning, match="ann.faiss: the approximate index cannot be read"):
        back = tv.load_vectors(out)
    assert back.ann is None and back.index_to_key == ["a", "b", "c"]


def test_a_long_build_shows_progress_on_stderr_only(capsys):
    # Before, building GloVe's index was minutes without a word.
    rng = np.random.default_rng(0)
    n = 40_000
    v = tv.Vectors([f"w{i}" for i in range(n)], rng.standard_normal((n, 8)).astype(np.float32))
    for kind in ("hnsw", "ivf"):
        index = v.build_ann(kind=kind, progress=True)
        out = capsys.readouterr()
        assert out.out == "" and f"building the {kind.upper()} index" in out.err
        assert index.index.ntotal == n
    v.build_ann(progress=None)  # stderr is not a terminal under pytest: silent
    assert capsys.readouterr().err == ""
