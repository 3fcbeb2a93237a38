"""The compiled half of :mod:`tokenvec.word2vec._batched`: one skip-gram window at a time, as a
small dense block of scores and two rank updates.

Read it in this order: :func:`train_chunk_batched` walks the sentences (sub-sampling, the
dynamic window, the learning rate), :func:`sg_window` gathers one window's context rows and
hands them to :func:`batched_step`, which scores each against the centre and the window's
shared noise words and collects both rank updates in one pass.
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
    """What one step trains: the noise words a window shares, the window's reach."""

    negative: int
    window: int


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
def batched_step(inputs, m, syn1neg, hot_out, outs, n, d_in, d_out, alpha, sig_table,
                 log_table):  # fmt: skip
    """One window in one pass over its inputs: each context row ``inputs[r]`` scores the centre
    ``outs[0]`` (label 1) and the noise words ``outs[1:n]`` (label 0; a noise word that is the
    centre is skipped); each score's gradient goes at once into the input's update d_in[r]
    and the output's d_out[k]. The output rows take d_out at the end, so every score reads
    the rows as they were before the step; the caller adds d_in to its input rows. Output
    rows below ``hot_out.shape[0]`` are read and written in ``hot_out``, the thread's private
    copy of them (spelled out at each use, as in the classic kernel). Returns the loss."""
    dim = inputs.shape[1]
    center = outs[0]
    for k in range(n):
        for c in range(dim):
            d_out[k, c] = 0.0
    loss = 0.0
    for r in range(m):
        for c in range(dim):
            d_in[r, c] = 0.0
        for k in range(n):
            t = outs[k]
            if k > 0 and t == center:
                continue
            row = hot_out[t] if t < hot_out.shape[0] else syn1neg[t]
            f = np.float32(0.0)
            for c in range(dim):
                f += inputs[r, c] * row[c]
            loss -= logsig(f if k == 0 else -f, log_table)
            g = np.float32(((1.0 if k == 0 else 0.0) - sigmoid(f, sig_table)) * alpha)
            for c in range(dim):
                d_in[r, c] += g * row[c]
                d_out[k, c] += g * inputs[r, c]
    for k in range(n):
        t = outs[k]
        if k > 0 and t == center:
            continue
        row = hot_out[t] if t < hot_out.shape[0] else syn1neg[t]
        for c in range(dim):
            row[c] += d_out[k, c]
    return loss


@inline
def sg_window(syn0, syn1neg, hot_out, kept, i, lo, hi, step, noise, state, alpha, sig_table,
              log_table, work):  # fmt: skip
    """One skip-gram window: every context word's input row predicts the centre and the same
    ``negative`` noise words. Returns (loss, pairs)."""
    inputs, outs, d_in, d_out, ctx = work
    m = 0
    for j in range(lo, hi):
        if j != i:
            ctx[m] = kept[j]
            m += 1
    if m == 0:
        return 0.0, 0
    n = step.negative + 1
    outs[0] = kept[i]
    for k in range(1, n):
        outs[k] = noise_word(state, noise)
    for r in range(m):
        row = syn0[ctx[r]]
        for c in range(row.shape[0]):
            inputs[r, c] = row[c]
    loss = batched_step(inputs, m, syn1neg, hot_out, outs, n, d_in, d_out, alpha, sig_table,
                        log_table)  # fmt: skip
    for r in range(m):
        row = syn0[ctx[r]]
        for c in range(row.shape[0]):
            row[c] += d_in[r, c]
    return loss, m


@njit
def train_chunk_batched(syn0, syn1neg, hot_out, words, bounds, sample_int, noise, step,
                        alpha_start, alpha_end, seed, sig_table, log_table):  # fmt: skip
    """Train on sentences ``words[bounds[s]:bounds[s + 1]]``; (loss, pairs, words kept)."""
    dim = syn0.shape[1]
    rows = 2 * step.window
    n_out = step.negative + 1
    inputs = np.zeros((rows, dim), dtype=np.float32)
    outs = np.zeros(n_out, dtype=np.int64)
    d_in = np.zeros((rows, dim), dtype=np.float32)
    d_out = np.zeros((n_out, dim), dtype=np.float32)
    ctx = np.zeros(rows, dtype=np.int64)
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
        for i in range(n):
            b = np.int64(rnd(state) % np.uint64(step.window))
            lo, hi = max(0, i - step.window + b), min(n, i + step.window + 1 - b)
            sg_loss, sg_pairs = sg_window(
                syn0, syn1neg, hot_out, kept, i, lo, hi, step, noise, state, alpha, sig_table,
                log_table, (inputs, outs, d_in, d_out, ctx),
            )  # fmt: skip
            loss += sg_loss
            pairs += sg_pairs
    return loss, pairs, kept_total
