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


# --- word2vec on torch ---------------------------------------------------------------------


def test_word2vec_step_is_the_batched_step_of_the_compiled_trainer():
    # The same inputs, targets and noise words: torch's step (exact sigmoid) against the numpy
    # reference of the compiled one (sigmoid table), to the table's resolution.
    from tokenvec.nn.word2vec import _step
    from tokenvec.word2vec import _batched
    from tokenvec.word2vec import _kernel as _w2v

    rng = np.random.default_rng(4)
    syn0 = rng.standard_normal((9, 6)).astype(np.float32) * 0.3
    syn1 = rng.standard_normal((9, 6)).astype(np.float32) * 0.3
    inputs = syn0[[1, 2, 3]].copy()
    own, noise = np.array([0, 0, 5]), np.array([5, 7, 8])
    sig, log = _w2v.tables()
    t = _w2v.Tables(sample_int=np.full(9, 2**32, np.uint64), cum_table=np.arange(1, 10, dtype=np.uint32),
                    codes=np.zeros((1, 1), np.uint8), points=np.zeros((1, 1), np.int32),
                    code_lens=np.zeros(9, np.int32), sig=sig, log=log)  # fmt: skip
    ref_out = syn1.copy()
    _, ref_in = _batched._step(syn0, ref_out, inputs.copy(), own, noise, 0.1, t)
    out = torch.from_numpy(syn1.copy())
    noise_t = torch.from_numpy(np.tile(noise, (3, 1)))  # shared by the three inputs
    d_in = _step(None, out, torch.from_numpy(inputs), torch.from_numpy(own), noise_t, 0.1)
    np.testing.assert_allclose(d_in.numpy(), ref_in, atol=2e-3)
    np.testing.assert_allclose(out.numpy(), ref_out, atol=2e-3)


def test_word2vec_on_torch_refuses_what_it_cannot_train():
    with pytest.raises(ValueError, match="negative sampling only"):
        tvt.train_word2vec([["a", "b"]] * 5, min_count=1, hs=True, negative=0)
    with pytest.raises(ValueError, match="block_words must be >= 1"):
        tvt.train_word2vec([["a", "b"]] * 5, min_count=1, block_words=0)


def test_word2vec_on_torch_trains_word_rows_apart():
    # Two topics that never share a sentence: their words end closer to their own topic.
    rng = np.random.default_rng(0)
    a, b = [f"a{i}" for i in range(8)], [f"b{i}" for i in range(8)]
    sents = [list(rng.choice(a if s % 2 else b, 10)) for s in range(400)]
    for sg, by in ((True, "words"), (False, "words"), (False, "sentences")):
        v = tvt.train_word2vec(sents, min_count=1, vector_size=16, epochs=5, sg=sg, sample=0,
                               device="cpu", block_words=64, decay_by=by)  # fmt: skip
        assert v.similarity("a0", "a1") > v.similarity("a0", "b1") + 0.2


@pytest.mark.slow
def test_word2vec_on_torch_reaches_the_compiled_trainers_accuracy():
    # The built-in corpus, CBOW, 5 epochs (about a minute on two CPU cores).
    from tokenvec.word2vec import Word2Vec, Word2VecConfig

    torch.set_num_threads(2)
    ours = tvt.train_word2vec(None, epochs=5, seed=1, device="cpu")
    compiled = Word2Vec(Word2VecConfig(epochs=5, seed=1, threads=2)).train(None, progress=False)
    acc = [tv.evaluate.analogies(v, restrict_vocab=30000).accuracy for v in (ours, compiled)]
    ws = [tv.evaluate.word_pairs(v, "wordsim353").spearman for v in (ours, compiled)]
    assert acc[0] >= acc[1] - 0.015, acc
    assert ws[0] >= ws[1] - 0.03, ws
