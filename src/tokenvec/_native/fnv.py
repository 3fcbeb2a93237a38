"""fastText's 32-bit FNV-1a hash, written once: the plain reference (:func:`fnv1a`), a numpy
form that hashes many words at once (:func:`fnv1a_words`), and the compiled form in
:mod:`tokenvec._native.fnv_numba` that the n-gram kernels call. Words and n-grams of a
fastText model hash to their rows with it; the word index of large vocabularies too."""

from __future__ import annotations

import numpy as np

FNV_OFFSET = 2166136261
FNV_PRIME = 16777619
# The 64-bit variant: the corpus scan of word2vec hashes words with it as it walks their bytes.
FNV64_OFFSET = 14695981039346656037
FNV64_PRIME = 1099511628211


def fnv1a(data: bytes) -> int:
    """fastText's 32-bit FNV-1a, where each byte enters as a *signed* char (so bytes >= 0x80
    are sign-extended to 0xFFFFFFxx before the xor, as in the original C++).

    >>> hex(fnv1a(b"a"))  # the published FNV-1a test vector for "a"
    '0xe40c292c'
    """
    h = FNV_OFFSET
    for c in data:
        h ^= c | 0xFFFFFF00 if c >= 0x80 else c
        h = (h * FNV_PRIME) & 0xFFFFFFFF
    return h


def fnv1a_words_reference(blob: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """:func:`fnv1a` of each word ``blob[starts[i] : starts[i] + lens[i]]``."""
    b = blob.tobytes()
    return np.array(
        [fnv1a(b[s : s + n]) for s, n in zip(starts.tolist(), lens.tolist(), strict=True)],
        dtype=np.uint32,
    )


def fnv1a_words(blob: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """:func:`fnv1a_words_reference` in numpy: one step per byte position, over the words
    still that long (the words sorted longest first, so they are a prefix); uint32
    arithmetic wraps as the C code's does, and each byte is sign-extended as fastText's is."""
    n = starts.shape[0]
    out = np.full(n, FNV_OFFSET, dtype=np.uint32)
    if n == 0:
        return out
    longest = int(lens.max())
    # Longest first (a stable radix sort of 16-bit keys where lengths allow); 32-bit
    # positions where the blob allows: a few bytes a word of temporaries.
    small = np.uint16 if longest < 2**16 else np.int64
    order = np.argsort((longest - lens).astype(small), kind="stable")
    pos_t = np.int32 if blob.shape[0] < 2**31 else np.int64
    s = starts[order].astype(pos_t)
    # going[j]: how many words have more than j bytes
    going = n - np.cumsum(np.bincount(lens, minlength=longest + 1))[:longest]
    h = np.full(n, FNV_OFFSET, dtype=np.uint32)
    signed = blob.view(np.int8)
    prime = np.uint32(FNV_PRIME)
    for j in range(longest):
        k = int(going[j])
        part = h[:k]
        np.bitwise_xor(part, signed[s[:k] + j].astype(np.int32).view(np.uint32), out=part)
        np.multiply(part, prime, out=part)
    out[order] = h
    return out
