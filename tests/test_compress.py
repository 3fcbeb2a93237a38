"""Compressed tables: int8 codes and float16 against plain references, PCA against an SVD,
queries unchanged, native round trips, clear errors."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

import tokenvec as tv
from tokenvec.vectors import storage as st
from tokenvec.vectors.storage import code_scales, int8_codes


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    low = rng.standard_normal((3000, 6)) @ rng.standard_normal((6, 24))
    mat = (low + 0.5 * rng.standard_normal((3000, 24))).astype(np.float32)
    mat[7] = 0.0  # an all-zero row stays one
    return tv.Vectors([f"w{i}" for i in range(3000)], mat, counts=np.arange(3000, 0, -1))


def test_int8_codes_decode_the_unit_rows(table):
    codes, norms = int8_codes(table.vectors)
    np.testing.assert_allclose(norms, table.norms, rtol=1e-6)
    unit = np.asarray(table.unit, dtype=np.float64)
    peak = np.abs(unit).max(axis=1, keepdims=True)
    ref = np.rint(unit / np.where(peak == 0, 1, peak / 127))  # the plain definition
    np.testing.assert_array_equal(codes, ref.astype(np.int8))
    q = table.quantize("int8")
    assert isinstance(q.storage, st.Int8) and q.nbytes == 3000 * 24 + 3000 * 4
    decoded = codes.astype(np.float64) * code_scales(codes)[:, None]
    np.testing.assert_allclose(q.unit, decoded, rtol=1e-6, atol=1e-7)
    cos = np.sum(decoded * unit, axis=1)
    assert cos[np.arange(3000) != 7].min() > 0.999 and not q.unit[7].any()
    np.testing.assert_allclose(q["w3"], table["w3"], rtol=0.02, atol=0.02)
    np.testing.assert_allclose(np.linalg.norm(q["w3"]), table.norms[3], rtol=1e-5)


def test_int8_scores_are_the_decoded_rows_scores(table):
    q = table.quantize("int8")
    rng = np.random.default_rng(1)
    query = rng.standard_normal(24).astype(np.float32)
    np.testing.assert_allclose(q.unit_dot(query), q.unit @ query, rtol=1e-4, atol=1e-5)
    many = rng.standard_normal((5, 24)).astype(np.float32)
    np.testing.assert_allclose(q.unit_dot(many), many @ q.unit.T, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(q.unit_dot(query, restrict_vocab=100), q.unit[:100] @ query,
                               rtol=1e-4, atol=1e-5)  # fmt: skip
    with pytest.raises(ValueError, match="restrict_vocab"):
        q.unit_dot(query, restrict_vocab=0)


def test_queries_work_unchanged(table):
    q = table.quantize("int8")
    ref = table.most_similar("w1", topn=10)
    got = q.most_similar("w1", topn=10)
    assert len({w for w, _ in ref} & {w for w, _ in got}) >= 9
    for (_, a), (_, b) in zip(ref[:3], got[:3], strict=True):
        assert abs(a - b) < 0.01
    assert q.most_similar(positive=["w1", "w2"], negative=["w3"], topn=1)
    assert abs(q.similarity("w1", "w2") - table.similarity("w1", "w2")) < 0.01
    assert q.most_similar_batch(["w1", "w4"], topn=2)[0][0][0] == got[0][0]
    np.testing.assert_allclose(q.encode(["w1 w2"]), table.encode(["w1 w2"]), atol=0.01)
    np.testing.assert_array_equal(q.counts, table.counts)
    half = table.quantize("float16")
    top = half.most_similar("w1", topn=1)[0]
    assert (
        half.vectors.dtype == np.float16 and top[0] == ref[0][0] and abs(top[1] - ref[0][1]) < 1e-3
    )


def test_int8_native_round_trip_opens_memory_mapped(table, tmp_path):
    for keep in (True, False):
        q = table.quantize("int8", keep_norms=keep)
        path = q.save(tmp_path / f"q{keep}")
        start = time.perf_counter()
        back = tv.load_vectors(path)
        assert time.perf_counter() - start < 1.0
        assert isinstance(back.storage, st.Int8) and isinstance(back.storage.codes, np.memmap)
        np.testing.assert_array_equal(np.asarray(back.storage.codes), q.storage.codes)
        np.testing.assert_array_equal(back.norms, q.norms)
        assert back.most_similar("w5", topn=3) == q.most_similar("w5", topn=3)
        # unit rows have length 1; the all-zero row 7 keeps length 0
        assert back.storage.kept_norms is keep
        assert keep or (np.all(np.delete(back.norms, 7) == 1) and back.norms[7] == 0)
        from tokenvec.io.formats import describe

        info = describe(path)
        assert info["form"].startswith("int8 codes") and info["dtype"] == "int8"
    assert len(tv.load_vectors(tmp_path / "qTrue", limit=10)) == 10
    (tmp_path / "qTrue" / "norms.npy").write_bytes(b"\x93NUMPY broken")
    with pytest.raises(tv.VectorFormatError, match="norms.npy"):
        tv.load_vectors(tmp_path / "qTrue")


def test_reduce_is_pca(table):
    r = table.reduce(5)
    assert r.vector_size == 5 and r.index_to_key == table.index_to_key
    x = table.vectors.astype(np.float64)
    u, s, _ = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
    np.testing.assert_allclose(np.abs(r.vectors), np.abs(u[:, :5] * s[:5]), rtol=1e-3, atol=1e-3)
    np.testing.assert_array_equal(r.counts, table.counts)
    sklearn = pytest.importorskip("sklearn.decomposition")
    theirs = sklearn.PCA(5, svd_solver="full").fit_transform(x)
    np.testing.assert_allclose(np.abs(r.vectors), np.abs(theirs), rtol=1e-3, atol=1e-3)


def test_bad_compressions_are_clear_errors(table):
    nan = tv.Vectors(["a", "b"], np.array([[1, np.nan], [0, 1]], np.float32), allow_nan=True)
    with pytest.raises(ValueError, match="'a' .* NaN"):
        nan.quantize("int8")
    with pytest.raises(ValueError, match="NaN"):
        nan.reduce(1)
    with pytest.raises(ValueError, match="cannot reduce 24 dimensions to 30"):
        table.reduce(30)
    with pytest.raises(ValueError, match="overflows float16"):
        tv.Vectors(["a"], np.array([[1e6, 0]], np.float32)).quantize("float16")
    with pytest.raises(ValueError, match="form must be"):
        table.quantize("int4")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="int8"):
        st.Int8(np.zeros((1, 2), np.float32))


def _round_trip(v: tv.Vectors, path, form: str) -> None:
    """The native folder gives back the same class, rows and answers, and names the form."""
    from tokenvec.io.formats import describe

    back = tv.load_vectors(v.save(path))
    assert type(back) is type(v) and type(back.storage) is type(v.storage)
    np.testing.assert_array_equal(back.unit, v.unit)
    assert back.most_similar("w9", topn=3) == v.most_similar("w9", topn=3)
    assert describe(path)["form"] == form


def test_product_quantization_scores_its_decoded_rows(table, tmp_path):
    pq = table.quantize("pq", subspaces=6, sample=3000, iterations=10)
    rows = pq.storage
    assert isinstance(rows, st.PQ) and rows.codes.shape == (3000, 6)
    assert pq.nbytes == 3000 * 6 + 6 * 256 * 4 * 4  # 4 dims a subspace
    # The plain definition: row = concatenated centroids, at unit length.
    ref = np.concatenate([rows.codebook[j, rows.codes[:, j], :4] for j in range(6)], axis=1)
    n = np.linalg.norm(ref, axis=1, keepdims=True)
    ref = np.divide(ref, n, out=np.zeros_like(ref), where=n > 0)
    np.testing.assert_allclose(pq.unit, ref, rtol=1e-5, atol=1e-6)
    query = np.random.default_rng(3).standard_normal(24).astype(np.float32)
    np.testing.assert_allclose(pq.unit_dot(query), ref @ query, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(pq.unit_dot(np.stack([query, -query])), np.stack([ref @ query, -(ref @ query)]),
                               rtol=1e-4, atol=1e-5)  # fmt: skip
    # Quality on a table with structure: most of the float32 neighbours survive.
    ov = np.mean([len({w for w, _ in pq.most_similar(f"w{i}", topn=10)}
                      & {w for w, _ in table.most_similar(f"w{i}", topn=10)}) / 10
                  for i in range(0, 3000, 100)])  # fmt: skip
    assert ov > 0.3
    _round_trip(pq, tmp_path / "pq", "product-quantized, 6 bytes a row")
    with pytest.raises(ValueError, match="subspaces must be between 1 and 24"):
        table.quantize("pq", subspaces=25)


def test_residual_quantization_scores_its_decoded_rows(table, tmp_path):
    rq = table.quantize("rq", subspaces=4, sample=3000, iterations=8)
    rows = rq.storage
    assert isinstance(rows, st.RQ) and rows.codes.shape == (3000, 4)
    assert rq.nbytes == 3000 * 4 + 4 * 256 * 24 * 4
    # The plain definition: row = the sum of its codebooks' centroids, at unit length.
    ref = sum(rows.codebook[j, rows.codes[:, j]].astype(np.float64) for j in range(4))
    n = np.linalg.norm(ref, axis=1, keepdims=True)
    ref = np.divide(ref, n, out=np.zeros_like(ref), where=n > 0)
    np.testing.assert_allclose(rq.unit, ref, rtol=1e-5, atol=1e-6)
    query = np.random.default_rng(3).standard_normal(24).astype(np.float32)
    np.testing.assert_allclose(rq.unit_dot(query), ref @ query, rtol=1e-4, atol=1e-5)
    # Each codebook codes what the ones before it left: the error falls codebook by codebook
    # (the greedy choice), and the same bytes of product quantization leave more.
    unit = np.asarray(table.unit, dtype=np.float64)
    left = [np.mean(np.sum((unit - sum(rows.codebook[j, rows.codes[:, j]] for j in range(k))) ** 2,
                           axis=1)) for k in range(1, 5)]  # fmt: skip
    assert all(a > b for a, b in itertools.pairwise(left))
    pq = table.quantize("pq", subspaces=4, sample=3000, iterations=8)
    err = {f: float(np.mean(np.sum((v.unit - unit) ** 2, axis=1)))
           for f, v in (("rq", rq), ("pq", pq))}  # fmt: skip
    assert err["rq"] < 0.8 * err["pq"], err
    # One row before any query is the row of the decoded table; the native folder keeps it.
    again = st.RQ(rows.codes, rows.codebook)
    first = again.unit_row(5)
    assert again._scales is None
    np.testing.assert_array_equal(first, rq.unit[5])
    _round_trip(rq, tmp_path / "rq", "residual-quantized, 4 bytes a row")
    with pytest.raises(ValueError, match="subspaces must be between 1 and 256"):
        table.quantize("rq", subspaces=300)
    with pytest.raises(ValueError, match="codebook"):
        st.RQ(np.zeros((1, 2), np.uint8), np.zeros((3, 256, 4), np.float32))
    bad = rows.codebook.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        st.RQ(rows.codes, bad)


def test_pq_learns_from_the_most_frequent_rows():
    # Frequent words (by counts, else the first rows) lie in one region, rare ones in another:
    # codebooks learned on the frequent rows reconstruct them better than a random sample's,
    # which is mostly rare rows.
    from tokenvec.vectors.compress import _training_rows

    rng = np.random.default_rng(1)
    n, d = 4000, 12
    mat = rng.standard_normal((n, d)).astype(np.float32)
    mat[:400] = rng.standard_normal((400, d)) * 0.3 + 4.0  # the frequent words' region
    counts = np.r_[np.arange(1000, 600, -1), np.ones(n - 400)]
    order = rng.permutation(n)  # rows shuffled: the counts say which are frequent
    table = tv.Vectors([f"w{i}" for i in order], mat[order], counts=counts[order])
    top = np.flatnonzero(order < 400)
    got = _training_rows(n, table.counts, 400, "frequent", rng)
    np.testing.assert_array_equal(got, top)
    # no counts: the first rows
    np.testing.assert_array_equal(_training_rows(n, None, 50, "frequent", rng), np.arange(50))
    assert len(set(_training_rows(n, None, 50, "random", rng).tolist())) == 50

    def error(pq: tv.Vectors) -> float:
        return float(np.mean(np.sum((pq.unit[top] - table.unit[top]) ** 2, axis=1)))

    kw = dict(subspaces=3, sample=400, iterations=8, seed=0)
    frequent = table.quantize("pq", train_on="frequent", **kw)
    random = table.quantize("pq", train_on="random", **kw)
    assert error(frequent) < 0.5 * error(random)
    with pytest.raises(ValueError, match="train_on must be"):
        table.quantize("pq", train_on="rare")


def test_pq_scales_on_first_use_equal_one_rows_scale(table):
    # A PQ table opens without a pass over its codes; one row looked up before any query
    # gets the same vector as after the whole table's scales are computed.
    pq = table.quantize("pq")
    rows = pq.storage
    again = pq.with_storage(st.PQ(rows.codes, rows.codebook, rows.bounds))
    assert again.storage._scales is None
    first = [again._unit_row(i) for i in range(5)]
    assert again.storage._scales is None
    for i, row in enumerate(first):
        np.testing.assert_array_equal(row, again.unit[i])
    np.testing.assert_array_equal(again.storage.scales, rows.scales)
    assert again.most_similar(pq.index_to_key[3], topn=3) == pq.most_similar(
        pq.index_to_key[3], topn=3
    )
