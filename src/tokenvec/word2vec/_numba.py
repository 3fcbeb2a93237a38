"""word2vec's compiled training loop (numba): the arithmetic of
:func:`tokenvec.word2vec._kernel.train_chunk_reference`, GIL released, in float32.

The kernel takes its arrays in the records of :mod:`tokenvec.word2vec._kernel` and allocates
nothing (its working memory comes in ``Scratch``), so it compiles without numba's reference
counting (``_nrt=False``): every row view and record field read otherwise costs an atomic
count, 1.3x the CBOW time, and with two threads the counts on the shared matrices bounce
between the cores. The caller keeps every array alive for the call.

Every function is defined at module level so numba's on-disk cache (``cache=True``, beside this
file in ``__pycache__``) is found again by the next process: a kernel built inside a factory
gets a new identity in each process and is compiled anew every time.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from tokenvec._native.intrinsics import prefetch
from tokenvec._native.jit import register_constant
from tokenvec.word2vec._constants import EXP_TABLE_SIZE, LCG_ADD, LCG_MUL, MASK48, MAX_EXP

_FLAGS: dict[str, Any] = {"nogil": True, "fastmath": True, "cache": True, "boundscheck": False}
njit = numba.njit(**_FLAGS, _nrt=False)  # type: ignore[call-overload]
inline = numba.njit(**_FLAGS, _nrt=False, inline="always")  # type: ignore[call-overload]
register_constant()  # the rows' width, passed as a Constant (see train_chunk)


@inline
def rnd(state):
    state[0] = (state[0] * np.uint64(LCG_MUL) + np.uint64(LCG_ADD)) & np.uint64(MASK48)
    return (state[0] >> np.uint64(16)) & np.uint64(0xFFFFFFFF)


@inline
def subsample(words, lo, hi, sample_int, state, kept):
    """kept[:n] = the words of words[lo:hi] that sub-sampling keeps (one draw each); n."""
    n = 0
    for p in range(lo, hi):
        word = words[p]
        if sample_int[word] >= rnd(state):
            kept[n] = word
            n += 1
    return n


@inline
def prefetch_row(mat, r):
    """Start loading row r of a float32 matrix (every 64-byte line of it)."""
    row = mat[r]
    for c in range(0, row.shape[0], 16):
        prefetch(row, c)


@inline
def draw_negatives(negs, count, state, t, w):
    """negs[:count] = noise words, each the first index with ``cum_table[i] > x`` for a random
    x (binary search's answer), found from ``guide[x >> shift]`` (the answer for the smallest x
    of its slot) by a short walk; each row's lines are prefetched, to arrive while the
    predictions before it compute (a noise row is a cache miss, and the search was the
    other half of the time). Rows held in the thread's own copy (``w.hot_out``) are in cache
    already: a prefetch of the shared one would only pull it from the other core."""
    cum_table, guide, syn1neg = t.cum_table, t.guide, w.syn1neg
    shift = np.uint64(t.guide_shift)
    hot_rows = w.hot_out.shape[0]
    cum_max = cum_table[cum_table.shape[0] - 1]
    for q in range(count):
        x = rnd(state) % cum_max
        word = guide[x >> shift]
        while cum_table[word] <= x:
            word += 1
        negs[q] = word
        if word >= hot_rows:
            prefetch_row(syn1neg, word)


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
def sum_rows(acc, syn0, sub_rows, lo, hi, dim):
    """acc += the rows sub_rows[lo:hi] of syn0, in order."""
    for k in range(lo, hi):
        row = syn0[sub_rows[k]]
        for c in range(dim):
            acc[c] += row[c]


@inline
def add_to_rows(syn0, sub_rows, lo, hi, delta, dim):
    """Each row sub_rows[lo:hi] of syn0 += delta."""
    for k in range(lo, hi):
        row = syn0[sub_rows[k]]
        for c in range(dim):
            row[c] += delta[c]


@inline
def predict(l1, target, neu1e, w, t, m, negs, q, alpha, dim):
    """Predict ``target`` from ``l1`` (its tree path, and the noise words negs[q:q+negative]
    drawn before): update the output rows, accumulate the input's gradient in neu1e; return
    the loss. Output rows below ``hot_out.shape[0]`` are read and written in ``hot_out``, the
    thread's private copy of them."""
    syn1neg, hot_out, syn1 = w.syn1neg, w.hot_out, w.syn1
    sig_table, log_table = t.sig, t.log
    loss = 0.0
    if m.hs:
        for k in range(t.code_lens[target]):
            row = syn1[t.points[target, k]]
            f = np.float32(0.0)
            for c in range(dim):
                f += l1[c] * row[c]
            label = 1.0 - t.codes[target, k]
            g = sigmoid_g(f, label, alpha, sig_table)
            loss -= logsig(f if label == 1.0 else -f, log_table)
            for c in range(dim):
                neu1e[c] += g * row[c]
                row[c] += g * l1[c]
    if m.negative > 0:
        # One pass over the dimensions per target: apply the previous target's update and
        # compute this target's dot product together (halves the passes over memory).
        prev = -1
        g_prev = np.float32(0.0)
        for d in range(m.negative + 1):
            if d == 0:
                word = target
                label = 1.0
            else:
                word = negs[q + d - 1]
                if word == target:
                    continue
                label = 0.0
            row = hot_out[word] if word < hot_out.shape[0] else syn1neg[word]
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
            prev = word
            g_prev = g
        if prev >= 0:
            prow = hot_out[prev] if prev < hot_out.shape[0] else syn1neg[prev]
            for c in range(dim):
                old = prow[c]
                neu1e[c] += g_prev * old
                prow[c] = old + g_prev * l1[c]
    return loss


