"""Word -> row for a large vocabulary held as bytes, without a Python dict of every word.

A dict of fastText's two million words costs 0.7-0.8 s to build and ~200 MB (a ``str`` and a
slot per word). :class:`WordIndex` keeps the words' FNV-1a hashes (fastText's word hash),
sorted with their rows: 8 bytes a word, built in whole-array numpy steps in about 0.1 s. A
lookup hashes the query's bytes, finds its hash by binary search and compares the stored
bytes of the rows that share it, so it answers exactly what a dict would (the first row of a
repeated word).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from tokenvec._native.fnv import fnv1a, fnv1a_words


class WordIndex(Mapping[str, int]):
    """The rows of words stored as UTF-8 bytes (``blob[starts[i] : starts[i] + lens[i]]``),
    looked up by hash; the first row wins for a repeated word, as in a dict built in order.

    ``errors`` is how the words were decoded ("strict", or "surrogatepass" for tokenvec's key
    blobs, which keep lone surrogates): a query is encoded the same way. After
    ``promote_after`` lookups (default: one for every 8 words) it builds the dict after all,
    so heavy use (an evaluation of thousands of questions) runs at dict speed.
    """

    def __init__(
        self,
        words: Sequence[str],
        blob: np.ndarray,
        starts: np.ndarray,
        lens: np.ndarray,
        *,
        errors: str = "strict",
        promote_after: int | None = None,
    ) -> None:
        n = len(words)
        if not (starts.shape == lens.shape == (n,)):
            raise ValueError("WordIndex: words, starts and lens must have one entry a word")
        if n >= 2**32:
            raise ValueError("WordIndex: more than 2**32 words")
        self._words = words
        self._errors = errors
        self._left = max(10_000, n // 8) if promote_after is None else promote_after
        self._dict: dict[str, int] | None = None
        self._blob = blob
        self._starts = starts
        self._lens = lens
        key = fnv1a_words(blob, starts, lens).astype(np.uint64) << np.uint64(32)
        key |= np.arange(n, dtype=np.uint64)
        key.sort()
        self._hashes = (key >> np.uint64(32)).astype(np.uint32)
        self._rows = (key & np.uint64(0xFFFFFFFF)).astype(np.int32 if n < 2**31 else np.int64)
        del key
        self._repeats = self._find_repeats()

    def _bytes(self, row: int) -> bytes:
        s = int(self._starts[row])
        return self._blob[s : s + int(self._lens[row])].tobytes()

    def _find_repeats(self) -> frozenset[int]:
        """Rows whose word an earlier row already holds (compared only where hashes tie)."""
        same = np.flatnonzero(self._hashes[1:] == self._hashes[:-1])
        if same.size == 0:
            return frozenset()
        repeats = set()
        for i in np.unique(np.concatenate([same, same + 1])).tolist():
            row = int(self._rows[i])
            first = self._find(self._bytes(row), int(self._hashes[i]))
            if first != row:
                repeats.add(row)
        return frozenset(repeats)

    def _find(self, data: bytes, h: int) -> int:
        # (a numpy uint32 query: a Python int would make numpy widen the whole array first)
        i = int(self._hashes.searchsorted(np.uint32(h)))
        n = self._hashes.shape[0]
        while i < n and int(self._hashes[i]) == h:
            row = int(self._rows[i])
            if int(self._lens[row]) == len(data) and self._bytes(row) == data:
                return row
            i += 1
        return -1

    @classmethod
    def from_key_blob(cls, keys: Sequence[str], blob: bytes, offsets: np.ndarray) -> WordIndex:
        """The index of keys stored as tokenvec does (:func:`tokenvec.io.files.encode_keys`:
        each key's UTF-8 with lone surrogates kept, then a newline; ``offsets`` n + 1)."""
        off = np.asarray(offsets, dtype=np.int64)
        return cls(keys, np.frombuffer(blob, np.uint8), off[:-1], np.diff(off) - 1,
                   errors="surrogatepass")  # fmt: skip

    def as_dict(self) -> dict[str, int]:
        """The dict of every word (built once, then used by every lookup): for callers about
        to make thousands of lookups at once, such as spelling suggestions."""
        if self._dict is None:
            keys = self._words
            self._dict = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))
        return self._dict

    def row(self, word: str) -> int:
        """The row of ``word``, or -1."""
        if self._dict is not None:
            return self._dict.get(word, -1)
        self._left -= 1
        if self._left < 0:
            return self.as_dict().get(word, -1)
        try:
            data = word.encode("utf-8", self._errors)
        except UnicodeEncodeError:  # a lone surrogate: no stored (valid UTF-8) word has it
            return -1
        return self._find(data, fnv1a(data))

    def __getitem__(self, word: str) -> int:
        r = self.row(word) if isinstance(word, str) else -1
        if r < 0:
            raise KeyError(word)
        return r

    def get(self, word: str, default: int | None = None) -> int | None:  # type: ignore[override]
        r = self.row(word) if isinstance(word, str) else -1
        return default if r < 0 else r

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.row(word) >= 0

    def __len__(self) -> int:
        return len(self._words) - len(self._repeats)

    def __iter__(self) -> Iterator[str]:
        repeats = self._repeats
        return (w for i, w in enumerate(self._words) if i not in repeats)

    def __repr__(self) -> str:
        return f"WordIndex({len(self):,} words)"
