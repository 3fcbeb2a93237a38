"""The compiled half of :mod:`tokenvec._native.fnv`: FNV-1a of ``buf[lo:hi]``, for kernels."""

from __future__ import annotations

import numba
import numpy as np

from tokenvec._native.fnv import FNV_OFFSET, FNV_PRIME


@numba.njit(nogil=True, cache=True, boundscheck=False)
def fnv1a(buf, lo, hi):
    # 64-bit arithmetic masked to 32 bits: numba widens uint32 products to 64 bits.
    h = np.uint64(FNV_OFFSET)
    for k in range(lo, hi):
        c = np.uint64(buf[k])
        if c >= 0x80:
            c |= np.uint64(0xFFFFFF00)  # fastText hashes signed chars
        h = ((h ^ c) * np.uint64(FNV_PRIME)) & np.uint64(0xFFFFFFFF)
    return h
