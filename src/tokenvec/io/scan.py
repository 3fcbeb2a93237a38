"""Compiled scanner for word2vec binary rows, with its plain-Python reference.

A word2vec ``.bin`` row is ``word<space><dim little-endian floats>`` optionally followed by a
newline. Floats may contain any byte, including spaces, so rows can only be found by walking the
file in order: a Python loop costs microseconds a row (seconds on GoogleNews' 3M rows), the
compiled loop nanoseconds. The kernel only does arithmetic; tokenvec.io.formats validates and
reports.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tokenvec._native.jit import LazyKernel

# Status codes returned by the scanners.
OK = 0  # stopped at the end of the buffer or after the requested rows
WORD_TOO_LONG = 1  # no space within max_word bytes: not a word2vec binary file
BAD_WORD = 2  # an empty word or one holding control bytes (tab allowed): corrupt
BAD_VALUE = 3  # a value above max_abs or not finite in size: not float32 vectors

MAX_WORD_BYTES = 4096


def _bad_byte(b: int) -> bool:
    return (b < 32 and b != 9) or b == 127


def scan_binary_reference(
    buf: np.ndarray,
    n_rows: int,
    row_bytes: int,
    vec_out: np.ndarray,
    blob_out: np.ndarray,
    ends_out: np.ndarray,
    max_word: int = MAX_WORD_BYTES,
    max_abs: float = np.inf,
) -> tuple[int, int, int, int, int]:
    """Scan complete rows of ``buf`` (uint8) into ``vec_out``, ``blob_out`` and ``ends_out``.

    ``vec_out`` is (n_rows, row_bytes) uint8; word bytes go to ``blob_out`` each followed by a
    0xFF separator (never a byte of valid UTF-8, but a corrupt word may hold it, so
    ``ends_out[i]`` records where word i ends in the blob). Returns (rows, bytes consumed, blob
    length, status, first NaN row). Leading newlines before a word are skipped, as gensim
    does. On ``BAD_WORD`` and ``BAD_VALUE``, ``rows`` is the offending row and the second
    number is where its word starts in ``buf`` or which value is wrong. NaN values are not an
    error here (callers may keep such rows): the last number is the first row holding one
    among those scanned, or -1, so a caller knows the rows are finite without a second pass.
    """
    pos, row, blen, n = 0, 0, 0, buf.shape[0]
    nan_row = -1
    while row < n_rows:
        p = pos
        while p < n and (buf[p] == 10 or buf[p] == 13):
            p += 1
        start = p
        while p < n and buf[p] != 32:
            if p - start >= max_word:
                return row, pos, blen, WORD_TOO_LONG, nan_row
            p += 1
        if p >= n or p + 1 + row_bytes > n:
            break  # the row is not complete in this buffer
        if p == start or any(_bad_byte(int(b)) for b in buf[start:p]):
            return row, start, blen, BAD_WORD, nan_row
        vec_out[row, :] = buf[p + 1 : p + 1 + row_bytes]
        values = buf[p + 1 : p + 1 + row_bytes].view("<f4")
        with np.errstate(invalid="ignore"):
            big = np.flatnonzero((np.abs(values) > max_abs) & ~np.isnan(values))
        nans = np.flatnonzero(np.isnan(values))
        stop = int(big[0]) if big.size else values.shape[0]
        if nan_row < 0 and nans.size and nans[0] < stop:
            nan_row = row
        if big.size:
            return row, stop, blen, BAD_VALUE, nan_row
        blob_out[blen : blen + p - start] = buf[start:p]
        blen += p - start
        ends_out[row] = blen
        blob_out[blen] = 0xFF
        blen += 1
        pos = p + 1 + row_bytes
        row += 1
    return row, pos, blen, OK, nan_row


def _compile() -> object:
    from tokenvec.io.scan_numba import scan_binary

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
    max_abs: float = np.inf,
) -> tuple[int, int, int, int, int]:
    """The compiled :func:`scan_binary_reference`."""
    # The kernel runs without bounds checks: the arrays must fit what it may write.
    if not (
        buf.dtype == vec_out.dtype == blob_out.dtype == np.uint8
        and ends_out.dtype == np.int64
        and vec_out.ndim == 2
        and vec_out.shape[1] == row_bytes
        and row_bytes % 4 == 0
        and n_rows <= min(vec_out.shape[0], ends_out.shape[0])
        and blob_out.shape[0] >= buf.shape[0] + 1
        and vec_out.flags.c_contiguous
        and buf.flags.c_contiguous
        and blob_out.flags.c_contiguous
    ):
        raise ValueError("scan_binary: output arrays do not match the requested rows")
    flat = vec_out.reshape(-1)
    f32 = flat.view("<f4").reshape(vec_out.shape[0], row_bytes // 4)
    r, p, b, s, nan = _kernel(
        buf, n_rows, row_bytes, flat, f32, blob_out, ends_out, max_word, float(max_abs)
    )
    return int(r), int(p), int(b), int(s), int(nan)


def warm_binary() -> None:
    """Load the compiled scanner (numba's import and its disk cache: most of a second in a
    fresh process) by scanning one tiny row with the argument types the reader uses, so a
    reader can do it in a thread while its own system calls (mapping the output) run."""
    buf = np.frombuffer(b"a " + bytes(4), dtype=np.uint8).copy()
    vec = np.empty((1, 4), dtype=np.uint8)
    scan_binary(buf, 1, 4, vec, np.empty(buf.shape[0] + 1, np.uint8), np.empty(1, np.int64),
                MAX_WORD_BYTES, 1e15)  # fmt: skip


def scan_fasttext_dictionary_reference(
    buf: np.ndarray,
    pos: int,
    size: int,
    starts: np.ndarray,
    lens: np.ndarray,
    counts: np.ndarray,
    types: np.ndarray,
    max_word: int,
) -> tuple[int, int]:
    """Walk ``size`` fastText dictionary entries (``word\\0``, int64 count, int8 type) from
    ``pos``: fills where each word starts, its length, count and type. Returns (offset after
    the last entry, -1), or (offset, i) for entry i truncated, over ``max_word`` bytes,
    with a negative count or a type other than 0 and 1."""
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
        count = int(np.frombuffer(bytes(buf[p + 1 : p + 9]), "<i8")[0])
        kind = int(np.frombuffer(bytes(buf[p + 9 : p + 10]), "i1")[0])
        if count < 0 or kind not in (0, 1):
            return p, i
        starts[i], lens[i], counts[i], types[i] = s, p - s, count, kind
        p += 10
    return p, -1


def _compile_dictionary() -> object:
    from tokenvec.io.scan_numba import scan_fasttext_dictionary

    return scan_fasttext_dictionary


_dictionary_kernel = LazyKernel(_compile_dictionary)  # type: ignore[arg-type]


def scan_fasttext_dictionary(
    buf: np.ndarray,
    pos: int,
    size: int,
    starts: np.ndarray,
    lens: np.ndarray,
    counts: np.ndarray,
    types: np.ndarray,
    max_word: int,
) -> tuple[int, int]:
    """The compiled :func:`scan_fasttext_dictionary_reference`."""
    if not (
        buf.dtype == np.uint8
        and buf.ndim == 1
        and starts.dtype == lens.dtype == counts.dtype == np.int64
        and types.dtype == np.int8
        and size <= min(starts.shape[0], lens.shape[0], counts.shape[0], types.shape[0])
        and 0 <= pos <= buf.shape[0]
    ):
        raise ValueError("scan_fasttext_dictionary: arrays do not match the requested entries")
    end, bad = _dictionary_kernel(buf, pos, size, starts, lens, counts, types, max_word)
    return int(end), int(bad)


# The vectorised dictionary scan follows chains of words whose NULs lie within 9 bytes of a
# zero of the entry before (short words with large counts: the top of a frequency-sorted
# vocabulary); a chain longer than this (a run of that many such words, or a file built to
# defeat the method) hands the work to the compiled walk. Each round costs ~10 us plus the
# chains still running.
MAX_CHAIN_ROUNDS = 2048
# The most bytes it looks at (a dictionary of ~7M typical words); beyond, or where the bytes
# look nothing like a dictionary (more than one candidate zero in 4 bytes), the walk, which
# needs no memory of its own, takes over: the scan's temporaries stay under ~4 bytes a byte.
MAX_WINDOW = 128 << 20


def scan_fasttext_dictionary_numpy(
    buf: np.ndarray, pos: int, size: int, max_word: int
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`scan_fasttext_dictionary_reference` in whole-array numpy steps, without the
    compiled kernel (whose first call in a process costs a second of numba start-up).

    Returns ``(end, starts, lens, counts, types)`` when all ``size`` entries are well formed,
    the same values the walk finds; ``None`` when any is not (a word empty, over ``max_word``
    bytes or truncated, a negative count, a type other than 0 and 1, or a dictionary shaped
    to defeat the method): the caller then walks the entries one by one, which names the
    faulty one.

    The method: a word is followed by its NUL, an int64 count and an int8 type, so the next
    word starts 10 bytes after a NUL; words hold no zero byte. Candidates are the zero bytes
    that follow a non-zero byte: every word's NUL is one (a word is not empty, checked), and
    the others lie among the 9 bytes after some word's NUL. Hence the next word's NUL is the
    first candidate at or after ``NUL + 10``, and a candidate more than 9 bytes after the
    previous candidate is always a word's NUL. Candidates are cut into segments at such gaps;
    within each, the chain from its first candidate is followed, all segments at once, a
    step a round.
    """
    n = buf.shape[0]
    if size <= 0:
        empty = np.zeros(0, np.int64)
        return pos, empty, empty.copy(), empty.copy(), np.zeros(0, np.int8)
    limit = min(n - pos, MAX_WINDOW)
    window = min(limit, size * 24 + 4096)
    while True:
        found = _dictionary_in(np.asarray(buf[pos : pos + window]), size, max_word)
        if found is not None and found is not _MORE:
            end, starts, lens, counts, types = found
            return end + pos, starts + pos, lens, counts, types
        if found is None or window >= limit:
            return None
        window = min(limit, 2 * window)


