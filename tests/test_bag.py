"""EmbeddingBag against torch.nn.EmbeddingBag and against the one-hot definition."""

from __future__ import annotations

import numpy as np
import pytest

from tokenvec.layers.bag import EmbeddingBag


def _random_bags(rng, vocab, n_bags, max_len):
    lens = rng.integers(0, max_len + 1, n_bags)
    lens[rng.integers(0, n_bags)] = 0  # at least one empty bag
    ids = rng.integers(0, vocab, int(lens.sum()))
    offsets = np.concatenate([[0], np.cumsum(lens)[:-1]])
    return ids, offsets


def test_sum_is_counts_times_the_weight():
    rng = np.random.default_rng(0)
    bag = EmbeddingBag(20, 6, mode="sum", seed=1)
    ids, offsets = _random_bags(rng, 20, 7, 5)
    bounds = np.concatenate([offsets, [ids.size]])
    counts = np.zeros((7, 20), np.float32)
    for b in range(7):
        np.add.at(counts[b], ids[bounds[b] : bounds[b + 1]], 1)
    np.testing.assert_allclose(bag(ids, offsets), counts @ bag.weight, rtol=1e-6, atol=1e-7)


CASES = [
    dict(mode="sum"),
    dict(mode="mean"),
    dict(mode="max"),
    dict(mode="sum", padding_idx=3),
    dict(mode="mean", padding_idx=3),
    dict(mode="max", padding_idx=3),
    dict(mode="sum", psw=True),
    dict(mode="mean", include_last_offset=True),
    dict(mode="sum", two_d=True),
    dict(mode="mean", max_norm=1.0),
    dict(mode="max", two_d=True),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_equals_torch_embedding_bag(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(str(case)))
    vocab, dim = 12, 5
    weight = rng.standard_normal((vocab, dim)).astype(np.float32)
    case = dict(case)
    psw, two_d = case.pop("psw", False), case.pop("two_d", False)
    last = case.get("include_last_offset", False)
    if two_d:
        ids = rng.integers(0, vocab, (6, 4))
        offsets = None
    else:
        ids, offsets = _random_bags(rng, vocab, 8, 6)
        ids[: len(ids) // 3] = 3  # padding rows, when a padding_idx is set
        if last:
            offsets = np.concatenate([offsets, [ids.size]])
    weights = rng.standard_normal(ids.shape).astype(np.float32) if psw else None
    ours = EmbeddingBag.from_pretrained(weight, freeze=False, **case)
    theirs = torch.nn.EmbeddingBag.from_pretrained(
        torch.from_numpy(weight.copy()), freeze=False, **case
    )
    t_ids = torch.from_numpy(ids)
    t_off = None if offsets is None else torch.from_numpy(offsets)
    t_w = None if weights is None else torch.from_numpy(weights)
    out_t = theirs(t_ids, t_off, per_sample_weights=t_w)
    out = ours(ids, offsets, per_sample_weights=weights)
    exact = case["mode"] == "max" or (case["mode"] == "sum" and not psw)
    tol = dict(rtol=0, atol=0) if exact else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, out_t.detach().numpy(), **tol)
    g = rng.standard_normal(out.shape).astype(np.float32)
    (out_t * torch.from_numpy(g)).sum().backward()
    grad = ours.backward(ids, g, offsets, per_sample_weights=weights).to_dense()
    np.testing.assert_allclose(grad, theirs.weight.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_bad_bags_are_clear_errors():
    bag = EmbeddingBag(10, 3, mode="mean")
    with pytest.raises(ValueError, match="need offsets"):
        bag([1, 2, 3])
    with pytest.raises(ValueError, match="first offset must be 0"):
        bag([1, 2, 3], offsets=[1])
    with pytest.raises(ValueError, match="rise from 0"):
        bag([1, 2, 3], offsets=[0, 2, 1])
    with pytest.raises(ValueError, match="mode 'sum' only"):
        bag([1, 2], offsets=[0], per_sample_weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="offsets must be None"):
        bag([[1, 2]], offsets=[0])
    with pytest.raises(IndexError, match="out of range"):
        bag([1, 10], offsets=[0])
    with pytest.raises(ValueError, match="last offset"):
        EmbeddingBag(10, 3, include_last_offset=True)([1, 2], offsets=[0, 1])
    with pytest.raises(ValueError, match="mode must be"):
        EmbeddingBag(10, 3, mode="median")
    assert bag([], offsets=[0, 0]).tolist() == [[0.0] * 3, [0.0] * 3]  # empty bags: zeros


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding", [None, 0])
def test_compiled_forward_equals_the_reference(mode, padding):
    rng = np.random.default_rng(7)
    bag = EmbeddingBag(30, 9, mode=mode, padding_idx=padding, seed=2)
    ids, offsets = _random_bags(rng, 30, 40, 12)
    psw = rng.standard_normal(ids.shape).astype(np.float32) if mode == "sum" else None
    np.testing.assert_array_equal(bag(ids, offsets, psw), bag.reference(ids, offsets, psw))


def test_training_updates_only_the_bags_rows():
    bag = EmbeddingBag(10, 4, mode="mean", seed=0)
    before = bag.weight.copy()
    g = bag.backward([1, 2, 2, 7], np.ones((2, 4), np.float32), offsets=[0, 3])
    assert g.ids.tolist() == [1, 2, 7]
    np.testing.assert_allclose(g.rows, [[1 / 3] * 4, [2 / 3] * 4, [1.0] * 4], rtol=1e-6)
    bag.apply_gradient(g, lr=0.1)
    changed = np.flatnonzero((bag.weight != before).any(axis=1)).tolist()
    assert changed == [1, 2, 7]
    frozen = EmbeddingBag.from_pretrained(before)
    with pytest.raises(RuntimeError, match="frozen"):
        frozen.apply_gradient(g)
    assert "EmbeddingBag(10, 4" in repr(bag) and "mode='mean'" in repr(bag)


@pytest.mark.parametrize(
    "case", CASES[:9], ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items())
)
def test_torch_twins_give_the_same_bags(case):
    """tokenvec.nn.to_torch / from_torch carry the table, mode, padding row and max_norm: the
    twin's outputs equal the layer's (bit for bit where the reduction is exact)."""
    pytest.importorskip("torch")
    import torch

    from tokenvec.nn import from_torch, to_torch

    case = {k: v for k, v in case.items() if k not in ("psw", "two_d")}
    rng = np.random.default_rng(7)
    ours = EmbeddingBag.from_pretrained(
        rng.standard_normal((12, 5)).astype(np.float32), freeze=False, **case
    )
    twin = to_torch(ours)
    assert isinstance(twin, torch.nn.EmbeddingBag) and twin.mode == case["mode"]
    assert twin.weight.requires_grad and twin.padding_idx == ours.padding_idx
    ids, offsets = _random_bags(rng, 12, 6, 5)
    if case.get("include_last_offset"):
        offsets = np.concatenate([offsets, [ids.size]])
    out = twin(torch.from_numpy(ids), torch.from_numpy(offsets)).detach().numpy()
    exact = case["mode"] in ("sum", "max")
    tol = dict(rtol=0, atol=0) if exact else dict(rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours(ids, offsets), out, **tol)
    back = from_torch(twin)
    assert isinstance(back, EmbeddingBag) and back.mode == ours.mode
    assert back.include_last_offset == ours.include_last_offset and not back.embedding.frozen
    np.testing.assert_array_equal(back(ids, offsets), ours(ids, offsets))
    frozen = to_torch(EmbeddingBag.from_pretrained(np.eye(3, dtype=np.float32), max_norm=0.5))
    assert not frozen.weight.requires_grad and frozen.max_norm == 0.5
    assert from_torch(frozen).embedding.max_norm == 0.5
