"""Float16 tables: the compiled kernels against their references, and exact answers from
float16 storage (the same top-k as a float64 search over the stored halves)."""

from __future__ import annotations

import numpy as np
import pytest

import tokenvec as tv
from tokenvec._native import half as _half

SPECIAL = np.array(
    [0, 0x8000, 1, 0x03FF, 0x0400, 0x8001, 0x7BFF, 0x3C00, 0xBC00, 0x3555], dtype=np.uint16
).view(np.float16)


def _table(n: int = 3000, c: int = 37, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((n, c)) * rng.uniform(0, 4, (n, 1))
    m[5] = 0  # a zero row
    m[9, : len(SPECIAL)] = SPECIAL  # subnormals, signed zero, the largest half
    m[11] = m[12]  # an exact tie
    return m.astype(np.float16)


def test_dot_rows_matches_reference():
    m = _table()
    q = np.random.default_rng(1).standard_normal(m.shape[1]).astype(np.float32)
    got, ref = _half.dot_rows(m, q), _half.dot_rows_reference(m, q)
    assert got.dtype == np.float32 and got.shape == (m.shape[0],)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_dot_rows_pairs_and_a_last_odd_row(n):
    # the kernel scores rows two at a time; an odd count leaves one row for the single loop
    m = _table()[:n]
    q = np.random.default_rng(2).standard_normal(m.shape[1]).astype(np.float32)
    np.testing.assert_allclose(
        _half.dot_rows(m, q), _half.dot_rows_reference(m, q), rtol=1e-5, atol=1e-3
    )
    out = np.full(n + 2, 7.0, np.float32)  # rows lo:hi only, nothing past them
    _half._kernels.get()["dot_rows"](m.view(np.uint16), q, out, 0, n)  # type: ignore[index]
    assert (out[n:] == 7.0).all()


def test_dot_rows_splits_large_tables_across_threads():
    m = _table(n=60_000, c=40)
    q = np.ones(40, np.float32)
    np.testing.assert_allclose(_half.dot_rows(m, q), _half.dot_rows_reference(m, q), atol=1e-2)


def test_widen_is_exact_for_every_half():
    every = np.arange(2**16, dtype=np.uint32).astype(np.uint16).view(np.float16).reshape(256, 256)
    got = _half.widen_rows(every, 0, 256)
    ref = every.astype(np.float32)
    assert np.array_equal(got, ref, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(ref))


def test_unit_rows_matches_reference_bit_for_bit():
    m = _table()
    got, ref = _half.unit_rows(m), _half.unit_rows_reference(m)
    assert got.dtype == np.float16
    assert np.array_equal(got.view(np.uint16), ref.view(np.uint16))
    assert not got[5].any()


def test_kernels_refuse_other_dtypes():
    with pytest.raises(TypeError, match="float16"):
        _half.dot_rows(np.zeros((2, 3), np.float32), np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="columns"):
        _half.dot_rows(np.zeros((2, 3), np.float16), np.zeros(4, np.float32))


def _brute64(m: np.ndarray, pos: list[int], neg: list[int], k: int) -> list[int]:
    """The reference: float64 cosine search over the stored float16 vectors."""
    x = m.astype(np.float64)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    u = x / np.where(n == 0, 1, n)
    q = (u[pos].sum(axis=0) - u[neg].sum(axis=0)) / (len(pos) + len(neg))
    q /= np.linalg.norm(q)
    s = u @ q
    s[pos + neg] = -np.inf
    return np.argsort(-s, kind="stable")[:k].tolist()


def _clustered(n: int = 20_000, c: int = 48) -> np.ndarray:
    # Tight clusters make many near-ties, where float16 rounding alone would reorder answers.
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((50, c))
    m = centres[rng.integers(0, 50, n)] + 0.01 * rng.standard_normal((n, c))
    m[100] = m[101]
    return m.astype(np.float16)


@pytest.mark.parametrize(("pos", "neg"), [([0], []), ([7, 8], [9]), ([100], []), ([3], [4])])
def test_float16_most_similar_is_the_float64_answer(pos, neg):
    m = _clustered()
    keys = [f"w{i}" for i in range(len(m))]
    v16 = tv.Vectors(keys, m)
    assert v16.unit.dtype == np.float16  # half-size storage keeps a half-size unit table
    got = v16.most_similar([keys[i] for i in pos], [keys[i] for i in neg], topn=10)
    assert [keys.index(k) for k, _ in got] == _brute64(m, pos, neg, 10)
    # The scores are the exact cosines, not the float16 approximations.
    x = m.astype(np.float64)
    i = int(got[0][0][1:])
    q = v16.mean_vector([keys[j] for j in pos], [keys[j] for j in neg], dtype=np.float64)[0]
    assert got[0][1] == pytest.approx(x[i] @ q / np.linalg.norm(x[i]), abs=1e-12)


def test_float16_agrees_with_float32_storage_where_rounding_cannot_matter():
    m = _table(n=2000, c=64)
    keys = [f"w{i}" for i in range(len(m))]
    v16, v32 = tv.Vectors(keys, m), tv.Vectors(keys, m.astype(np.float32))
    for word in ("w0", "w17", "w999"):
        a = v16.most_similar(word, topn=5)
        b = v32.most_similar(word, topn=5)
        assert [k for k, _ in a] == [k for k, _ in b]
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], atol=1e-5)
    batch = v16.most_similar_batch(["w0", "w17", ["w1", "w2"]], topn=5, restrict_vocab=1500)
    assert batch == [
        v16.most_similar("w0", topn=5, restrict_vocab=1500),
        v16.most_similar("w17", topn=5, restrict_vocab=1500),
        v16.most_similar(["w1", "w2"], topn=5, restrict_vocab=1500),
    ]
    np.testing.assert_allclose(v16.distances("w3"), v32.distances("w3"), atol=2e-3)
    assert v16.closer_than("w0", "w17")[:3] == v32.closer_than("w0", "w17")[:3]