_MORE = object()  # the window ends before the last entry does: look further


def _dictionary_in(b: np.ndarray, size: int, max_word: int) -> Any:
    n = b.shape[0]
    if n < 11:
        return _MORE
    if b[0] == 0:
        return None  # an empty first word
    zero = b == 0
    after = zero[1:] > zero[:-1]  # zeros after a non-zero byte (at their index minus one)
    del zero
    if np.count_nonzero(after) > n // 4 + 16:
        return None  # not dictionary-like (entries are 11+ bytes with 1-5 candidates each)
    cand = np.flatnonzero(after)
    del after
    cand += 1
    if cand.size == 0:
        return _MORE
    word_nul = np.empty(cand.size, dtype=bool)  # first: the heads of segments
    word_nul[0] = True
    np.greater_equal(np.diff(cand), 10, out=word_nul[1:])
    cur = np.flatnonzero(word_nul)
    stop = np.empty_like(cur)  # where each segment's candidates end
    stop[:-1] = cur[1:]
    stop[-1] = cand.size
    # Only a segment whose last candidate lies 10 or more bytes past its head holds more words.
    live = cand[stop - 1] >= cand[cur] + 10
    cur, stop = cur[live], stop[live]
    for _ in range(MAX_CHAIN_ROUNDS):
        if cur.size == 0:
            break
        nxt = np.searchsorted(cand, cand[cur] + 10)
        inside = nxt < stop
        cur, stop = nxt[inside], stop[inside]
        word_nul[cur] = True
    else:
        return None
    nul = cand[word_nul]
    del cand, word_nul
    if nul.size < size or nul[size - 1] + 10 > n:
        return _MORE
    nul = nul[:size]
    starts = np.empty(size, dtype=np.int64)
    starts[0] = 0
    starts[1:] = nul[:-1] + 10
    lens = nul - starts
    if b[starts].min() == 0 or lens.max() > max_word:
        return None  # an empty word (its NUL at its start) or an over-long one
    # The 8 bytes after each NUL are a little-endian int64 count, the ninth the type.
    raw = np.empty((size, 8), dtype=np.uint8)
    for k in range(8):
        raw[:, k] = b[nul + (k + 1)]
    counts = raw.view("<i8").reshape(size).astype(np.int64, copy=False)
    types = b[nul + 9].view(np.int8)
    if counts.min() < 0 or types.min() < 0 or types.max() > 1:
        return None
    return int(nul[-1]) + 10, starts, lens, counts, types


