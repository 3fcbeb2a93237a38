"""Positional embeddings and the input embedding."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tokenvec as tv
from tokenvec.layers.positional import LearnedPositionalEmbedding, SinusoidalPositionalEmbedding


@pytest.mark.parametrize("dim", [1, 2, 7, 16])
def test_sinusoidal_table_matches_the_formula(dim):
    table = tv.sinusoidal_table(50, dim, dtype=np.float64)
    for pos in range(50):
        for i in range(dim):
            angle = pos / 10000 ** ((i - i % 2) / dim)
            expected = math.sin(angle) if i % 2 == 0 else math.cos(angle)
            assert table[pos, i] == pytest.approx(expected, abs=1e-12)


def test_sinusoidal_exact_values():
    table = tv.sinusoidal_table(3, 4, dtype=np.float64)
    np.testing.assert_allclose(table[0], [0, 1, 0, 1])
    np.testing.assert_allclose(
        table[2], [math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)], rtol=1e-12
    )


def test_positions_and_max_len():
    for wpe in (
        LearnedPositionalEmbedding(8, 4, seed=0),
        SinusoidalPositionalEmbedding(8, 4),
    ):
        np.testing.assert_array_equal(wpe.positions(3), wpe.weight[:3])
        np.testing.assert_array_equal(wpe.positions(2, offset=5), wpe.weight[5:7])
        assert wpe.positions(8).shape == (8, 4)
        with pytest.raises(ValueError, match="sequence length 9 exceeds max_len 8"):
            wpe.positions(9)
        with pytest.raises(ValueError, match="at offset 6 exceeds max_len 8"):
            wpe.positions(3, offset=6)


@pytest.mark.parametrize("positional", ["learned", "sinusoidal"])
def test_input_embedding_is_token_plus_position(positional):
    layer = tv.InputEmbedding(50, 6, max_len=10, positional=positional, seed=1)
    ids = np.array([[3, 3, 7], [1, 3, 0]])
    out = layer(ids)
    assert out.shape == (2, 3, 6)
    for b in range(2):
        for t in range(3):
            expected = layer.wte.weight[ids[b, t]] + layer.wpe.weight[t]
            np.testing.assert_allclose(out[b, t], expected, rtol=1e-6)
    # Order matters: the same token at two positions gets two different vectors.
    assert not np.allclose(out[0, 0], out[0, 1])
    assert layer(ids[0]).shape == (3, 6)
    with pytest.raises(ValueError, match="sequence length 11 exceeds max_len 10"):
        layer(np.zeros((1, 11), int))
    with pytest.raises(ValueError, match=r"\(T,\) or \(B, T\)"):
        layer(np.zeros((1, 1, 2), int))


def test_input_embedding_backward_and_update():
    rng = np.random.default_rng(0)
    layer = tv.InputEmbedding(20, 4, max_len=6, seed=0)
    ids = np.array([[1, 2, 1], [5, 1, 2]])
    g = rng.standard_normal((2, 3, 4)).astype(np.float32)
    grads = layer.backward(ids, g)
    np.testing.assert_allclose(
        grads.wte.to_dense(), tv.one_hot(ids, 20).reshape(-1, 20).T @ g.reshape(-1, 4), atol=1e-6
    )
    assert grads.wpe is not None
    np.testing.assert_allclose(grads.wpe.to_dense()[:3], g.sum(axis=0), rtol=1e-6)
    assert not grads.wpe.to_dense()[3:].any()
    before = layer.wpe.weight.copy()
    layer.apply_gradient(grads, lr=0.1)
    np.testing.assert_allclose(layer.wpe.weight[:3], before[:3] - 0.1 * g.sum(axis=0), rtol=1e-5)
    np.testing.assert_array_equal(layer.wpe.weight[3:], before[3:])
    sin = tv.InputEmbedding(20, 4, max_len=6, positional="sinusoidal", seed=0)
    assert sin.backward(ids, g).wpe is None


def test_input_embedding_rejects_bad_ids_and_kind():
    layer = tv.InputEmbedding(20, 4, max_len=6, seed=0)
    with pytest.raises(IndexError, match="id 20 at position"):
        layer([[1, 20]])
    with pytest.raises(ValueError, match="'learned' or 'sinusoidal'"):
        tv.InputEmbedding(20, 4, positional="rotary")  # type: ignore[arg-type]
