"""word2vec's compiled training loop (numba): the arithmetic of
:func:`tokenvec.word2vec._kernel.train_chunk_reference`, GIL released, in float32.

Every function is defined at module level so numba's on-disk cache (``cache=True``, beside this
file in ``__pycache__``) is found again by the next process: a kernel built inside a factory
gets a new identity in each process and is compiled anew every time.
"""

from __future__ import annotations

import numba
import numpy as np

from tokenvec._native.intrinsics import prefetch
from tokenvec.word2vec._constants import EXP_TABLE_SIZE, LCG_ADD, LCG_MUL, MASK48, MAX_EXP

njit = numba.njit(nogil=True, fastmath=True, cache=True, boundscheck=False)
inline = numba.njit(nogil=True, fastmath=True, cache=True, boundscheck=False, inline="always")


@inline
def rnd(state):
    state[0] = (state[0] * np.uint64(LCG_MUL) + np.uint64(LCG_ADD)) & np.uint64(MASK48)
    return (state[0] >> np.uint64(16)) & np.uint64(0xFFFFFFFF)


@inline
def prefetch_row(mat, r):
    """Start loading row r of a float32 matrix (every 64-byte line of it)."""
    row = mat[r]
    for c in range(0, row.shape[0], 16):
        prefetch(row, c)


@inline
def draw_negatives(negs, count, state, cum_table, guide, shift, syn1neg, hot_rows):
    """negs[:count] = noise words, each the first index with ``cum_table[i] > x`` for a random
    x (binary search's answer), found from ``guide[x >> shift]`` (the answer for the smallest x
    of its slot) by a short walk; each row's lines are prefetched, to arrive while the
    predictions before it compute (a noise row is a cache miss, and the search was the
    other half of the time). The first ``hot_rows`` rows live in the thread's own copy, in
    cache already: a prefetch of the shared one would only pull it from the other core."""
    cum_max = cum_table[cum_table.shape[0] - 1]
    for q in range(count):
        x = rnd(state) % cum_max
        t = guide[x >> shift]
        while cum_table[t] <= x:
            t += 1
        negs[q] = t
        if t >= hot_rows:
            prefetch_row(syn1neg, t)


@inline
def sigmoid_g(f, label, alpha, sig_table):
    if f >= MAX_EXP:
        s = 1.0
    elif f <= -MAX_EXP:
        s = 0.0
    else:
        s = sig_table[int((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))]
    return np.float32((label - s) * alpha)


@inline
def logsig(f, log_table):
    if f >= MAX_EXP:
        return 0.0
    if f <= -MAX_EXP:
        return f
    return log_table[int((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))]


@inline
def sum_rows(acc, syn0, sub_rows, lo, hi):
    """acc += the rows sub_rows[lo:hi] of syn0, in order."""
    dim = acc.shape[0]
    for k in range(lo, hi):
        row = syn0[sub_rows[k]]
        for c in range(dim):
            acc[c] += row[c]


@inline
def add_to_rows(syn0, sub_rows, lo, hi, delta):
    """Each row sub_rows[lo:hi] of syn0 += delta."""
    dim = delta.shape[0]
    for k in range(lo, hi):
        row = syn0[sub_rows[k]]
        for c in range(dim):
            row[c] += delta[c]


