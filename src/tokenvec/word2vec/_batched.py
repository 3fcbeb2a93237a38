"""Batched word2vec steps (negative sampling): one set of noise words shared by a whole window,
so a window is a small dense block instead of many vector-vector passes.

The classic step (:mod:`tokenvec.word2vec._kernel`) trains each (context, centre) pair of a
skip-gram window on its own noise words: 2c pairs, each reading and writing 1 + K output rows
one vector at a time. The batched step (HogBatch: Ji et al., "Parallelizing Word2Vec in Shared
and Distributed Memory", 2016) draws K noise words once per window; the window's 2c context rows
then meet the same 1 + K output rows::

    scores = C @ O.T                       (2c, 1 + K)   C: context rows, O: centre + noise rows
    grads  = (labels - sigmoid(scores)) * alpha
    C     += grads @ O                     both from the rows before the step
    O     += grads.T @ C

Each output row is read once per window instead of once per pair, and K noise words are drawn
per window instead of per pair. Skip-gram only: CBOW already trains one bag per centre, and
sharing a draw of noise words across a block of centres (BlazingText's minibatch) measured
1.04-1.11x faster at 0.5-1.3 analogy points lower on the built-in corpus, so CBOW keeps the
classic step.

:func:`train_chunk_batched_reference` is the plain numpy statement of one chunk, window by
window, drawing the same random numbers in the same order as the compiled kernel
(:mod:`tokenvec.word2vec._batched_numba`); the tests check that both give the same weights.
Hierarchical softmax and subword inputs stay on the classic step: in fastText's skip-gram every
pair of a window shares one input (the mean of the centre's rows), so shared noise words would
score alike for every pair; training them once per window measured 1.4-1.6x faster but 6 to 27
analogy points lower (docs/benchmarks.md).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from tokenvec._native.jit import LazyKernel
from tokenvec.word2vec._constants import EXP_TABLE_SIZE, MAX_EXP
from tokenvec.word2vec._kernel import Chunk, Mode, Rng, Tables, Weights, two_word_tables, width


def _sigmoid(f: np.ndarray, sig_table: np.ndarray) -> np.ndarray:
    at = ((np.clip(f, -MAX_EXP, MAX_EXP) + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2)).astype(int)
    s = sig_table[np.minimum(at, EXP_TABLE_SIZE - 1)].astype(np.float64)
    return np.where(f >= MAX_EXP, 1.0, np.where(f <= -MAX_EXP, 0.0, s))


def _logsig(f: np.ndarray, log_table: np.ndarray) -> np.ndarray:
    at = ((np.clip(f, -MAX_EXP, MAX_EXP) + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2)).astype(int)
    v = log_table[np.minimum(at, EXP_TABLE_SIZE - 1)].astype(np.float64)
    return np.where(f >= MAX_EXP, 0.0, np.where(f <= -MAX_EXP, f, v))


def _step(
    syn0: np.ndarray,
    syn1neg: np.ndarray,
    inputs: np.ndarray,
    own: np.ndarray,
    noise: np.ndarray,
    alpha: float,
    tables: Tables,
) -> tuple[float, np.ndarray]:
    """One batched step: ``inputs`` (m, dim) predict their own targets ``own`` (m,) and the
    shared ``noise`` words (K,). Updates the output rows; returns the loss and the inputs'
    update (m, dim), both computed from the rows before the step."""
    shared = np.broadcast_to(syn1neg[noise], (len(own), len(noise), syn1neg.shape[1]))
    out = np.concatenate([syn1neg[own][:, None, :], shared], axis=1)  # (m, 1 + K, dim)
    scores = np.einsum("md,mkd->mk", inputs, out)
    labels = np.zeros_like(scores)
    labels[:, 0] = 1.0
    live = np.ones_like(scores, dtype=bool)
    live[:, 1:] = noise[None, :] != own[:, None]  # a noise word that is the target is skipped
    grads = ((labels - _sigmoid(scores, tables.sig)) * alpha).astype(np.float32) * live
    loss = float(-_logsig(np.where(labels == 1.0, scores, -scores), tables.log)[live].sum())
    d_in = np.einsum("mk,mkd->md", grads, out).astype(np.float32)
    d_noise = (grads[:, 1:].T @ inputs).astype(np.float32)  # (K, dim)
    for k, t in enumerate(noise):
        syn1neg[t] += d_noise[k]
    for r, t in enumerate(own):
        syn1neg[t] += grads[r, 0] * inputs[r]
    return loss, d_in


def train_chunk_batched_reference(
    w: Weights, t: Tables, m: Mode, chunk: Chunk
) -> tuple[float, int, int]:
    """Train skip-gram on the sentences ``words[bounds[s]:bounds[s + 1]]`` of ``chunk`` with
    the batched step (``w.hot_out`` unused); returns (loss, pairs, words
    kept). Random numbers, in order: a sentence's sub-sampling draws; then per centre its
    window draw and, if it has a context, its K noise words."""
    syn0, syn1neg, words, bounds = w.syn0, w.syn1neg, chunk.words, chunk.bounds
    tables, mode, seed = t, m, chunk.seed
    alpha_start, alpha_end = chunk.alpha_start, chunk.alpha_end
    rng = Rng(seed)
    cum = tables.cum_table

    def noise_words() -> np.ndarray:
        draws = [rng.next() % int(cum[-1]) for _ in range(mode.negative)]
        return np.searchsorted(cum, np.asarray(draws, np.uint64), side="right").astype(np.int64)

    total = max(int(bounds[-1] - bounds[0]), 1)
    loss, pairs, kept_total, seen = 0.0, 0, 0, 0
    for s in range(len(bounds) - 1):
        sent = words[bounds[s] : bounds[s + 1]]
        alpha = alpha_start + (alpha_end - alpha_start) * (seen / total)
        seen += len(sent)
        kept = [int(w) for w in sent if tables.sample_int[w] >= rng.next()]
        kept_total += len(kept)
        n = len(kept)
        for i in range(n):
            b = rng.next() % mode.window
            lo, hi = max(0, i - mode.window + b), min(n, i + mode.window + 1 - b)
            ctx = np.asarray([kept[j] for j in range(lo, hi) if j != i], np.int64)
            if not ctx.size:
                continue
            noise = noise_words()
            own = np.full(ctx.size, kept[i])
            step_loss, d_in = _step(syn0, syn1neg, syn0[ctx].copy(), own, noise, alpha, tables)
            for r, w in enumerate(ctx):
                syn0[w] += d_in[r]
            loss += step_loss
            pairs += ctx.size
    return loss, pairs, kept_total


def _build() -> object:
    from tokenvec.word2vec import _batched_numba

    return _batched_numba.train_chunk_batched


_kernel = LazyKernel(_build)  # type: ignore[arg-type]


class Scratch(NamedTuple):
    """The compiled batched step's working memory for one chunk."""

    inputs: np.ndarray  # (2 * window + 1, dim) float32: a window's context rows, and a zero
    outs: np.ndarray  # (1 + negative,) int64: its centre and noise words
    d_in: np.ndarray  # (2 * window + 1, dim) float32: the context rows' updates
    d_out: np.ndarray  # (1 + negative, dim) float32: the output rows' updates
    ctx: np.ndarray  # (2 * window,) int64: the context words
    state: np.ndarray  # (1,) uint64: the random stream
    kept: np.ndarray  # (longest sentence,) int64: a sentence's words after sub-sampling


