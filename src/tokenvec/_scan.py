"""Compiled scanner for word2vec binary rows, with its plain-Python reference.

A word2vec ``.bin`` row is ``word<space><dim little-endian floats>`` optionally followed by a
newline. Floats may contain any byte, including spaces, so rows can only be found by walking the
file in order: a Python loop costs microseconds a row (seconds on GoogleNews' 3M rows), the
compiled loop nanoseconds. The kernel only does arithmetic; tokenvec.formats validates and reports.
"""

from __future__ import annotations

import numpy as np

from tokenvec._jit import LazyKernel

# Status codes returned by the scanners.
OK = 0  # stopped at the end of the buffer or after the requested rows
WORD_TOO_LONG = 1  # no space within max_word bytes: not a word2vec binary file

MAX_WORD_BYTES = 4096


def scan_binary_reference(
    buf: np.ndarray,
    n_rows: int,
    row_bytes: int,
    vec_out: np.ndarray,
    blob_out: np.ndarray,
    ends_out: np.ndarray,
    max_word: int = MAX_WORD_BYTES,
) -> tuple[int, int, int, int]:
    """Scan complete rows of ``buf`` (uint8) into ``vec_out``, ``blob_out`` and ``ends_out``.

    ``vec_out`` is (n_rows, row_bytes) uint8; word bytes go to ``blob_out`` each followed by a
    0xFF separator (never a byte of valid UTF-8, but a corrupt word may hold it, so
    ``ends_out[i]`` records where word i ends in the blob). Returns (rows, bytes consumed, blob
    length, status). Leading newlines before a word are skipped, as gensim does.
    """
    pos, row, blen, n = 0, 0, 0, buf.shape[0]
    while row < n_rows:
        p = pos
        while p < n and (buf[p] == 10 or buf[p] == 13):
            p += 1
        start = p
        while p < n and buf[p] != 32:
            if p - start >= max_word:
                return row, pos, blen, WORD_TOO_LONG
            p += 1
        if p >= n or p + 1 + row_bytes > n:
            break  # the row is not complete in this buffer
        blob_out[blen : blen + p - start] = buf[start:p]
        blen += p - start
        ends_out[row] = blen
        blob_out[blen] = 0xFF
        blen += 1
        vec_out[row, :] = buf[p + 1 : p + 1 + row_bytes]
        pos = p + 1 + row_bytes
        row += 1
    return row, pos, blen, OK


def _compile() -> object:
    import numba

    @numba.njit(nogil=True, cache=True, boundscheck=False)
    def scan_binary(buf, n_rows, row_bytes, vec_out, blob_out, ends_out, max_word):  # type: ignore[no-untyped-def]  # noqa: ANN001
        pos = 0
        row = 0
        blen = 0
        n = buf.shape[0]
        while row < n_rows:
            p = pos
            while p < n and (buf[p] == 10 or buf[p] == 13):
                p += 1
            start = p
            while p < n and buf[p] != 32:
                if p - start >= max_word:
                    return row, pos, blen, 1
                p += 1
            if p >= n or p + 1 + row_bytes > n:
                break
            for j in range(start, p):
                blob_out[blen] = buf[j]
                blen += 1
            ends_out[row] = blen
            blob_out[blen] = 0xFF
            blen += 1
            src = p + 1
            for j in range(row_bytes):
                vec_out[row, j] = buf[src + j]
            pos = src + row_bytes
            row += 1
        return row, pos, blen, 0

    return scan_binary


_kernel = LazyKernel(_compile)  # type: ignore[arg-type]


def scan_binary(
    buf: np.ndarray,
    n_rows: int,
    row_bytes: int,
    vec_out: np.ndarray,
    blob_out: np.ndarray,
    ends_out: np.ndarray,
    max_word: int = MAX_WORD_BYTES,
) -> tuple[int, int, int, int]:
    """The compiled :func:`scan_binary_reference`."""
    # The kernel runs without bounds checks: the arrays must fit what it may write.
    if not (
        buf.dtype == vec_out.dtype == blob_out.dtype == np.uint8
        and ends_out.dtype == np.int64
        and vec_out.ndim == 2
        and vec_out.shape[1] == row_bytes
        and n_rows <= min(vec_out.shape[0], ends_out.shape[0])
        and blob_out.shape[0] >= buf.shape[0] + 1
        and vec_out.flags.c_contiguous
    ):
        raise ValueError("scan_binary: output arrays do not match the requested rows")
    r, p, b, s = _kernel(buf, n_rows, row_bytes, vec_out, blob_out, ends_out, max_word)
    return int(r), int(p), int(b), int(s)
