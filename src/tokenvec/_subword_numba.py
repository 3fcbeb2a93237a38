"""The compiled half of :mod:`tokenvec._subword` (module-level, so numba's disk cache is hit)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(nogil=True, cache=True, boundscheck=False)
def fnv1a(blob, lo, hi):
    # 64-bit arithmetic masked to 32 bits: numba widens uint32 products to 64 bits.
    h = np.uint64(2166136261)
    for k in range(lo, hi):
        c = np.uint64(blob[k])
        if c >= 0x80:
            c |= np.uint64(0xFFFFFF00)  # fastText hashes signed chars
        h = ((h ^ c) * np.uint64(16777619)) & np.uint64(0xFFFFFFFF)
    return h


# Not fastmath: rows are summed in order in float32, exactly as the reference and fastText.
@numba.njit(nogil=True, cache=True, boundscheck=False)
def word_means(blob, offsets, minn, maxn, bucket, prune, use_prune, eos, inp, out, lo, hi):
    nwords = offsets.shape[0] - 1
    dim = inp.shape[1]
    for i in range(lo, hi):
        for c in range(dim):
            out[i, c] = inp[i, c]
        count = 1
        if i != eos and bucket > 0 and maxn > 0:
            s, e = offsets[i], offsets[i + 1]
            for a in range(s, e):
                if blob[a] & 0xC0 == 0x80:
                    continue
                j = a
                n = 1
                while j < e and n <= maxn:
                    j += 1
                    while j < e and blob[j] & 0xC0 == 0x80:
                        j += 1
                    if n >= minn and not (n == 1 and (a == s or j == e)):
                        h = np.int64(fnv1a(blob, a, j) % np.uint64(bucket))
                        if use_prune:
                            h = prune[h]
                        if h >= 0:
                            row = nwords + h
                            for c in range(dim):
                                out[i, c] += inp[row, c]
                            count += 1
                    n += 1
        scale = np.float32(1.0 / count)
        for c in range(dim):
            out[i, c] *= scale
    return 0