def scratch(w: Weights, m: Mode, chunk: Chunk) -> Scratch:
    """Working memory for training ``chunk`` with the batched step."""
    dim, rows, n_out = w.syn0.shape[1], 2 * m.window + 1, m.negative + 1
    return Scratch(
        np.zeros((rows, dim), np.float32), np.zeros(n_out, np.int64),
        np.zeros((rows, dim), np.float32), np.zeros((n_out, dim), np.float32),
        np.zeros(rows, np.int64), chunk.random_state(), np.empty(chunk.longest(), np.int64),
    )  # fmt: skip


def supports(mode: Mode) -> bool:
    """Whether the batched step trains ``mode``: skip-gram with negative sampling and no
    hierarchical softmax, over word rows (not subwords)."""
    return mode.sg and mode.negative > 0 and not mode.hs and not mode.subwords


def warm(words_dtype: Any = np.uint16, dim: int = 1) -> None:
    """Load the compiled batched step for corpora encoded as ``words_dtype`` and rows of
    ``dim`` (as :func:`tokenvec.word2vec._kernel.warm` does the classic one): a trainer loads
    it in a thread while it counts the corpus."""
    syn0, syn1neg = np.zeros((2, dim), np.float32), np.zeros((2, dim), np.float32)
    mode = Mode(sg=True, negative=1, hs=False, window=1, cbow_mean=True)
    words, bounds = np.array([0, 1], words_dtype), np.array([0, 2], np.int64)
    train_chunk_batched(syn0, syn1neg, words, bounds, two_word_tables(), mode, 0.0, 0.0, 1)


def train_chunk_batched(
    syn0: np.ndarray,
    syn1neg: np.ndarray,
    words: np.ndarray,
    bounds: np.ndarray,
    tables: Tables,
    mode: Mode,
    alpha_start: float,
    alpha_end: float,
    seed: int,
    fn: Any = None,
    hot_out: np.ndarray | None = None,
    fixed: bool = True,
) -> tuple[float, int, int]:
    """Train one chunk with the compiled batched step (``fn``: the reference instead).
    ``hot_out`` (k, dim), if given, holds output rows 0..k-1 in place of ``syn1neg``'s: a
    thread's private copy of the most frequent words' rows (see ``trainer._HotRows``).
    ``fixed``: the code compiled for the rows' width where it is one of
    ``_kernel.FIXED_DIMS`` (else the code for any width)."""
    if not supports(mode):
        raise ValueError("the batched step trains skip-gram with negative sampling over word rows")
    if fn is not None and hot_out is not None:
        raise ValueError("the reference keeps no private rows: pass hot_out=None")
    none = np.empty((0, syn0.shape[1]), np.float32)
    weights = Weights(syn0, syn1neg, none if hot_out is None else hot_out, none)
    chunk = Chunk(words, bounds, float(alpha_start), float(alpha_end), int(seed))
    m = mode.exact()
    if fn is not None:
        loss, pairs, kept = fn(weights, tables, m, chunk)
    else:
        x, dim = scratch(weights, m, chunk), width(syn0.shape[1], fixed)
        loss, pairs, kept = _kernel.get()(weights, tables, m, chunk, x, dim)
    return float(loss), int(pairs), int(kept)