@inline
def predict(l1, target, neu1e, syn1neg, hot_out, syn1, codes, points, code_lens, negs, q,
            negative, hs, alpha, sig_table, log_table):  # fmt: skip
    """Predict ``target`` from ``l1`` (its tree path, and the noise words negs[q:q+negative]
    drawn before): update the output rows, accumulate the input's gradient in neu1e. Output
    rows below ``hot_out.shape[0]`` are read and written in ``hot_out``, the thread's private
    copy of them (spelled out at each use: a helper returning the row view costs a reference
    count per row, 1.4x the skip-gram time)."""
    dim = l1.shape[0]
    loss = 0.0
    if hs:
        for k in range(code_lens[target]):
            node = points[target, k]
            row = syn1[node]
            f = np.float32(0.0)
            for c in range(dim):
                f += l1[c] * row[c]
            label = 1.0 - codes[target, k]
            g = sigmoid_g(f, label, alpha, sig_table)
            loss -= logsig(f if label == 1.0 else -f, log_table)
            for c in range(dim):
                neu1e[c] += g * row[c]
                row[c] += g * l1[c]
    if negative > 0:
        # One pass over the dimensions per target: apply the previous target's update and
        # compute this target's dot product together (halves the passes over memory).
        prev = -1
        g_prev = np.float32(0.0)
        for d in range(negative + 1):
            if d == 0:
                t = target
                label = 1.0
            else:
                t = negs[q + d - 1]
                if t == target:
                    continue
                label = 0.0
            row = hot_out[t] if t < hot_out.shape[0] else syn1neg[t]
            f = np.float32(0.0)
            if prev >= 0:
                prow = hot_out[prev] if prev < hot_out.shape[0] else syn1neg[prev]
                for c in range(dim):
                    old = prow[c]
                    neu1e[c] += g_prev * old
                    prow[c] = old + g_prev * l1[c]
                    f += l1[c] * row[c]
            else:
                for c in range(dim):
                    f += l1[c] * row[c]
            g = sigmoid_g(f, label, alpha, sig_table)
            loss -= logsig(f if label == 1.0 else -f, log_table)
            prev = t
            g_prev = g
        if prev >= 0:
            prow = hot_out[prev] if prev < hot_out.shape[0] else syn1neg[prev]
            for c in range(dim):
                old = prow[c]
                neu1e[c] += g_prev * old
                prow[c] = old + g_prev * l1[c]
    return loss


@inline
def bag_predict(l1, count, cbow_mean, center, neu1e, syn1neg, hot_out, syn1, codes, points,
                code_lens, negs, negative, hs, alpha, sig_table, log_table):  # fmt: skip
    """CBOW: predict ``center`` from the bag ``l1`` of ``count`` rows, their mean (the error
    then flows to each row whole) or their sum (the error spread over the rows, as gensim)."""
    dim = l1.shape[0]
    inv = np.float32(1.0 / count)
    if cbow_mean:
        for c in range(dim):
            l1[c] *= inv
    loss = predict(l1, center, neu1e, syn1neg, hot_out, syn1, codes, points, code_lens, negs, 0,
                   negative, hs, alpha, sig_table, log_table)  # fmt: skip
    if not cbow_mean:
        for c in range(dim):
            neu1e[c] *= inv
    return loss


