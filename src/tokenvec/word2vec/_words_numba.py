"""The compiled half of the corpus scan (:class:`tokenvec.word2vec.corpus._Scanner`): a block
of UTF-8 text split at ASCII whitespace and each word mapped to its first-seen position, in
one pass over the bytes with the GIL released.

The plain reference is the scanner's own ``str.split`` and dict path; the two give the same
positions (the corpus tests check it on random text). Words live in an arena of bytes, found
through an open-addressing table of their positions keyed by the 64-bit FNV-1a hash
(computed as the scan walks each word's bytes); when the
arena, the word list or the table is full the call stops before the word that does not fit
and says which, the caller grows it and calls again from there.
"""

from __future__ import annotations

import numba
import numpy as np

from tokenvec._native.fnv import FNV64_OFFSET, FNV64_PRIME

GOLDEN = 0x9E3779B97F4A7C15  # Fibonacci hashing: the product's top bits pick the slot

# How a call ended
DONE = 0
GROW_TABLE = 1  # the table would pass half full, or the word list is full
GROW_ARENA = 2  # the word's bytes do not fit in the arena


@numba.njit(nogil=True, cache=True, boundscheck=False, inline="always")
def _space(b):  # type: ignore[no-untyped-def]  # noqa: ANN001
    # str.split's ASCII whitespace: \t \n \v \f \r, the separators \x1c-\x1f, and space
    return b == 32 or (9 <= b <= 13) or (28 <= b <= 31)


@numba.njit(nogil=True, cache=True, boundscheck=False, inline="always")
def _log2(n):  # type: ignore[no-untyped-def]  # noqa: ANN001
    bits = 0
    while (1 << bits) < n:
        bits += 1
    return bits


@numba.njit(nogil=True, cache=True, boundscheck=False, inline="always")
def _hash(buf, p, end):  # type: ignore[no-untyped-def]  # noqa: ANN001
    """(where the word starting at buf[p] ends, its FNV-1a hash)."""
    h = np.uint64(FNV64_OFFSET)
    while p < end and not _space(buf[p]):
        h = (h ^ np.uint64(buf[p])) * np.uint64(FNV64_PRIME)
        p += 1
    return p, h


@numba.njit(nogil=True, cache=True, boundscheck=False, inline="always")
def _find(buf, start, n, h, table, shift, starts, lens, hashes, arena):  # type: ignore[no-untyped-def]  # noqa: ANN001
    """(the word buf[start:start + n]'s position or -1, the table slot it has or would take);
    ``shift``: 64 - log2(the table's size)."""
    mask = table.shape[0] - 1
    slot = np.int64((h * np.uint64(GOLDEN)) >> shift)
    while True:
        w = table[slot]
        if w < 0:
            return -1, slot
        if hashes[w] == h and lens[w] == n:
            s = starts[w]
            same = True
            for k in range(n):
                if arena[s + k] != buf[start + k]:
                    same = False
                    break
            if same:
                return w, slot
        slot = (slot + 1) & mask


@numba.njit(nogil=True, cache=True, boundscheck=False, inline="always")
def _insert(buf, start, n, h, slot, table, starts, lens, hashes, arena, state):  # type: ignore[no-untyped-def]  # noqa: ANN001
    """Give the word buf[start:start + n] the next position (in ``slot``); returns it, or
    -GROW_TABLE / -GROW_ARENA when it does not fit (nothing changed)."""
    used, known = state[0], state[1]
    if 2 * (known + 1) > table.shape[0] or known >= starts.shape[0]:
        return -GROW_TABLE
    if used + n > arena.shape[0]:
        return -GROW_ARENA
    for k in range(n):
        arena[used + k] = buf[start + k]
    starts[known] = used
    lens[known] = n
    hashes[known] = h
    table[slot] = known
    state[0], state[1] = used + n, known + 1
    return known