@inline
def bag_predict(l1, count, center, neu1e, w, t, m, negs, alpha, dim):
    """CBOW: predict ``center`` from the bag ``l1`` of ``count`` rows, their mean (the error
    then flows to each row whole) or their sum (the error spread over the rows, as gensim)."""
    inv = np.float32(1.0 / count)
    if m.cbow_mean:
        for c in range(dim):
            l1[c] *= inv
    loss = predict(l1, center, neu1e, w, t, m, negs, 0, alpha, dim)
    if not m.cbow_mean:
        for c in range(dim):
            neu1e[c] *= inv
    return loss


@inline
def sg_centre(w, t, m, x, i, lo, hi, alpha, dim):
    """Skip-gram, one centre: each context word's row predicts the centre, its error added to
    that row at once. Over subwords the mean of the centre's rows (its own and its n-grams')
    predicts each context word instead, and the summed errors are added to each of those rows
    once (fastText recomputes the mean and writes the rows after every context word: the same
    model at a fraction of the work, as the rows are most of it). Returns (loss, pairs)."""
    kept, negs, l1, neu1e = x.kept, x.negs[0], x.l1, x.neu1e
    syn0 = w.syn0
    center = kept[i]
    ahead = (hi - lo - 1) * m.negative <= negs.shape[0]
    if ahead:  # the centre's noise, for all its pairs at once
        draw_negatives(negs, (hi - lo - 1) * m.negative, x.state, t, w)
    so, se = 0, 0
    if m.subwords:
        so, se = t.sub_offsets[center], t.sub_offsets[center + 1]
        for c in range(dim):
            l1[c] = 0.0
            neu1e[c] = 0.0
        sum_rows(l1, syn0, t.sub_rows, so, se, dim)
        inv = np.float32(1.0 / (se - so))
        for c in range(dim):
            l1[c] *= inv
    loss = 0.0
    pairs = 0
    q = 0
    for j in range(lo, hi):
        if j == i:
            continue
        if not ahead:
            draw_negatives(negs, m.negative, x.state, t, w)
            q = 0
        if m.subwords:
            loss += predict(l1, kept[j], neu1e, w, t, m, negs, q, alpha, dim)
        else:
            cw = kept[j]
            ctx_row = syn0[cw]
            for c in range(dim):
                neu1e[c] = 0.0
            loss += predict(ctx_row, center, neu1e, w, t, m, negs, q, alpha, dim)
            for c in range(dim):
                ctx_row[c] += neu1e[c]
        q += m.negative
        pairs += 1
    if m.subwords:
        add_to_rows(syn0, t.sub_rows, so, se, neu1e, dim)
    return loss, pairs


