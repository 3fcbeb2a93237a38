"""The compiled half of :mod:`tokenvec.word2vec._batched`: one skip-gram window at a time, as a
small dense block of scores and two rank updates.

Read it in this order: :func:`train_chunk_batched` walks the sentences (sub-sampling, the
dynamic window, the learning rate), :func:`sg_window` gathers one window's context rows and
hands them to :func:`batched_step`, which scores each against the centre and the window's
shared noise words and collects both rank updates in one pass.
"""

from __future__ import annotations

import numpy as np

from tokenvec.word2vec._constants import EXP_TABLE_SIZE, MAX_EXP

# The classic step's helpers and flags (compiled without reference counting: see _numba)
from tokenvec.word2vec._numba import inline, logsig, njit, rnd, subsample


@inline
def noise_word(state, t):
    """A word drawn from the noise distribution (the binary search's answer, via the guide)."""
    cum = t.cum_table
    x = rnd(state) % cum[cum.shape[0] - 1]
    word = t.guide[x >> np.uint64(t.guide_shift)]
    while cum[word] <= x:
        word += 1
    return word


@inline
def sigmoid(f, sig_table):
    if f >= MAX_EXP:
        return 1.0
    if f <= -MAX_EXP:
        return 0.0
    return sig_table[int((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))]


@inline
def batched_step(inputs, m, syn1neg, hot_out, outs, n, d_in, d_out, alpha, sig_table,
                 log_table, dim):  # fmt: skip
    """One window: each context row ``inputs[r]`` scores the centre ``outs[0]`` (label 1) and
    the noise words ``outs[1:n]`` (label 0; a noise word that is the centre is skipped); each
    score's gradient goes at once into the input's update d_in[r] and the output's d_out[k].
    The output rows take d_out at the end, so every score reads the rows as they were before
    the step; the caller adds d_in to its input rows. Inputs go two at a time, so each output
    row is loaded once for both (1.3x fewer loads; with m odd the last is paired with
    ``inputs[m]``, zero, which adds nothing to d_out). Output rows below ``hot_out.shape[0]``
    are read and written in ``hot_out``, the thread's private copy of them, as in the
    classic kernel. Returns the loss."""
    center = outs[0]
    for k in range(n):
        for c in range(dim):
            d_out[k, c] = 0.0
    loss = 0.0
    for r in range(0, m, 2):
        s = r + 1
        for c in range(dim):
            d_in[r, c] = 0.0
            d_in[s, c] = 0.0
        for k in range(n):
            t = outs[k]
            if k > 0 and t == center:
                continue
            row = hot_out[t] if t < hot_out.shape[0] else syn1neg[t]
            f0 = np.float32(0.0)
            f1 = np.float32(0.0)
            for c in range(dim):
                f0 += inputs[r, c] * row[c]
                f1 += inputs[s, c] * row[c]
            label = 1.0 if k == 0 else 0.0
            loss -= logsig(f0 if k == 0 else -f0, log_table)
            if s < m:
                loss -= logsig(f1 if k == 0 else -f1, log_table)
            g0 = np.float32((label - sigmoid(f0, sig_table)) * alpha)
            g1 = np.float32((label - sigmoid(f1, sig_table)) * alpha)
            for c in range(dim):
                d_in[r, c] += g0 * row[c]
                d_in[s, c] += g1 * row[c]
                d_out[k, c] += g0 * inputs[r, c] + g1 * inputs[s, c]
    for k in range(n):
        t = outs[k]
        if k > 0 and t == center:
            continue
        row = hot_out[t] if t < hot_out.shape[0] else syn1neg[t]
        for c in range(dim):
            row[c] += d_out[k, c]
    return loss


@inline
def sg_window(w, t, m, kept, i, lo, hi, state, alpha, work, dim):
    """One skip-gram window: every context word's input row predicts the centre and the same
    ``negative`` noise words. Returns (loss, pairs)."""
    inputs, outs, d_in, d_out, ctx = work
    syn0 = w.syn0
    n_ctx = 0
    for j in range(lo, hi):
        if j != i:
            ctx[n_ctx] = kept[j]
            n_ctx += 1
    if n_ctx == 0:
        return 0.0, 0
    n = m.negative + 1
    outs[0] = kept[i]
    for k in range(1, n):
        outs[k] = noise_word(state, t)
    for r in range(n_ctx):
        row = syn0[ctx[r]]
        for c in range(dim):
            inputs[r, c] = row[c]
    for c in range(dim):  # the zero row an odd last input is paired with
        inputs[n_ctx, c] = 0.0
    loss = batched_step(inputs, n_ctx, w.syn1neg, w.hot_out, outs, n, d_in, d_out, alpha, t.sig,
                        t.log, dim)  # fmt: skip
    for r in range(n_ctx):
        row = syn0[ctx[r]]
        for c in range(dim):
            row[c] += d_in[r, c]
    return loss, n_ctx


@njit
def train_chunk_batched(w, t, m, chunk, x, dim):
    """Train on the sentences ``words[bounds[s]:bounds[s + 1]]`` of ``chunk`` (the classic
    kernel's records; ``x`` the working memory from ``_batched.scratch``; ``dim`` the rows'
    width, an int or, compiled for one width, a constant: see ``_numba.train_chunk``);
    returns (loss, pairs, words kept)."""
    state, kept = x.state, x.kept
    work = (x.inputs, x.outs, x.d_in, x.d_out, x.ctx)
    words, bounds, sample_int = chunk.words, chunk.bounds, t.sample_int
    total = max(bounds[bounds.shape[0] - 1] - bounds[0], 1)
    loss, pairs, kept_total, seen = 0.0, 0, 0, 0
    for s in range(bounds.shape[0] - 1):
        alpha = chunk.alpha_start + (chunk.alpha_end - chunk.alpha_start) * (seen / total)
        seen += bounds[s + 1] - bounds[s]
        n = subsample(words, bounds[s], bounds[s + 1], sample_int, state, kept)
        kept_total += n
        for i in range(n):
            b = np.int64(rnd(state) % np.uint64(m.window))
            lo, hi = max(0, i - m.window + b), min(n, i + m.window + 1 - b)
            sg_loss, sg_pairs = sg_window(w, t, m, kept, i, lo, hi, state, alpha, work, dim)
            loss += sg_loss
            pairs += sg_pairs
    return loss, pairs, kept_total
