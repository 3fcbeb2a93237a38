"""The embedding layer: lookup == one-hot product, sparse gradient == dense gradient."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokenvec as tv
from tokenvec.layers.embedding import sparse_row_sum
from tokenvec.word2vec import Word2Vec

W5 = np.array([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]], dtype=np.float32)  # 5 x 2


def test_hand_worked_lookup():
    emb = tv.Embedding.from_pretrained(W5)
    np.testing.assert_array_equal(emb([3, 0, 3]), [[6, 7], [0, 1], [6, 7]])
    np.testing.assert_array_equal(emb(4), [8, 9])
    assert emb([[1], [2]]).shape == (2, 1, 2)


@settings(max_examples=40, deadline=None)
@given(
    vocab=st.integers(1, 60),
    dim=st.integers(1, 17),
    shape=st.lists(st.integers(0, 5), min_size=1, max_size=3),
    seed=st.integers(0, 2**32 - 1),
)
def test_lookup_equals_one_hot_product_and_linear(vocab, dim, shape, seed):
    rng = np.random.default_rng(seed)
    emb = tv.Embedding(vocab, dim, seed=seed, std=1.0)
    ids = rng.integers(0, vocab, size=shape)
    looked = emb(ids)
    assert looked.shape == (*shape, dim)
    product = tv.one_hot(ids, vocab) @ emb.weight
    np.testing.assert_allclose(looked, product, rtol=1e-6, atol=0)
    linear = emb.as_linear()
    assert linear.weight.shape == (dim, vocab)  # nn.Linear layout: (out, in)
    np.testing.assert_allclose(linear(tv.one_hot(ids, vocab)), looked, rtol=1e-6, atol=0)


def test_dense_reference_backward_with_repeats_and_padding():
    rng = np.random.default_rng(0)
    emb = tv.Embedding(7, 3, padding_idx=2, seed=0)
    ids = np.array([[1, 2, 1, 6], [6, 6, 0, 2]])
    grad_out = rng.standard_normal((2, 4, 3)).astype(np.float32)
    sparse = emb.backward(ids, grad_out)
    dense = tv.one_hot(ids, 7).reshape(-1, 7).T @ grad_out.reshape(-1, 3)  # (V, C)
    dense[2] = 0  # the padding row gets no gradient
    np.testing.assert_array_equal(sparse.ids, [0, 1, 6])
    np.testing.assert_allclose(sparse.to_dense(), dense, rtol=1e-6, atol=1e-7)
    # Row 1 occurs twice: its gradient is the sum of both output gradients.
    np.testing.assert_allclose(sparse.rows[1], grad_out[0, 0] + grad_out[0, 2], rtol=1e-6)


@settings(max_examples=30, deadline=None)
@given(vocab=st.integers(1, 40), n=st.integers(0, 60), seed=st.integers(0, 2**32 - 1))
def test_sparse_backward_matches_dense_random(vocab, n, seed):
    rng = np.random.default_rng(seed)
    emb = tv.Embedding(vocab, 4, seed=seed)
    ids = rng.integers(0, vocab, size=n)
    grad_out = rng.standard_normal((n, 4)).astype(np.float32)
    dense = tv.one_hot(ids, vocab).T @ grad_out
    np.testing.assert_allclose(emb.backward(ids, grad_out).to_dense(), dense, atol=1e-5)


def test_sparse_row_sum_docstring_example():
    ids, rows = sparse_row_sum(np.array([2, 0, 2]), np.array([[1.0], [2.0], [3.0]]))
    assert ids.tolist() == [0, 2]
    assert rows.tolist() == [[2.0], [4.0]]


def test_sgd_updates_only_looked_up_rows():
    emb = tv.Embedding(6, 2, seed=1)
    before = emb.weight.copy()
    grad = emb.backward([1, 4, 1], np.ones((3, 2), np.float32))
    emb.apply_gradient(grad, lr=0.5)
    changed = np.flatnonzero(np.any(emb.weight != before, axis=1))
    assert changed.tolist() == [1, 4]
    np.testing.assert_allclose(emb.weight[1], before[1] - 0.5 * 2, rtol=1e-6)
    np.testing.assert_allclose(emb.weight[4], before[4] - 0.5 * 1, rtol=1e-6)


def test_padding_row_stays_zero_through_training():
    emb = tv.Embedding(5, 3, padding_idx=0, seed=0, std=1.0)
    assert not emb.weight[0].any()
    opt = tv.Adam(lr=0.1)
    for _ in range(3):
        grad = emb.backward([0, 1, 0], np.ones((3, 3), np.float32))
        assert 0 not in grad.ids.tolist()
        emb.apply_gradient(grad, optimizer=opt)
    assert not emb.weight[0].any()


def test_training_a_lookup_reduces_a_loss():
    # Fit rows to targets with squared error; loss must drop to near zero.
    rng = np.random.default_rng(0)
    emb = tv.Embedding(10, 4, seed=0)
    ids = np.array([1, 3, 3, 7])
    target = rng.standard_normal((4, 4)).astype(np.float32)
    target[2] = target[1]  # the same id must reach one target
    losses = []
    for _ in range(200):
        out = emb(ids)
        losses.append(float(((out - target) ** 2).sum()))
        emb.apply_gradient(emb.backward(ids, 2 * (out - target)), lr=0.1)
    assert losses[-1] < 1e-6 * losses[0]


def test_init_schemes_are_seeded_and_scaled():
    a = tv.Embedding(1000, 64, seed=3)
    b = tv.Embedding(1000, 64, seed=3)
    np.testing.assert_array_equal(a.weight, b.weight)
    assert not np.array_equal(a.weight, tv.Embedding(1000, 64, seed=4).weight)
    # 64,000 draws: the sample std of N(0, 0.02²) is within 2% of 0.02 with overwhelming odds.
    assert abs(a.weight.std() - 0.02) < 0.02 * 0.02
    u = tv.Embedding(1000, 64, init="uniform", std=0.5, seed=0).weight
    assert np.abs(u).max() <= 0.5 * np.sqrt(3) and abs(u.std() - 0.5) < 0.01
    x = tv.Embedding(1000, 64, init="xavier", seed=0).weight
    assert np.abs(x).max() <= np.sqrt(6 / 1064)
    assert tv.Embedding(4, 2, dtype=np.float16).weight.dtype == np.float16
    with pytest.raises(ValueError, match="unknown init"):
        tv.Embedding(4, 2, init="kaiming")  # type: ignore[arg-type]


# --- bad input ---------------------------------------------------------------------------------


def test_out_of_range_id_names_id_position_and_vocab():
    emb = tv.Embedding(100, 4)
    with pytest.raises(IndexError, match=r"id 100 at position \(1, 2\).*100 rows.*0\.\.99"):
        emb([[0, 1, 2], [3, 4, 100]])
    with pytest.raises(IndexError, match=r"id -1 at position 2 "):
        emb([0, 1, -1])


@pytest.mark.parametrize("bad", [[0.5, 1.0], np.array([1.0, 2.0]), [True, False], ["a"], [None]])
def test_non_integer_ids_are_refused(bad):
    with pytest.raises(TypeError, match="ids must be integers"):
        tv.Embedding(10, 2)(bad)


def test_ragged_ids_are_refused():
    with pytest.raises(ValueError, match="rectangular"):
        tv.Embedding(10, 2)([[1, 2], [3]])


@pytest.mark.parametrize("ids", [[], np.zeros((0,), np.int64), np.zeros((3, 0), np.int32)])
def test_empty_ids_give_empty_output(ids):
    out = tv.Embedding(10, 5)(ids)
    assert out.shape == (*np.shape(ids), 5)
    assert out.dtype == np.float32


def test_uint_and_small_int_ids_work():
    emb = tv.Embedding.from_pretrained(W5)
    np.testing.assert_array_equal(emb(np.array([4], np.uint16)), [[8, 9]])
    np.testing.assert_array_equal(emb(np.array([4], np.int8)), [[8, 9]])


def test_pretrained_matrix_checks():
    with pytest.raises(TypeError, match=r"float16, float32 or float64.*astype"):
        tv.Embedding.from_pretrained(np.ones((3, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="2-D"):
        tv.Embedding.from_pretrained(np.ones(3, dtype=np.float32))
    bad = np.ones((3, 2), np.float32)
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"non-finite value \(nan\) at row 2, column 1"):
        tv.Embedding.from_pretrained(bad)
    assert np.isnan(tv.Embedding.from_pretrained(bad, allow_nan=True)([2])).any()
    src = np.ones((3, 2), np.float32)
    emb = tv.Embedding.from_pretrained(src)
    emb.weight[0] = 5
    assert src[0, 0] == 1  # copied by default


def test_bad_sizes():
    with pytest.raises(ValueError, match="num_embeddings must be a positive integer"):
        tv.Embedding(0, 3)
    with pytest.raises(TypeError, match="embedding_dim must be a positive integer"):
        tv.Embedding(3, 2.5)  # type: ignore[arg-type]
    with pytest.raises(IndexError, match="padding_idx 7"):
        tv.Embedding(3, 2, padding_idx=7)


def test_mismatched_grad_shape():
    emb = tv.Embedding(10, 4)
    with pytest.raises(ValueError, match=r"grad_out has shape \(2, 3\), expected \(2, 4\)"):
        emb.backward([1, 2], np.ones((2, 3)))
    other = tv.Embedding(11, 4).backward([1], np.ones((1, 4)))
    with pytest.raises(ValueError, match="gradient is for a"):
        emb.apply_gradient(other)


def test_frozen_embedding_refuses_updates():
    emb = tv.Embedding.from_pretrained(W5)
    grad = emb.backward([1], np.ones((1, 2), np.float32))
    with pytest.raises(RuntimeError, match="frozen"):
        emb.apply_gradient(grad)
    tv.Embedding.from_pretrained(W5, freeze=False).apply_gradient(grad)


def test_adam_refuses_a_second_matrix():
    opt = tv.Adam()
    a, b = tv.Embedding(4, 2), tv.Embedding(5, 2)
    a.apply_gradient(a.backward([1], np.ones((1, 2))), optimizer=opt)
    with pytest.raises(ValueError, match="one Adam per embedding"):
        b.apply_gradient(b.backward([1], np.ones((1, 2))), optimizer=opt)


@pytest.mark.parametrize("shape", [(3,), (2, 5), (4, 1024), (3, 2, 700)])
def test_gather_rows_threaded_path_equals_fancy_indexing(shape):
    # 4 x 1024 and 3 x 2 x 700 rows of 512 floats exceed PARALLEL_GATHER_BYTES: threaded path.
    from tokenvec.layers.embedding import PARALLEL_GATHER_BYTES, gather_rows

    rng = np.random.default_rng(0)
    W = rng.standard_normal((5000, 512)).astype(np.float32)
    ids = rng.integers(0, 5000, size=shape)
    out = gather_rows(W, ids)
    np.testing.assert_array_equal(out, W[ids])
    assert out.flags.c_contiguous
    if np.prod(shape) >= 2048:
        assert out.nbytes >= PARALLEL_GATHER_BYTES


def test_lookup_into_a_reused_output():
    emb = tv.Embedding(50, 8, seed=0)
    ids = np.array([[3, 7, 3], [0, 49, 1]])
    buf = np.empty((2, 3, 8), np.float32)
    got = emb(ids, out=buf)
    assert got is buf and np.array_equal(buf, emb.weight[ids])
    big = np.random.default_rng(0).integers(0, 50, (300, 600))  # large: split across threads
    big_out = np.empty((300, 600, 8), np.float32)
    assert np.array_equal(emb(big, out=big_out), emb.weight[big])
    with pytest.raises(ValueError, match="the lookup gives"):
        emb(ids, out=np.empty((2, 3, 7), np.float32))
    with pytest.raises(ValueError, match="the lookup gives"):
        emb(ids, out=np.empty((2, 3, 8), np.float64))
    with pytest.raises(ValueError, match="C-contiguous"):
        emb(ids, out=np.empty((2, 8, 3), np.float32).transpose(0, 2, 1))
    with pytest.raises(ValueError, match="shares memory"):
        emb(np.array([0, 1]), out=emb.weight[:2])
    with pytest.raises(TypeError, match="numpy array"):
        emb(ids, out=[1, 2])


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_max_norm_renormalises_looked_up_rows_as_torch(norm_type):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    w = (rng.standard_normal((20, 6)) * 2).astype(np.float32)
    ids = np.array([[1, 4, 4, 9], [0, 1, 19, 3]])
    ours = tv.Embedding.from_pretrained(w, freeze=False, max_norm=1.5, norm_type=norm_type)
    theirs = torch.from_numpy(w.copy())
    out_t = torch.nn.functional.embedding(
        torch.from_numpy(ids), theirs, max_norm=1.5, norm_type=norm_type
    )
    np.testing.assert_allclose(ours(ids), out_t.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours.weight, theirs.numpy(), rtol=1e-6, atol=1e-7)  # in place
    untouched = np.setdiff1d(np.arange(20), ids)
    np.testing.assert_array_equal(ours.weight[untouched], w[untouched])
    with pytest.raises(ValueError, match="max_norm"):
        tv.Embedding(3, 2, max_norm=0)


@pytest.mark.parametrize("padding_idx", [None, 2])
def test_scale_grad_by_freq_as_torch(padding_idx):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    w = rng.standard_normal((10, 4)).astype(np.float32)
    ids = np.array([[1, 1, 1, 2], [2, 5, 1, 9]])
    g = rng.standard_normal((2, 4, 4)).astype(np.float32)
    ours = tv.Embedding.from_pretrained(w, scale_grad_by_freq=True, padding_idx=padding_idx)
    t = torch.nn.Embedding.from_pretrained(
        torch.from_numpy(w.copy()), freeze=False, scale_grad_by_freq=True, padding_idx=padding_idx
    )
    (t(torch.from_numpy(ids)) * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(
        ours.backward(ids, g).to_dense(), t.weight.grad.numpy(), rtol=1e-6, atol=1e-7
    )


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 2000),
    vocab=st.integers(1, 100),
    zipf=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_sparse_row_sum_adds_each_ids_rows_in_order(n, vocab, zipf, seed):
    # Ranks shared by many ids are added a rank at a time (bit for bit a plain loop's sum),
    # the last rows of the few ids repeated most at once (to float rounding).
    rng = np.random.default_rng(seed)
    ids = (np.minimum(rng.zipf(1.3, n), vocab) - 1) if zipf else rng.integers(0, vocab, n)
    grad = rng.standard_normal((ids.size, 5)).astype(np.float32)
    uniq, rows = sparse_row_sum(ids, grad)
    want_ids = sorted(set(ids.tolist()))
    assert uniq.tolist() == want_ids and rows.dtype == np.float32
    for u, row in zip(want_ids, rows, strict=True):
        acc = np.zeros(5, np.float32)
        where = np.flatnonzero(ids == u)
        for i in where:
            acc += grad[i]
        # float32 sums of k terms in another order differ by up to ~k ulps of the partial sums
        np.testing.assert_allclose(row, acc, rtol=1e-5, atol=2e-6 * max(1, where.size))


def test_bad_values_are_refused():
    with pytest.raises(TypeError, match="padding_idx must be an integer"):
        tv.Embedding(4, 2, padding_idx=True)
    with pytest.raises(MemoryError, match="an embedding of 1,000,000,000 x 768 needs"):
        tv.Embedding(10**9, 768)
    with pytest.raises(MemoryError, match="word2vec weights"):
        Word2Vec(vector_size=100_000, min_count=1).build_vocab([[str(i) for i in range(200_000)]])