@inline
def bag_slot(x, syn0, sub_offsets, sub_rows, j, dim):
    """CBOW over subwords: the ring slot holding position j's sum of rows, read into it when a
    window first needs it (its errors then collect beside it)."""
    bag_pos, bag_sum, bag_err = x.bag_pos, x.bag_sum, x.bag_err
    k = j % bag_pos.shape[0]
    if bag_pos[k] != j:
        word = x.kept[j]
        lo, hi = sub_offsets[word], sub_offsets[word + 1]
        for c in range(dim):
            bag_sum[k, c] = 0.0
            bag_err[k, c] = 0.0
        sum_rows(bag_sum[k], syn0, sub_rows, lo, hi, dim)
        x.bag_rows[k] = hi - lo
        bag_pos[k] = j
    return k


@inline
def flush_bags(w, t, x, flushed, until, dim):
    """CBOW over subwords: add the errors of positions flushed..until-1 to their rows (no
    later window reaches them); returns the new first position with errors left."""
    if until <= flushed:
        return flushed
    syn0, sub_offsets, sub_rows = w.syn0, t.sub_offsets, t.sub_rows
    bag_pos, bag_err, kept = x.bag_pos, x.bag_err, x.kept
    for p in range(flushed, until):
        k = p % bag_pos.shape[0]
        if bag_pos[k] == p:
            word = kept[p]
            add_to_rows(syn0, sub_rows, sub_offsets[word], sub_offsets[word + 1], bag_err[k], dim)
            bag_pos[k] = -1
    return until


@inline
def cbow_centre(w, t, m, x, negs, i, lo, hi, alpha, dim):
    """CBOW, one centre: the bag of its context rows (subwords: every row of every context
    word, each position's sum read once and kept current) predicts it, and the error goes to
    each row of the bag. Returns (loss, pairs)."""
    kept, l1, neu1e = x.kept, x.l1, x.neu1e
    bag_sum, bag_err, bag_rows = x.bag_sum, x.bag_err, x.bag_rows
    syn0, sub_offsets, sub_rows = w.syn0, t.sub_offsets, t.sub_rows
    slots = bag_rows.shape[0]
    count = 0
    for c in range(dim):
        l1[c] = 0.0
        neu1e[c] = 0.0
    for j in range(lo, hi):
        if j == i:
            continue
        if m.subwords:
            k = bag_slot(x, syn0, sub_offsets, sub_rows, j, dim)
            for c in range(dim):
                l1[c] += bag_sum[k, c]
            count += bag_rows[k]
        else:
            row = syn0[kept[j]]
            for c in range(dim):
                l1[c] += row[c]
            count += 1
    if count == 0:
        return 0.0, 0
    loss = bag_predict(l1, count, kept[i], neu1e, w, t, m, negs, alpha, dim)
    for j in range(lo, hi):
        if j == i:
            continue
        if m.subwords:
            k = j % slots
            rows_k = np.float32(bag_rows[k])
            for c in range(dim):
                bag_err[k, c] += neu1e[c]
                bag_sum[k, c] += rows_k * neu1e[c]
        else:
            row = syn0[kept[j]]
            for c in range(dim):
                row[c] += neu1e[c]
    return loss, 1


@inline
def prefetch_next(w, t, m, kept, i, n):
    """Start loading the rows the next centre reads first: its output row and the input row
    of the word entering its window; over subwords in skip-gram, where the next centre's own
    rows are the input and the entering word a target, its n-gram rows (far apart in memory:
    1.11x faster whole call, one thread, against CBOW's 1.03x, which goes without)."""
    if i + 1 < n:
        nxt = kept[min(i + 1 + m.window, n - 1)]
        out = nxt if m.subwords and m.sg else kept[i + 1]
        if m.negative > 0 and out >= w.hot_out.shape[0]:
            prefetch_row(w.syn1neg, out)
        if not m.subwords:
            prefetch_row(w.syn0, nxt)
        elif m.sg:
            for k in range(t.sub_offsets[kept[i + 1]], t.sub_offsets[kept[i + 1] + 1]):
                prefetch_row(w.syn0, t.sub_rows[k])