@njit
def train_chunk(syn0, hot_in, syn1neg, hot_out, syn1, words, bounds, sample_int, cum_table,
                codes, points, code_lens, sg, negative, hs, window, cbow_mean, alpha_start,
                alpha_end, seed, sig_table, log_table, subwords, sub_offsets, sub_rows, guide,
                guide_shift):  # fmt: skip
    dim = syn0.shape[1]
    hot_rows = hot_out.shape[0]
    # Input rows below this live in ``hot_in``, the thread's private copy (never with
    # subwords, whose rows are reached through sub_rows).
    hot_in_rows = hot_in.shape[0]
    shift = np.uint64(guide_shift)
    # Noise words are drawn for a whole centre before its predictions (the random stream is
    # the same: nothing else draws in between), so their rows load in parallel; a centre
    # needing more than the buffer holds draws before each prediction instead.
    # CBOW draws the next centre's window and noise words before training this one.
    buffers = np.empty((2, max(negative, min(2 * window * negative, 4096), 1)), dtype=np.int64)
    negs = buffers[0]
    state = np.empty(1, dtype=np.uint64)
    state[0] = np.uint64(seed) & np.uint64(MASK48)
    neu1e = np.zeros(dim, dtype=np.float32)
    l1 = np.zeros(dim, dtype=np.float32)
    longest = 0
    for s in range(bounds.shape[0] - 1):
        longest = max(longest, bounds[s + 1] - bounds[s])
    kept = np.empty(max(longest, 1), dtype=np.int32)
    # CBOW over subwords: each position of the window's sum of rows and the errors not yet
    # added to its rows, in a ring of slots (position % slots) that no two positions a window
    # can reach share (see the reference).
    slots = 2 * window + 2
    bag_sum = np.zeros((slots, dim), dtype=np.float32)
    bag_err = np.zeros((slots, dim), dtype=np.float32)
    bag_pos = np.full(slots, -1, dtype=np.int64)
    bag_rows = np.zeros(slots, dtype=np.int64)
    total = bounds[bounds.shape[0] - 1] - bounds[0]
    loss = 0.0
    pairs = 0
    kept_total = 0
    seen = 0
    for s in range(bounds.shape[0] - 1):
        alpha = alpha_start + (alpha_end - alpha_start) * (seen / max(total, 1))
        n = 0
        for p in range(bounds[s], bounds[s + 1]):
            w = words[p]
            if sample_int[w] >= rnd(state):
                kept[n] = w
                n += 1
        seen += bounds[s + 1] - bounds[s]
        kept_total += n
        b_next = np.int64(0)
        if not sg and n > 0:
            b_next = np.int64(rnd(state) % np.uint64(window))
            if n > 1:  # a context exists (else the centre is skipped and draws nothing)
                draw_negatives(
                    buffers[0], negative, state, cum_table, guide, shift, syn1neg, hot_rows
                )
        flushed = 0  # positions below this one have no errors left to add
        for k in range(slots):
            bag_pos[k] = -1
        for i in range(n):
            center = kept[i]
            if sg:
                b = np.int64(rnd(state) % np.uint64(window))
                if i + 1 < n and negative > 0 and kept[i + 1] >= hot_rows:
                    prefetch_row(syn1neg, kept[i + 1])  # the next centre's target row
                nxt = kept[min(i + 1 + window, n - 1)]
                if not subwords and nxt >= hot_in_rows:  # the word entering the next window
                    prefetch_row(syn0, nxt)
            else:
                # The random stream stays the reference's: b, noise of centre i, b, noise of
                # centre i + 1, ...; only the work on centre i moves after the second draw.
                b = b_next
                negs = buffers[i & 1]
                if i + 1 < n:
                    b_next = np.int64(rnd(state) % np.uint64(window))
                    draw_negatives(buffers[(i + 1) & 1], negative, state, cum_table, guide,
                                   shift, syn1neg, hot_rows)  # fmt: skip
                    # ... and its target row, and the word entering its window
                    if negative > 0 and kept[i + 1] >= hot_rows:
                        prefetch_row(syn1neg, kept[i + 1])
                    nxt = kept[min(i + 1 + window, n - 1)]
                    if not subwords and nxt >= hot_in_rows:
                        prefetch_row(syn0, nxt)
            lo = max(0, i - window + b)
            hi = min(n, i + window + 1 - b)
            ahead = True
            q = 0
            if sg:  # a skip-gram centre's noise, for all its pairs at once where it fits
                ahead = (hi - lo - 1) * negative <= negs.shape[0]
                if ahead:
                    draw_negatives(negs, (hi - lo - 1) * negative, state, cum_table, guide,
                                   shift, syn1neg, hot_rows)  # fmt: skip
            if sg and subwords:
                # Skip-gram over subwords: the mean of the centre's rows (its own and its
                # n-grams') predicts each context word in its window; their errors are summed
                # and added to each of those rows once. (fastText recomputes the mean and
                # writes the rows after every context word: the same model at a fraction of
                # the work, as the rows are most of it.)
                so, se = sub_offsets[center], sub_offsets[center + 1]
                inv = np.float32(1.0 / (se - so))
                for c in range(dim):
                    l1[c] = 0.0
                    neu1e[c] = 0.0
                sum_rows(l1, syn0, sub_rows, so, se)
                for c in range(dim):
                    l1[c] *= inv
                for j in range(lo, hi):
                    if j == i:
                        continue
                    if not ahead:
                        draw_negatives(
                            negs, negative, state, cum_table, guide, shift, syn1neg, hot_rows
                        )
                        q = 0
                    loss += predict(l1, kept[j], neu1e, syn1neg, hot_out, syn1, codes, points,
                                    code_lens, negs, q, negative, hs, alpha, sig_table,
                                    log_table)  # fmt: skip
                    q += negative
                    pairs += 1
                add_to_rows(syn0, sub_rows, so, se, neu1e)
            elif sg:
                for j in range(lo, hi):
                    if j == i:
                        continue
                    if not ahead:
                        draw_negatives(
                            negs, negative, state, cum_table, guide, shift, syn1neg, hot_rows
                        )
                        q = 0
                    cw = kept[j]
                    ctx_row = hot_in[cw] if cw < hot_in_rows else syn0[cw]
                    for c in range(dim):
                        neu1e[c] = 0.0
                    loss += predict(ctx_row, center, neu1e, syn1neg, hot_out, syn1, codes, points,
                                    code_lens, negs, q, negative, hs, alpha, sig_table,
                                    log_table)  # fmt: skip
                    q += negative
                    for c in range(dim):
                        ctx_row[c] += neu1e[c]
                    pairs += 1
            elif subwords:
                # CBOW over subwords: the bag holds every row of every context word; each
                # position's rows are read once into its sum and its errors written once.
                while flushed < i - window:
                    k = flushed % slots
                    if bag_pos[k] == flushed:
                        add_to_rows(syn0, sub_rows, sub_offsets[kept[flushed]],
                                    sub_offsets[kept[flushed] + 1], bag_err[k])  # fmt: skip
                        bag_pos[k] = -1
                    flushed += 1
                count = 0
                for c in range(dim):
                    l1[c] = 0.0
                    neu1e[c] = 0.0
                for j in range(lo, hi):
                    if j == i:
                        continue
                    k = j % slots
                    if bag_pos[k] != j:
                        lo_k, hi_k = sub_offsets[kept[j]], sub_offsets[kept[j] + 1]
                        for c in range(dim):
                            bag_sum[k, c] = 0.0
                            bag_err[k, c] = 0.0
                        sum_rows(bag_sum[k], syn0, sub_rows, lo_k, hi_k)
                        bag_rows[k] = hi_k - lo_k
                        bag_pos[k] = j
                    for c in range(dim):
                        l1[c] += bag_sum[k, c]
                    count += bag_rows[k]
                if count == 0:
                    continue
                loss += bag_predict(l1, count, cbow_mean, center, neu1e, syn1neg, hot_out, syn1,
                                    codes, points, code_lens, negs, negative, hs, alpha,
                                    sig_table, log_table)  # fmt: skip
                for j in range(lo, hi):
                    if j == i:
                        continue
                    k = j % slots
                    rows_k = np.float32(bag_rows[k])
                    for c in range(dim):
                        bag_err[k, c] += neu1e[c]
                        bag_sum[k, c] += rows_k * neu1e[c]
                pairs += 1
            else:
                count = 0
                for c in range(dim):
                    l1[c] = 0.0
                    neu1e[c] = 0.0
                for j in range(lo, hi):
                    if j == i:
                        continue
                    cw = kept[j]
                    row = hot_in[cw] if cw < hot_in_rows else syn0[cw]
                    for c in range(dim):
                        l1[c] += row[c]
                    count += 1
                if count == 0:
                    continue
                loss += bag_predict(l1, count, cbow_mean, center, neu1e, syn1neg, hot_out, syn1,
                                    codes, points, code_lens, negs, negative, hs, alpha,
                                    sig_table, log_table)  # fmt: skip
                for j in range(lo, hi):
                    if j == i:
                        continue
                    cw = kept[j]
                    row = hot_in[cw] if cw < hot_in_rows else syn0[cw]
                    for c in range(dim):
                        row[c] += neu1e[c]
                pairs += 1
        if subwords and not sg:  # the sentence's last positions
            for p in range(flushed, n):
                k = p % slots
                if bag_pos[k] == p:
                    add_to_rows(syn0, sub_rows, sub_offsets[kept[p]], sub_offsets[kept[p] + 1],
                                bag_err[k])  # fmt: skip
                    bag_pos[k] = -1
    return loss, pairs, kept_total
