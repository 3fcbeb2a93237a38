"""The compiled half of :mod:`tokenvec.io.fasttext_rows` (module-level, so numba's disk cache is hit)."""

from __future__ import annotations

import numba
import numpy as np

from tokenvec._native.fnv_numba import fnv1a

LT, GT = 60, 62  # "<" and ">"


@numba.njit(nogil=True, cache=True, boundscheck=False)
def word_ngrams(blob, start, n, minn, maxn, bucket, prune, use_prune, nwords, tmp, rows, at, fill):
    """N-gram rows of one word (bytes blob[start:start + n], "<" ">" added): their count, and
    with ``fill`` written to rows[at:]."""
    tmp[0] = LT
    for k in range(n):
        tmp[k + 1] = blob[start + k]
    tmp[n + 1] = GT
    no_rows = np.empty((0, 0), dtype=np.float32)
    no_sum = np.empty(0, dtype=np.float32)
    return scan_ngrams(tmp, n + 2, minn, maxn, bucket, prune, use_prune, nwords, rows, at, fill,
                       no_rows, no_sum)  # fmt: skip


@numba.njit(nogil=True, cache=True, boundscheck=False)
def scan_ngrams(tmp, size, minn, maxn, bucket, prune, use_prune, nwords, rows, at, fill, inp, out):
    """The n-grams of ``tmp[:size]`` (a word with "<" ">"), in fastText's order: their count;
    with ``fill`` their rows are written to rows[at:], and with a non-empty ``out`` each
    row of ``inp`` is added to ``out`` as it is found (in order, in float32)."""
    count = 0
    dim = out.shape[0]
    for a in range(size):
        if tmp[a] & 0xC0 == 0x80:
            continue
        j = a
        g = 1
        while j < size and g <= maxn:
            j += 1
            while j < size and tmp[j] & 0xC0 == 0x80:
                j += 1
            if g >= minn and not (g == 1 and (a == 0 or j == size)):
                h = np.int64(fnv1a(tmp, a, j) % np.uint64(bucket))
                if use_prune:
                    h = prune[h]
                if h >= 0:
                    if fill:
                        rows[at + count] = nwords + h
                    for c in range(dim):
                        out[c] += inp[nwords + h, c]
                    count += 1
            g += 1
    return count


@numba.njit(nogil=True, cache=True, boundscheck=False)
def subword_counts(blob, starts, lens, minn, maxn, bucket, prune, use_prune, eos, counts, lo, hi):
    nwords = starts.shape[0]
    longest = 0
    for i in range(lo, hi):
        longest = max(longest, lens[i])
    tmp = np.empty(longest + 2, dtype=np.uint8)
    dummy = np.empty(0, dtype=np.int32)
    for i in range(lo, hi):
        c = 1
        if eos[i] == 0 and bucket > 0 and maxn > 0:
            c += word_ngrams(blob, starts[i], lens[i], minn, maxn, bucket, prune, use_prune,
                             nwords, tmp, dummy, 0, False)  # fmt: skip
        counts[i] = c
    return 0


@numba.njit(nogil=True, cache=True, boundscheck=False)
def subword_fill(
    blob, starts, lens, minn, maxn, bucket, prune, use_prune, eos, offsets, rows, lo, hi
):
    nwords = starts.shape[0]
    longest = 0
    for i in range(lo, hi):
        longest = max(longest, lens[i])
    tmp = np.empty(longest + 2, dtype=np.uint8)
    for i in range(lo, hi):
        rows[offsets[i]] = i
        if eos[i] == 0 and bucket > 0 and maxn > 0:
            word_ngrams(blob, starts[i], lens[i], minn, maxn, bucket, prune, use_prune, nwords,
                        tmp, rows, offsets[i] + 1, True)  # fmt: skip
    return 0


# Not fastmath: rows are summed in order in float32, exactly as the reference and fastText.
@numba.njit(nogil=True, cache=True, boundscheck=False)
def mean_rows(offsets, rows, inp, out, lo, hi):
    dim = inp.shape[1]
    for i in range(lo, hi):
        for c in range(dim):
            out[i, c] = 0.0
        for k in range(offsets[i], offsets[i + 1]):
            r = rows[k]
            for c in range(dim):
                out[i, c] += inp[r, c]
        count = offsets[i + 1] - offsets[i]
        if count > 0:
            scale = np.float32(1.0 / count)
            for c in range(dim):
                out[i, c] *= scale
    return 0


# Not fastmath: summed in order in float32, exactly as tokenvec.vectors.subwords._mean_rows.
@numba.njit(nogil=True, cache=True, boundscheck=False)
def word_mean(word, index, ngrams, minn, maxn, bucket, nwords, inp, out):
    """out = the mean of row ``index`` (if >= 0) and, with ``ngrams``, the rows of the
    n-grams of ``word`` (bytes with "<" ">" around them); the number of rows summed. The
    n-grams are hashed as they are found: no list of rows is made."""
    dim = inp.shape[1]
    for c in range(dim):
        out[c] = 0.0
    count = 0
    if index >= 0:
        for c in range(dim):
            out[c] += inp[index, c]
        count += 1
    if ngrams and bucket > 0 and maxn > 0:
        no_prune = np.zeros(1, dtype=np.int64)
        no_rows = np.zeros(0, dtype=np.int32)
        count += scan_ngrams(word, word.shape[0], minn, maxn, bucket, no_prune, False, nwords,
                             no_rows, 0, False, inp, out)  # fmt: skip
    if count > 0:
        scale = np.float32(1.0 / count)
        for c in range(dim):
            out[c] *= scale
    return count
