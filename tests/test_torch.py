"""PyTorch integration: same numbers as nn.Embedding, nn.Linear and SparseAdam."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

import tokenvec as tv  # noqa: E402
from tokenvec import nn as tvt  # noqa: E402


def test_linear_on_one_hot_equals_embedding_with_transposed_weight():
    torch.manual_seed(0)
    vocab, dim = 11, 5
    emb = torch.nn.Embedding(vocab, dim)
    linear = torch.nn.Linear(vocab, dim, bias=False)
    with torch.no_grad():
        linear.weight.copy_(emb.weight.T)  # Linear stores (out, in): the transpose
    ids = torch.tensor([[2, 3, 1], [10, 0, 2]])
    one_hot = F.one_hot(ids, vocab).float()  # (B, T, V)
    torch.testing.assert_close(linear(one_hot), emb(ids), rtol=1e-6, atol=0)


def test_conversions_both_ways_keep_weights_and_padding():
    ours = tv.Embedding(9, 4, padding_idx=3, seed=0)
    theirs = tvt.to_torch(ours)
    assert theirs.padding_idx == 3
    np.testing.assert_array_equal(theirs.weight.detach().numpy(), ours.weight)
    ids = np.array([[0, 3, 8]])
    np.testing.assert_array_equal(theirs(torch.from_numpy(ids)).detach().numpy(), ours(ids))
    back = tvt.from_torch(theirs)
    np.testing.assert_array_equal(back.weight, ours.weight)
    assert back.padding_idx == 3 and not back.frozen
    frozen = tvt.to_torch(tv.Embedding.from_pretrained(ours.weight))
    assert not frozen.weight.requires_grad
    assert tvt.from_torch(frozen).frozen
    with pytest.raises(TypeError, match=r"nn\.Embedding"):
        tvt.from_torch(torch.nn.Linear(2, 2))  # type: ignore[arg-type]


def test_backward_equals_torch_autograd():
    rng = np.random.default_rng(0)
    ours = tv.Embedding(30, 6, padding_idx=0, seed=2)
    theirs = tvt.to_torch(ours, freeze=False)
    ids = rng.integers(0, 30, size=(4, 9))
    ids[0, :3] = 0
    g = rng.standard_normal((4, 9, 6)).astype(np.float32)
    theirs(torch.from_numpy(ids)).backward(torch.from_numpy(g))
    np.testing.assert_allclose(
        ours.backward(ids, g).to_dense(), theirs.weight.grad.numpy(), atol=1e-5
    )


def test_sparse_adam_matches_torch():
    rng = np.random.default_rng(1)
    ours = tv.Embedding(25, 3, seed=5)
    ours_opt = tv.Adam(lr=0.05)
    theirs = torch.nn.Embedding.from_pretrained(
        torch.from_numpy(ours.weight.copy()), freeze=False, sparse=True
    )
    theirs_opt = torch.optim.SparseAdam(theirs.parameters(), lr=0.05)
    for _ in range(5):
        ids = rng.integers(0, 25, size=(2, 7))
        g = rng.standard_normal((2, 7, 3)).astype(np.float32)
        ours.apply_gradient(ours.backward(ids, g), optimizer=ours_opt)
        theirs_opt.zero_grad()
        theirs(torch.from_numpy(ids)).backward(torch.from_numpy(g))
        theirs_opt.step()
    np.testing.assert_allclose(ours.weight, theirs.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("positional", ["learned", "sinusoidal"])
def test_module_input_embedding_equals_numpy_layer(positional):
    layer = tv.InputEmbedding(40, 8, max_len=12, positional=positional, seed=3)
    module = tvt.InputEmbedding.from_numpy(layer).eval()
    assert isinstance(module.wte, torch.nn.Embedding)
    names = {n for n, _ in module.named_parameters()}
    assert names == ({"wte.weight", "wpe.weight"} if positional == "learned" else {"wte.weight"})
    ids = np.random.default_rng(0).integers(0, 40, size=(3, 12))
    out = module(torch.from_numpy(ids)).detach().numpy()
    np.testing.assert_allclose(out, layer(ids), rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="exceeds max_len 12"):
        module(torch.zeros(1, 13, dtype=torch.long))
    with pytest.raises(IndexError, match="id 40 is out of range"):
        module(torch.tensor([[1, 40]]))


def test_module_dropout_only_in_training():
    module = tvt.InputEmbedding(10, 64, max_len=4, dropout=0.5)
    ids = torch.zeros(2, 4, dtype=torch.long)
    module.train()
    assert (module(ids) == 0).float().mean() > 0.3
    module.eval()
    assert (module(ids) == 0).float().mean() == 0