@inline
def train_sentence(w, t, m, x, n, alpha, dim):
    """Every centre of the sentence kept[:n]: its window (word2vec's dynamic window, b drawn
    per centre), then the skip-gram or CBOW step. CBOW draws the next centre's window and
    noise words before training this one (so their rows load meanwhile); the random stream
    stays the reference's: b, noise of centre i, b, noise of centre i + 1, ... Returns
    (loss, pairs)."""
    loss = 0.0
    pairs = 0
    b_next = np.int64(0)
    if not m.sg and n > 0:
        b_next = np.int64(rnd(x.state) % np.uint64(m.window))
        if n > 1:  # a context exists (else the centre is skipped and draws nothing)
            draw_negatives(x.negs[0], m.negative, x.state, t, w)
    flushed = 0  # CBOW over subwords: positions below this have no errors left to add
    for k in range(x.bag_pos.shape[0]):
        x.bag_pos[k] = -1
    for i in range(n):
        if m.sg:
            b = np.int64(rnd(x.state) % np.uint64(m.window))
        else:
            b = b_next
            if i + 1 < n:
                b_next = np.int64(rnd(x.state) % np.uint64(m.window))
                draw_negatives(x.negs[(i + 1) & 1], m.negative, x.state, t, w)
        prefetch_next(w, t, m, x.kept, i, n)
        lo = max(0, i - m.window + b)
        hi = min(n, i + m.window + 1 - b)
        if m.sg:
            c_loss, c_pairs = sg_centre(w, t, m, x, i, lo, hi, alpha, dim)
        else:
            if m.subwords:
                flushed = flush_bags(w, t, x, flushed, i - m.window, dim)
            c_loss, c_pairs = cbow_centre(w, t, m, x, x.negs[i & 1], i, lo, hi, alpha, dim)
        loss += c_loss
        pairs += c_pairs
    if m.subwords and not m.sg:  # the sentence's last positions
        flush_bags(w, t, x, flushed, n, dim)
    return loss, pairs


@njit
def train_chunk(w, t, m, chunk, x, dim):
    """Train on the sentences ``words[bounds[s]:bounds[s + 1]]`` of ``chunk`` (records: see
    :mod:`tokenvec.word2vec._kernel`; ``x`` its working memory, from ``scratch``); returns
    (loss, pairs, words kept). Read it in this order: this loop (sub-sampling, the learning
    rate), :func:`train_sentence` (the window), :func:`sg_centre` or :func:`cbow_centre` (the
    step), :func:`predict` (the updates).

    ``dim`` is the rows' width. Called with an int, the loop is compiled for any width (the
    exact step: each run reproduces bit for bit); compiled for one width (``dim`` a numba
    literal, see ``_kernel.FIXED_DIMS``), every loop over a row has a known length and becomes
    whole vector instructions with no remainder: the same arithmetic, the terms of a dot
    product added in another order (so rounded otherwise)."""
    words, bounds, sample_int = chunk.words, chunk.bounds, t.sample_int
    kept, state = x.kept, x.state
    total = bounds[bounds.shape[0] - 1] - bounds[0]
    loss = 0.0
    pairs = 0
    kept_total = 0
    seen = 0
    for s in range(bounds.shape[0] - 1):
        alpha = chunk.alpha_start + (chunk.alpha_end - chunk.alpha_start) * (seen / max(total, 1))
        n = subsample(words, bounds[s], bounds[s + 1], sample_int, state, kept)
        seen += bounds[s + 1] - bounds[s]
        kept_total += n
        s_loss, s_pairs = train_sentence(w, t, m, x, n, alpha, dim)
        loss += s_loss
        pairs += s_pairs
    return loss, pairs, kept_total