@numba.njit(nogil=True, cache=True, boundscheck=False)
def map_words(buf, pos, end, eol, ids, table, starts, lens, hashes, arena, state):  # type: ignore[no-untyped-def]  # noqa: ANN001
    """Map the words of ``buf[pos:end]`` to positions, written to ``ids[state[2]:]`` (a -1 for
    each newline when ``eol``). ``state``: [arena bytes used, words known, ids written].
    Returns (where it stopped, DONE / GROW_TABLE / GROW_ARENA)."""
    shift = np.uint64(64 - _log2(table.shape[0]))
    out = state[2]
    p = pos
    while p < end:
        b = buf[p]
        if _space(b):
            if b == 10 and eol:
                ids[out] = -1
                out += 1
            p += 1
            continue
        start = p
        p, h = _hash(buf, p, end)
        found, slot = _find(buf, start, p - start, h, table, shift, starts, lens, hashes, arena)
        if found < 0:
            found = _insert(buf, start, p - start, h, slot, table, starts, lens, hashes, arena,
                            state)  # fmt: skip
            if found < 0:
                state[2] = out
                return start, -found
        ids[out] = found
        out += 1
    state[2] = out
    return end, DONE


@numba.njit(nogil=True, cache=True, boundscheck=False)
def look_up_words(buf, eol, ids, table, starts, lens, hashes, arena):  # type: ignore[no-untyped-def]  # noqa: ANN001
    """:func:`map_words` on the whole of ``buf`` with the table only read (so several
    threads may look up blocks at once): a word not yet known is written as ``-2 - start``,
    its first byte's offset, for :func:`add_missing` to give it a position after.
    Returns (ids written, words not known). The walk over the bytes is map_words' own, written
    out again: the same walk as a shared helper returning each word measured 1.2x slower."""
    shift = np.uint64(64 - _log2(table.shape[0]))
    out = 0
    missing = 0
    p = 0
    end = buf.shape[0]
    while p < end:
        b = buf[p]
        if _space(b):
            if b == 10 and eol:
                ids[out] = -1
                out += 1
            p += 1
            continue
        start = p
        p, h = _hash(buf, p, end)
        found, _ = _find(buf, start, p - start, h, table, shift, starts, lens, hashes, arena)
        if found < 0:
            found = -2 - start
            missing += 1
        ids[out] = found
        out += 1
    return out, missing


@numba.njit(nogil=True, cache=True, boundscheck=False)
def add_missing(buf, ids, at, n, table, starts, lens, hashes, arena, state):  # type: ignore[no-untyped-def]  # noqa: ANN001
    """Give the words :func:`look_up_words` left unknown in ``ids[at:n]`` their positions, in
    order (a word met twice is given one). Returns (where it stopped, DONE / GROW_TABLE /
    GROW_ARENA)."""
    shift = np.uint64(64 - _log2(table.shape[0]))
    for k in range(at, n):
        v = ids[k]
        if v >= -1:
            continue
        start = -2 - v
        p, h = _hash(buf, start, buf.shape[0])
        found, slot = _find(buf, start, p - start, h, table, shift, starts, lens, hashes, arena)
        if found < 0:
            found = _insert(buf, start, p - start, h, slot, table, starts, lens, hashes, arena,
                            state)  # fmt: skip
            if found < 0:
                return k, -found
        ids[k] = found
    return n, DONE


@numba.njit(nogil=True, cache=True, boundscheck=False)
def rehash(table, hashes, known):  # type: ignore[no-untyped-def]  # noqa: ANN001
    """Fill an empty (all -1) ``table`` with the first ``known`` words by their hashes."""
    mask = table.shape[0] - 1
    shift = np.uint64(64 - _log2(table.shape[0]))
    for w in range(known):
        slot = np.int64((hashes[w] * np.uint64(GOLDEN)) >> shift)
        while table[slot] >= 0:
            slot = (slot + 1) & mask
        table[slot] = w
