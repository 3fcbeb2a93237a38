"""The compiled half of :mod:`tokenvec.io.scan` (module-level, so numba's disk cache is hit)."""

from __future__ import annotations

import numba
import numpy as np

from tokenvec._native.intrinsics import copy_bytes


@numba.njit(nogil=True, cache=True, boundscheck=False)
def scan_binary(buf, n_rows, row_bytes, vec_out, vec_f32, blob_out, ends_out, max_word, max_abs):  # type: ignore[no-untyped-def]  # noqa: ANN001
    pos = 0
    row = 0
    blen = 0
    n = buf.shape[0]
    dim = row_bytes // 4
    nan_row = -1
    while row < n_rows:
        p = pos
        while p < n and (buf[p] == 10 or buf[p] == 13):
            p += 1
        start = p
        while p < n and buf[p] != 32:
            if p - start >= max_word:
                return row, pos, blen, 1, nan_row
            p += 1
        if p >= n or p + 1 + row_bytes > n:
            break
        if p == start:
            return row, start, blen, 2, nan_row
        for j in range(start, p):
            b = buf[j]
            if (b < 32 and b != 9) or b == 127:
                return row, start, blen, 2, nan_row
        src = p + 1
        copy_bytes(vec_out, row * row_bytes, buf, src, row_bytes)
        for j in range(dim):
            x = vec_f32[row, j]
            if not abs(x) <= max_abs:
                if x == x:  # too large or infinite
                    return row, j, blen, 3, nan_row
                if nan_row < 0:
                    nan_row = row
        copy_bytes(blob_out, blen, buf, start, p - start)
        blen += p - start
        ends_out[row] = blen
        blob_out[blen] = 0xFF
        blen += 1
        pos = src + row_bytes
        row += 1
    return row, pos, blen, 0, nan_row


@numba.njit(nogil=True, cache=True, boundscheck=False)
def scan_fasttext_dictionary(buf, pos, size, starts, lens, counts, types, max_word):
    n = buf.shape[0]
    p = pos
    for i in range(size):
        s = p
        while p < n and buf[p] != 0:
            if p - s >= max_word:
                return p, i
            p += 1
        if p >= n or p + 10 > n:
            return p, i
        count = np.int64(0)
        for k in range(8):
            count |= np.int64(buf[p + 1 + k]) << np.int64(8 * k)
        kind = np.int64(buf[p + 9])
        if count < 0 or kind > 1:
            return p, i
        starts[i] = s
        lens[i] = p - s
        counts[i] = count
        types[i] = kind
        p += 10
    return p, -1


@numba.njit(nogil=True, cache=True, boundscheck=False)
def gather_words(buf, starts, lens, out, new):
    at = 0
    for i in range(starts.shape[0]):
        new[i] = at
        n = lens[i]
        copy_bytes(out, at, buf, starts[i], n)
        out[at + n] = 0
        at += n + 1
    return at
