"""The compiled half of :mod:`tokenvec.word2vec._batched`: one window (skip-gram) or one block
of centres (CBOW) at a time, as two small dense products and two rank updates.

Read it in this order: :func:`train_chunk_batched` walks the sentences (sub-sampling, the
dynamic window, the learning rate), :func:`sg_window` gathers one skip-gram window and
:func:`cbow_block` one block of CBOW bags; both hand their inputs to :func:`batched_step`, which scores
each against its own target and the shared noise words, and collects both rank updates in one
pass.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from tokenvec.word2vec._constants import EXP_TABLE_SIZE, MASK48, MAX_EXP
from tokenvec.word2vec._numba import logsig, rnd  # the classic step's, shared

njit = numba.njit(nogil=True, fastmath=True, cache=True, boundscheck=False)
inline = numba.njit(nogil=True, fastmath=True, cache=True, boundscheck=False, inline="always")


class Noise(NamedTuple):
    """Where noise words come from: the cumulative table and its guide (see ``guide_table``)."""

    cum_table: np.ndarray  # (V,) uint32
    guide: np.ndarray  # (2**k,) int32
    shift: int


class Step(NamedTuple):
    """What one step trains: skip-gram or CBOW, the noise words per step, the window."""

    sg: bool
    negative: int
    window: int
    cbow_mean: bool
    block: int  # CBOW: centres that share one draw of noise words


@inline
def noise_word(state, noise):
    """A word drawn from the noise distribution (the binary search's answer, via the guide)."""
    cum = noise.cum_table
    x = rnd(state) % cum[cum.shape[0] - 1]
    t = noise.guide[x >> np.uint64(noise.shift)]
    while cum[t] <= x:
        t += 1
    return t


@inline
def sigmoid(f, sig_table):
    if f >= MAX_EXP:
        return 1.0
    if f <= -MAX_EXP:
        return 0.0
    return sig_table[int((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))]


@inline
def batched_step(inputs, m, syn1neg, hot_out, own, shared_own, outs, n, d_in, d_out, alpha,
                 sig_table, log_table):  # fmt: skip
    """One batched step, in one pass over the inputs: input r scores its own target
    (``own[r]``, label 1) and the noise words ``outs[1:n]`` (label 0; none that is its target),
    and each score's gradient goes at once into the input's update d_in[r] and the output's
    d_out (row k for noise word k; row 0 for a target all inputs share, else row n + r). The
    output rows take d_out at the end, so every score reads the rows as they were before the
    step; the caller adds d_in to its input rows. Output rows below ``hot_out.shape[0]`` are
    read and written in ``hot_out``, the thread's private copy of them (spelled out at each
    use, as in the classic kernel). Returns the loss."""
    dim = inputs.shape[1]
    for k in range(n + m):
        for c in range(dim):
            d_out[k, c] = 0.0
    loss = 0.0
    for r in range(m):
        for c in range(dim):
            d_in[r, c] = 0.0
        for k in range(n):
            t = own[r] if k == 0 else outs[k]
            if k > 0 and t == own[r]:
                continue
            row = hot_out[t] if t < hot_out.shape[0] else syn1neg[t]
            f = np.float32(0.0)
            for c in range(dim):
                f += inputs[r, c] * row[c]
            loss -= logsig(f if k == 0 else -f, log_table)
            g = np.float32(((1.0 if k == 0 else 0.0) - sigmoid(f, sig_table)) * alpha)
            slot = k if k > 0 or shared_own else n + r
            for c in range(dim):
                d_in[r, c] += g * row[c]
                d_out[slot, c] += g * inputs[r, c]
    for k in range(1, n):
        t = outs[k]
        row = hot_out[t] if t < hot_out.shape[0] else syn1neg[t]
        for c in range(dim):
            row[c] += d_out[k, c]
    for r in range(1 if shared_own else m):
        t = own[r]
        row = hot_out[t] if t < hot_out.shape[0] else syn1neg[t]
        slot = 0 if shared_own else n + r
        for c in range(dim):
            row[c] += d_out[slot, c]
    return loss


@inline
def sg_window(syn0, syn1neg, hot_out, kept, i, lo, hi, step, noise, state, alpha, sig_table,
              log_table, work):  # fmt: skip
    """Skip-gram, one window: every context word's input row predicts the centre and the same
    ``negative`` noise words. Returns (loss, pairs)."""
    inputs, own, outs, d_in, d_out, ctx = work
    m = 0
    for j in range(lo, hi):
        if j != i:
            ctx[m] = kept[j]
            own[m] = kept[i]
            m += 1
    if m == 0:
        return 0.0, 0
    n = step.negative + 1
    for k in range(1, n):
        outs[k] = noise_word(state, noise)
    for r in range(m):
        row = syn0[ctx[r]]
        for c in range(row.shape[0]):
            inputs[r, c] = row[c]
    loss = batched_step(
        inputs, m, syn1neg, hot_out, own, True, outs, n, d_in, d_out, alpha, sig_table, log_table
    )
    for r in range(m):
        row = syn0[ctx[r]]
        for c in range(row.shape[0]):
            row[c] += d_in[r, c]
    return loss, m


@inline
def cbow_block(syn0, syn1neg, hot_out, kept, first, last, bounds_lo, bounds_hi, step, noise,
               state, alpha, sig_table, log_table, work):  # fmt: skip
    """CBOW, the centres kept[first:last]: each bag of context rows (their mean, or their sum)
    predicts its own centre and the block's shared noise words. Every bag is read before any
    row of the block is written. Returns (loss, pairs)."""
    inputs, own, outs, d_in, d_out, at = work
    dim = syn0.shape[1]
    n = step.negative + 1
    for k in range(1, n):
        outs[k] = noise_word(state, noise)
    m = 0  # bags with at least one context word; at[m] is the centre's position
    for i in range(first, last):
        r = i - first
        if bounds_hi[r] - bounds_lo[r] <= 1:
            continue
        for c in range(dim):
            inputs[m, c] = 0.0
        for j in range(bounds_lo[r], bounds_hi[r]):
            if j != i:
                row = syn0[kept[j]]
                for c in range(dim):
                    inputs[m, c] += row[c]
        if step.cbow_mean:
            inv = np.float32(1.0 / (bounds_hi[r] - bounds_lo[r] - 1))
            for c in range(dim):
                inputs[m, c] *= inv
        own[m] = kept[i]
        at[m] = i
        m += 1
    if m == 0:
        return 0.0, 0
    loss = batched_step(
        inputs, m, syn1neg, hot_out, own, False, outs, n, d_in, d_out, alpha, sig_table, log_table
    )
    for r in range(m):
        i = at[r]
        q = i - first
        count = bounds_hi[q] - bounds_lo[q] - 1
        scale = np.float32(1.0) if step.cbow_mean else np.float32(1.0 / count)
        for j in range(bounds_lo[q], bounds_hi[q]):
            if j != i:
                row = syn0[kept[j]]
                for c in range(dim):
                    row[c] += scale * d_in[r, c]
    return loss, m


@njit
def train_chunk_batched(syn0, syn1neg, hot_out, words, bounds, sample_int, noise, step,
                        alpha_start, alpha_end, seed, sig_table, log_table):  # fmt: skip
    """Train on sentences ``words[bounds[s]:bounds[s + 1]]``; (loss, pairs, words kept)."""
    dim = syn0.shape[1]
    width = 2 * step.window
    rows = max(width, step.block)
    n_out = step.negative + 1
    inputs = np.zeros((rows, dim), dtype=np.float32)
    own = np.zeros(rows, dtype=np.int64)
    outs = np.zeros(n_out, dtype=np.int64)
    d_in = np.zeros((rows, dim), dtype=np.float32)
    d_out = np.zeros((n_out + rows, dim), dtype=np.float32)
    ctx = np.zeros(rows, dtype=np.int64)
    bounds_lo = np.zeros(rows, dtype=np.int64)
    bounds_hi = np.zeros(rows, dtype=np.int64)
    state = np.empty(1, dtype=np.uint64)
    state[0] = np.uint64(seed) & np.uint64(MASK48)
    longest = 1
    for s in range(bounds.shape[0] - 1):
        longest = max(longest, bounds[s + 1] - bounds[s])
    kept = np.empty(longest, dtype=np.int64)
    total = max(bounds[bounds.shape[0] - 1] - bounds[0], 1)
    loss, pairs, kept_total, seen = 0.0, 0, 0, 0
    for s in range(bounds.shape[0] - 1):
        alpha = alpha_start + (alpha_end - alpha_start) * (seen / total)
        seen += bounds[s + 1] - bounds[s]
        n = 0
        for p in range(bounds[s], bounds[s + 1]):
            if sample_int[words[p]] >= rnd(state):
                kept[n] = words[p]
                n += 1
        kept_total += n
        if step.sg:
            for i in range(n):
                b = np.int64(rnd(state) % np.uint64(step.window))
                lo, hi = max(0, i - step.window + b), min(n, i + step.window + 1 - b)
                sg_loss, sg_pairs = sg_window(
                    syn0, syn1neg, hot_out, kept, i, lo, hi, step, noise, state, alpha, sig_table,
                    log_table, (inputs, own, outs, d_in, d_out, ctx),
                )  # fmt: skip
                loss += sg_loss
                pairs += sg_pairs
            continue
        for first in range(0, n, step.block):
            last = min(n, first + step.block)
            for r in range(last - first):
                i = first + r
                b = np.int64(rnd(state) % np.uint64(step.window))
                bounds_lo[r] = max(0, i - step.window + b)
                bounds_hi[r] = min(n, i + step.window + 1 - b)
            cb_loss, cb_pairs = cbow_block(
                syn0, syn1neg, hot_out, kept, first, last, bounds_lo, bounds_hi, step, noise,
                state, alpha, sig_table, log_table, (inputs, own, outs, d_in, d_out, ctx),
            )  # fmt: skip
            loss += cb_loss
            pairs += cb_pairs
    return loss, pairs, kept_total
