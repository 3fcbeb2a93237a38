"""The compiled half of :mod:`tokenvec.layers.bag` (module-level, so numba's disk cache is hit)."""

from __future__ import annotations

import numba
import numpy as np


# Not fastmath: each bag is summed in order, row after row, as torch's CPU kernel does, so sums
# and maxima equal torch's bit for bit.
@numba.njit(nogil=True, cache=True, boundscheck=False)
def bag_reduce(weight, ids, starts, ends, slots, weights, use_weights, mode, out, winners):
    dim = weight.shape[1]
    for k in range(starts.shape[0]):
        b = slots[k]
        s, e = starts[k], ends[k]
        for c in range(dim):
            out[b, c] = 0.0
        if mode == 2:  # max: the first row holding the maximum wins, per dimension
            first = ids[s]
            for c in range(dim):
                out[b, c] = weight[first, c]
                winners[k, c] = first
            for j in range(s + 1, e):
                r = ids[j]
                for c in range(dim):
                    v = weight[r, c]
                    if v > out[b, c]:
                        out[b, c] = v
                        winners[k, c] = r
            continue
        for j in range(s, e):
            r = ids[j]
            if use_weights:
                w = weights[j]
                for c in range(dim):
                    out[b, c] += weight[r, c] * w
            else:
                for c in range(dim):
                    out[b, c] += weight[r, c]
        if mode == 1:  # mean
            n = np.float32(e - s)
            for c in range(dim):
                out[b, c] /= n
    return 0