def words_blob_numpy(
    buf: np.ndarray, starts: np.ndarray, lens: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The words of consecutive dictionary entries (``starts``, ``lens``: each word followed
    by its NUL and 9 bytes) side by side, each followed by its NUL, and where each starts:
    :func:`gather_words_reference` by deleting the 9 bytes after each NUL."""
    k = starts.shape[0]
    if k == 0:
        return np.zeros(0, np.uint8), np.zeros(0, np.int64)
    lo, hi = int(starts[0]), int(starts[-1] + lens[-1]) + 1
    region = np.asarray(buf[lo:hi])
    keep = np.ones(region.shape[0], dtype=bool)
    after = starts[:-1] - lo + lens[:-1]  # each NUL but the last
    for j in range(1, 10):
        keep[after + j] = False
    return region[keep], starts - lo - 9 * np.arange(k, dtype=np.int64)


def gather_words_reference(
    buf: np.ndarray, starts: np.ndarray, lens: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """Copy word ``i`` (``buf[starts[i]:starts[i] + lens[i]]``) into ``out`` followed by a NUL,
    words side by side; returns where each starts in ``out``."""
    new = np.zeros(len(starts), dtype=np.int64)
    at = 0
    for i, (s, n) in enumerate(zip(starts.tolist(), lens.tolist(), strict=True)):
        new[i] = at
        out[at : at + n] = buf[s : s + n]
        out[at + n] = 0
        at += n + 1
    return new


def _compile_gather() -> object:
    from tokenvec.io.scan_numba import gather_words

    return gather_words


_gather_kernel = LazyKernel(_compile_gather)  # type: ignore[arg-type]


def gather_words(
    buf: np.ndarray, starts: np.ndarray, lens: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """The compiled :func:`gather_words_reference`."""
    if not (
        buf.dtype == out.dtype == np.uint8
        and starts.dtype == lens.dtype == np.int64
        and starts.shape == lens.shape
        and out.shape[0] >= int(lens.sum()) + len(lens)
        and (len(starts) == 0 or (starts.min() >= 0 and (starts + lens).max() <= buf.shape[0]))
        and out.flags.c_contiguous
    ):
        raise ValueError("gather_words: the words do not fit the arrays")
    new = np.zeros(len(starts), dtype=np.int64)
    _gather_kernel(buf, starts, lens, out, new)
    return new
