"""Keyed vectors: a (N, dim) matrix with a vocabulary, and the queries that show meaning.

Names follow gensim's ``KeyedVectors`` (``vectors``, ``index_to_key``, ``key_to_index``,
``most_similar``...), so its users feel at home. Queries accept a key, an index or a raw vector.
Exact search is one matrix-vector product over unit rows, which reads the matrix once: it is
bounded by memory bandwidth, and batched queries share that read.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tokenvec._native.pca import project_2d_pca
from tokenvec.io import formats
from tokenvec.io.files import VectorFormatError
from tokenvec.vectors import storage
from tokenvec.vectors.storage import Dense, Storage

Query = str | int | np.integer | np.ndarray
Scored = list[tuple[str, float]]

# Batched search works on blocks of queries so that the (queries, N) score block stays below
# this many bytes, whatever the vocabulary size.
SCORE_BLOCK_BYTES = 256 * 2**20
# Time budget of the widest search for suggestions of an unknown word (the fast ones run first).
SUGGEST_SECONDS = 0.01


def project_unit_2d(vectors: Vectors, words: Sequence[str]) -> np.ndarray:
    """2-D PCA coordinates of the unit vectors of ``words``: (n, 2).

    >>> v = Vectors(["a", "b", "c"], np.eye(3, dtype=np.float32))
    >>> project_unit_2d(v, ["a", "b", "c"]).shape
    (3, 2)
    """
    x = np.stack([vectors.get_vector(w, norm=True) for w in words]).astype(np.float64)  # (n, C)
    return project_2d_pca(x)


def parse_expression(expr: str) -> tuple[list[str], list[str]]:
    """Split a free-form analogy into positive and negative words.

    >>> parse_expression("king - man + woman")
    (['king', 'woman'], ['man'])
    """
    tokens = expr.replace("+", " + ").replace(" -", " - ").split()
    if not tokens:
        raise ValueError("empty expression: write it as 'king - man + woman'")
    positive: list[str] = []
    negative: list[str] = []
    sign = 1
    expect_word = True
    for t in tokens:
        if t in "+-" and len(t) == 1:
            if expect_word and (positive or negative or sign < 0):  # a leading sign is fine
                raise ValueError(f"expression {expr!r}: two operators in a row")
            sign = 1 if t == "+" else -1
            expect_word = True
            continue
        if not expect_word:
            raise ValueError(f"expression {expr!r}: missing + or - before {t!r}")
        (positive if sign > 0 else negative).append(t)
        expect_word = False
    if expect_word:
        raise ValueError(f"expression {expr!r} ends with an operator")
    return positive, negative


def parse_analogy(words: Sequence[str]) -> tuple[list[str], list[str]]:
    """(positive, negative) of an analogy written either way tokenvec takes one: three words
    ``a b c`` (a : b :: c : ?, as the playground and ``plot analogy`` take them) or
    arithmetic, ``king - man + woman`` (``king -man +woman`` too).

    >>> parse_analogy(["man", "king", "woman"])
    (['king', 'woman'], ['man'])
    >>> parse_analogy(["king", "-man", "+woman"])
    (['king', 'woman'], ['man'])
    """
    text = " ".join(words)
    if "+" not in text and not any(w.startswith("-") or " - " in f" {w} " for w in words):
        parts = text.split()
        if len(parts) == 3:
            a, b, c = parts
            return [b, c], [a]
        raise ValueError(
            f"{text!r}: write an analogy as three words, 'man king woman' (man : king :: "
            f"woman : ?), or as arithmetic, 'king - man + woman'"
        )
    return parse_expression(" " + text)


def analogy_triple(words: Sequence[str]) -> tuple[str, str, str]:
    """(a, b, c) of an analogy a : b :: c : ? written either way :func:`parse_analogy` takes.

    >>> analogy_triple(["king - man + woman"])
    ('man', 'king', 'woman')
    """
    positive, negative = parse_analogy(words)
    if len(positive) != 2 or len(negative) != 1:
        raise ValueError(
            f"{' '.join(words)!r}: an analogy a : b :: c : ? is 'a b c' or 'b - a + c'"
        )
    return negative[0], positive[0], positive[1]


def _edits1(word: str, alphabet: str) -> set[str]:
    """Strings one deletion, transposition, replacement or insertion away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in alphabet]
    inserts = [a + c + b for a, b in splits for c in alphabet]
    return set(deletes + transposes + replaces + inserts)


def _deletes1(word: str) -> list[str]:
    """Strings one deletion away from ``word``."""
    return [word[:i] + word[i + 1 :] for i in range(len(word))]


def suggest(key: str, key_to_index: Mapping[str, int], n: int = 3) -> list[str]:
    """Known keys close to ``key``: other casings, then 1 edit, then 2 edits; frequent first.

    >>> suggest("kign", {"the": 0, "king": 1, "kin": 2})
    ['king', 'kin']
    """
    if len(key) > 40:
        return []
    # Thousands of membership tests follow: a hash index over stored keys answers them from
    # its dict (built once), not from its binary search (~3 us each).
    as_dict = getattr(key_to_index, "as_dict", None)
    if as_dict is not None:
        key_to_index = as_dict()
    alphabet = "".join(sorted(set("abcdefghijklmnopqrstuvwxyz-'" + key.lower())))
    found = [
        k for k in {key.lower(), key.capitalize(), key.upper()} if k != key and k in key_to_index
    ]
    if not found:
        one = _edits1(key, alphabet)
        found = [k for k in one if k in key_to_index]
        if not found and len(key) <= 16:
            # Two edits, of which one deletes: len x |one| look-ups (about 10 ms for a
            # 12-letter word) instead of |one|^2 (0.4 s on 400k keys) ...
            found = list({k2 for k1 in one for k2 in _deletes1(k1) if k2 in key_to_index})
        if not found and len(key) <= 16:
            # ... then any two edits, for as long as the time budget allows.
            deadline = time.perf_counter() + SUGGEST_SECONDS
            for k1 in one:
                found.extend(k2 for k2 in _edits1(k1, alphabet) if k2 in key_to_index)
                if found or time.perf_counter() > deadline:
                    break
    return sorted(set(found) - {key}, key=key_to_index.__getitem__)[:n]


def unknown_key_message(key: str, key_to_index: Mapping[str, int]) -> str:
    """``unknown word 'kign' (did you mean 'king'?)``."""
    close = suggest(key, key_to_index)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return f"unknown word {key!r}{hint}"


def nan_message(key: str, row: int) -> str:
    return (
        f"vector of {key!r} (row {row}) has NaN or inf values; "
        f"pass allow_nan=True to keep such rows"
    )


_nonfinite_rows = storage.nonfinite_rows
_unit_rows = storage.unit_rows


def top_k(scores: np.ndarray, k: int, exclude: Iterable[int] = ()) -> np.ndarray:
    """Indices of the ``k`` largest scores, best first, skipping ``exclude``.

    >>> top_k(np.array([0.1, 0.9, 0.5, 0.7]), 2, exclude=[1]).tolist()
    [3, 2]
    """
    from tokenvec._native import topk as _topk

    # A query word outside a restricted pool (restrict_vocab) has no score to exclude.
    excl = np.fromiter((int(i) for i in exclude if 0 <= int(i) < scores.shape[0]), dtype=np.int64)
    if excl.size:
        scores = scores.copy()
        scores[excl] = -np.inf
    # One row: numpy's two-pass top-k is as fast as the compiled scan (0.43 against 0.47 ms at
    # 400k scores) and spares a fresh process the ~0.7 s of loading numba.
    best = _topk.topk_row_numpy(scores, min(k + excl.size, scores.shape[0]))
    if excl.size:
        best = best[~np.isin(best, excl)]
    return best[:k]


def check_counts(counts: Any, n: int) -> np.ndarray | None:
    """``counts`` as an (n,) float64 array of finite non-negative numbers, or None."""
    if counts is None:
        return None
    c = np.asarray(counts)
    if c.shape != (n,) or c.dtype.kind not in "fiu":
        raise ValueError(f"counts must be {n} numbers (one per key), got {c.dtype} {c.shape}")
    c = c.astype(np.float64)
    if not np.isfinite(c).all() or (c < 0).any():
        raise ValueError("counts must be finite and non-negative")
    return c


# Vocabularies at least this large, read from tokenvec's key files, are looked up through a
# hash index (tokenvec.vectors.wordindex) rather than a dict: building a dict of 400,000 keys takes
# ~0.17 s of a command's start (a dict lookup ~50 ns, an index lookup ~3 us).
def _checked_matrix(vectors: Any, keys: list[str], allow_nan: bool) -> np.ndarray:
    """``vectors`` as a float16 or float32 (N, dim) array for ``keys``, its rows finite unless
    ``allow_nan``."""
    arr = np.asanyarray(vectors)  # keeps a np.memmap a memmap
    if arr.ndim != 2:
        raise ValueError(f"vectors must be 2-D (N, dim), got shape {arr.shape}")
    if arr.dtype not in (np.float16, np.float32):
        if arr.dtype.kind not in "fiu":
            raise TypeError(f"vectors must be numeric, got dtype {arr.dtype}")
        arr = arr.astype(np.float32)
    if len(keys) != arr.shape[0]:
        raise ValueError(f"{len(keys)} keys for {arr.shape[0]} vectors: they must match")
    if not allow_nan:
        bad = _nonfinite_rows(arr)
        if bad.size:
            row = int(bad[0])
            raise ValueError(nan_message(keys[row], row))
    return arr


WORD_INDEX_MIN = 100_000


class Vectors:
    """A vocabulary of ``N`` keys over a storage of their ``(N, dim)`` rows.

    The storage (:mod:`tokenvec.vectors.storage`) may be dense float32 or float16, int8 codes, or
    product / residual quantization codes: every query below is written once against it.

    >>> v = Vectors(["a", "b", "c"], np.array([[1, 0], [0.9, 0.1], [0, 1]], np.float32))
    >>> v.most_similar("a", topn=1)[0][0]
    'b'
    """

    index_to_key: list[str]
    storage: Storage

    def __init__(
        self,
        keys: Sequence[str],
        vectors: Any,
        *,
        allow_nan: bool = False,
        on_duplicate: Literal["warn", "error", "ignore"] = "warn",
        counts: Any = None,
        key_blob: tuple[bytes, Any] | None = None,
    ) -> None:
        """``vectors``: a (N, dim) array, or a :class:`~tokenvec.vectors.storage.Storage` of N
        rows."""
        keys = list(keys)
        if isinstance(vectors, Storage):
            rows: Storage = vectors
        else:
            rows = Dense(_checked_matrix(vectors, keys, allow_nan))
        if len(keys) != len(rows):
            raise ValueError(f"{len(keys)} keys for {len(rows)} vectors: they must match")
        self.index_to_key = keys
        self.storage = rows
        self._counts_source: Callable[[], Any] | None = None
        self.counts = counts
        self._key_to_index: Mapping[str, int] | None = None
        # The keys as stored (tokenvec.io.files.encode_keys: blob, offsets), when the reader has
        # them: a large vocabulary is then looked up through a hash index, not a dict.
        self._key_blob = key_blob
        self.ann: Any = None  # an approximate index, see tokenvec.vectors.ann
        if on_duplicate != "ignore":
            self._check_duplicates(on_duplicate)

    def _check_duplicates(self, policy: str) -> None:
        n_unique = len(self.key_to_index)
        if n_unique == len(self.index_to_key):
            return
        first = next(i for i, k in enumerate(self.index_to_key) if self.key_to_index[k] != i)
        msg = (
            f"{len(self.index_to_key) - n_unique} duplicate keys (first: "
            f"{self.index_to_key[first]!r} at row {first}); lookups use the first occurrence"
        )
        if policy == "error":
            raise ValueError(msg)

        warnings.warn(msg, UserWarning, stacklevel=3)

    # --- plain data --------------------------------------------------------------------------

    @property
    def counts(self) -> np.ndarray | None:
        """How often each key occurred in a corpus (word2vec and fastText training and models
        keep them; the built-in GloVe counts its words in the built-in corpus), as float64;
        SIF text vectors weight words by them. None when unknown."""
        source = getattr(self, "_counts_source", None)
        if source is not None:  # counted on first use (the built-in GloVe: a cached count)
            self._counts_source = None
            self._counts = check_counts(source(), len(self.index_to_key))
        return getattr(self, "_counts", None)

    @counts.setter
    def counts(self, value: Any) -> None:
        self._counts_source = None
        self._counts = check_counts(value, len(self.index_to_key))

    def count_later(self, source: Callable[[], Any]) -> None:
        """Give the counts by ``source()``, called on first use of :attr:`counts`."""
        self._counts = None
        self._counts_source = source

    @property
    def key_to_index(self) -> Mapping[str, int]:
        """Key -> row; with duplicate keys, the first occurrence wins. A dict, or for a
        large vocabulary read from tokenvec's key files a
        :class:`~tokenvec.vectors.wordindex.WordIndex` (the same answers, built 5-8x faster)."""
        if self._key_to_index is None:
            keys = self.index_to_key
            blob = getattr(self, "_key_blob", None)
            if blob is not None and len(keys) >= WORD_INDEX_MIN:
                from tokenvec.vectors.wordindex import WordIndex

                self._key_to_index = WordIndex.from_key_blob(keys, *blob)
                return self._key_to_index
            # Built in reverse so that, for a repeated key, the first occurrence is written last.
            self._key_to_index = dict(
                zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True)
            )
        return self._key_to_index

    @property
    def vectors(self) -> np.ndarray:
        """The rows as a (N, dim) array: the stored matrix (float32 or float16, perhaps
        memory-mapped), or for codes the whole table decoded to float32 on first use."""
        return self.storage.matrix

    @property
    def vector_size(self) -> int:
        return self.storage.dim

    @property
    def nbytes(self) -> int:
        """Bytes the rows take as stored (codes, codebooks and kept lengths for codes)."""
        return self.storage.nbytes

    @property
    def _bad_rows(self) -> np.ndarray | None:
        return self.storage.bad_rows  # rows holding NaN or inf (found with the unit rows)

    def _check_source(self) -> None:
        """Raise a clear error if a memory-mapped file behind these vectors was rewritten in
        place since it was opened (reading it would kill the process: SIGBUS)."""
        self.storage.check()

    @property
    def norms(self) -> np.ndarray:
        """Length of every vector: (N,)."""
        return self.storage.norms

    @property
    def unit(self) -> np.ndarray:
        """Unit-length rows, computed once on first use: (N, C).

        float32, or float16 for float16 storage, which keeps a half-size table half-size
        (scores over it are computed by :meth:`unit_dot` at float16 cost).
        """
        return self.storage.unit

    def unit_dot(self, queries: np.ndarray, restrict_vocab: int | None = None) -> np.ndarray:
        """Scores of float32 ``queries`` against the unit rows: (C,) -> (N,), (q, C) -> (q, N),
        computed from the stored form (see :mod:`tokenvec.vectors.storage`)."""
        return self.storage.unit_dot(queries, restrict_vocab)

    def _unit_row(self, i: int, dtype: Any = np.float32) -> np.ndarray:
        """Row ``i`` at unit length in ``dtype`` (float16 storage: from the raw row, exactly)."""
        return self.storage.unit_row(i, dtype)

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __eq__(self, other: object) -> bool:
        """Equal keys in the same order and equal vectors (NaN equal to NaN), any dtype."""
        if not isinstance(other, Vectors):
            return NotImplemented
        return (
            self.index_to_key == other.index_to_key
            and self.vectors.shape == other.vectors.shape
            and bool(np.array_equal(self.vectors, other.vectors, equal_nan=True))
        )

    __hash__ = None  # type: ignore[assignment]  # mutable data: not hashable

    def __contains__(self, key: object) -> bool:
        return key in self.key_to_index

    def has_vector(self, key: str) -> bool:
        """Whether ``key`` has a vector: it is in the vocabulary (subword models also answer
        for other strings with at least one character n-gram)."""
        return key in self.key_to_index

    def __getitem__(self, key: Query | Sequence[str]) -> np.ndarray:
        if isinstance(key, list | tuple):
            return np.stack([self._row(self.index(k)) for k in key])
        return self._row(self.index(key))  # type: ignore[arg-type]  # not a sequence here

    def _row(self, i: int) -> np.ndarray:
        """The stored vector of row ``i`` (compressed tables decode that row only)."""
        return self.storage.row(i)

    def __repr__(self) -> str:
        return f"Vectors({len(self):,} keys x {self.vector_size}, {self.storage.describe()})"

    def get(self, key: str, default: Any = None) -> Any:
        i = self.key_to_index.get(key)
        return default if i is None else self._row(i)

    def index(self, key: Query) -> int:
        """Row of ``key`` (a key or an index); ``KeyError`` with suggestions if unknown."""
        if isinstance(key, str):
            i = self.key_to_index.get(key)
            if i is None:
                raise KeyError(unknown_key_message(key, self.key_to_index))
            return i
        if isinstance(key, int | np.integer) and not isinstance(key, bool):
            if not -len(self) <= int(key) < len(self):
                raise IndexError(f"index {key} is out of range for {len(self):,} vectors")
            return int(key) % len(self)
        raise TypeError(f"expected a key or an index, got {type(key).__name__}")

    get_index = index

    def get_vector(self, key: Query, norm: bool = False) -> np.ndarray:
        """The vector of ``key`` (unit length with ``norm=True``)."""
        i = self.index(key)
        return self._unit_row(i) if norm else self._row(i)

    # --- query building ----------------------------------------------------------------------

    def _as_vector(
        self, item: Query, *, unit: bool, dtype: Any = np.float32
    ) -> tuple[np.ndarray, int | None]:
        """(vector, its row or None for a raw vector)."""
        if isinstance(item, np.ndarray) and item.ndim == 1:
            if item.shape[0] != self.vector_size:
                raise ValueError(
                    f"query vector has {item.shape[0]} values, vectors have {self.vector_size}"
                )
            if not np.isfinite(item).all():
                raise ValueError("query vector has NaN or inf values")
            return item.astype(dtype, copy=False), None
        i = self.index(item)
        vec = self._unit_row(i, dtype) if unit else self._row(i).astype(dtype)
        self._check_finite_row(vec, i)
        return vec, i

    def _check_finite_row(self, vec: np.ndarray, i: int) -> None:
        """A query about a row holding NaN or inf is an error naming the key."""
        bad = self._bad_rows is not None and i in self._bad_rows
        if bad or not np.isfinite(vec).all():
            raise ValueError(
                f"the vector of {self.index_to_key[i]!r} (row {i}) holds NaN or inf values: "
                f"it has no direction to compare with others"
            )

    def mean_vector(
        self,
        positive: Sequence[Query] = (),
        negative: Sequence[Query] = (),
        *,
        dtype: Any = np.float32,
    ) -> tuple[np.ndarray, list[int]]:
        """Unit mean of the unit ``positive`` minus ``negative`` vectors and the rows used.

        Raw vectors enter as given, as in gensim. ``dtype=np.float64`` gives the exact query
        that float16 results are re-scored with.
        """
        if not positive and not negative:
            raise ValueError("a query needs at least one positive or negative word")
        total = np.zeros(self.vector_size, dtype=dtype)
        used: list[int] = []
        for items, sign in ((positive, 1.0), (negative, -1.0)):
            for item in items:
                vec, row = self._as_vector(item, unit=True, dtype=dtype)
                total += np.asarray(sign, dtype=dtype) * vec
                if row is not None:
                    used.append(row)
        mean = total / (len(positive) + len(negative))
        n = np.linalg.norm(mean)
        if n == 0:
            raise ValueError("the query vector is all zeros (its words cancel out)")
        return (mean / n).astype(dtype), used

    def _pool(self, restrict_vocab: int | None) -> np.ndarray:
        if restrict_vocab is None:
            return self.unit
        if restrict_vocab <= 0:
            raise ValueError(f"restrict_vocab must be positive, got {restrict_vocab}")
        return self.unit[:restrict_vocab]

    def _scored(
        self,
        scores: np.ndarray,
        topn: int | None,
        exclude: Iterable[int],
        exact_query: Any = None,
    ) -> Any:
        if topn is None:
            return scores
        if topn < 0:
            raise ValueError(f"topn must be >= 0 or None, got {topn}")
        exclude = list(exclude)
        if self._bad_rows is not None:  # never an answer (their unit rows are zero)
            exclude += self._bad_rows.tolist()
        best = top_k(scores, topn, exclude)
        if exact_query is not None and best.size:
            return self._rescored(scores, best, topn, exclude, exact_query())
        return [(self.index_to_key[i], float(scores[i])) for i in best]

    def _rescored(
        self,
        scores: np.ndarray,
        best: np.ndarray,
        topn: int,
        exclude: list[int],
        query: np.ndarray,
    ) -> list[tuple[str, float]]:
        """Exact top ``topn`` from scores over float16 unit rows: every row whose score is
        within twice the error bound of the ``topn``-th is scored again in float64 from its
        raw row, so the result is that of a float64 search over the stored vectors."""
        from tokenvec._native.half import COSINE_ERROR

        floor = scores[best[-1]] - 2 * COSINE_ERROR
        cand = np.flatnonzero(scores >= floor)
        if exclude:
            cand = cand[~np.isin(cand, np.asarray(exclude))]
        rows = np.asarray(self.vectors[cand], dtype=np.float64)  # (m, C)
        norms = np.linalg.norm(rows, axis=1)
        exact = (rows @ query) / np.where(norms == 0, 1, norms)
        order = np.lexsort((cand, -exact))[:topn]
        return [(self.index_to_key[int(cand[j])], float(exact[j])) for j in order]

    def _exact_query(self, positive: Sequence[Query], negative: Sequence[Query]) -> Any:
        """For float16 storage, a thunk giving the float64 query results are re-scored with."""
        if self.storage.exact:
            return None
        return lambda: self.mean_vector(positive, negative, dtype=np.float64)[0]

    @staticmethod
    def _listify(items: Query | Sequence[Query] | None) -> list[Query]:
        if items is None:
            return []
        if isinstance(items, str | int | np.integer) or (
            isinstance(items, np.ndarray) and items.ndim == 1
        ):
            return [items]
        return list(items)

    # --- queries -----------------------------------------------------------------------------

    def most_similar(
        self,
        positive: Query | Sequence[Query] | None = None,
        negative: Query | Sequence[Query] | None = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
        *,
        approx: bool = False,
    ) -> Any:
        """Keys nearest to mean(positive) − mean(negative) by cosine (3CosAdd).

        The input keys are left out. ``topn=None`` returns every score (N,). With
        ``approx=True`` the approximate index built by :meth:`build_ann` answers.
        """
        pos, neg = self._listify(positive), self._listify(negative)
        query, used = self.mean_vector(pos, neg)
        if approx:
            from tokenvec.vectors.ann import ann_search

            return ann_search(self, query, topn or 10, used)
        scores = self.unit_dot(query, restrict_vocab)  # (N,)
        return self._scored(scores, topn, used, self._exact_query(pos, neg))

    def encode(
        self,
        texts: Iterable[str] | str,
        *,
        tokenizer: Callable[[str], list[str]] | None = None,
        pooling: Literal["mean", "sif", "max"] = "mean",
        normalize: bool = True,
        **kwargs: Any,
    ) -> np.ndarray:
        """One vector per text, pooled from its words' vectors: (n, dim) float32, unit length
        unless ``normalize=False`` (see :func:`tokenvec.vectors.text.encode` for SIF's options and
        the count of skipped words).

        >>> v = Vectors(["good", "film", "bad"], np.array([[1, 0], [0, 1], [-1, 0]], np.float32))
        >>> v.encode(["good film", "bad film!"]).astype(np.float64).round(3).tolist()
        [[0.707, 0.707], [-0.707, 0.707]]
        """
        from tokenvec.vectors.text import encode

        return encode(
            self, texts, tokenizer=tokenizer, pooling=pooling, normalize=normalize, **kwargs
        ).vectors

    def most_similar_cosmul(
        self,
        positive: Query | Sequence[Query] | None = None,
        negative: Query | Sequence[Query] | None = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> Any:
        """3CosMul (Levy and Goldberg, 2014): prod (1+cos(x, p))/2 / (prod (1+cos(x, n))/2 + ε)."""
        pos, neg = self._listify(positive), self._listify(negative)
        if not pos and not neg:
            raise ValueError("a query needs at least one positive or negative word")
        pool = self._pool(restrict_vocab)
        used: list[int] = []

        def shifted(item: Query) -> np.ndarray:
            vec, row = self._as_vector(item, unit=True)
            if row is not None:
                used.append(row)
            return (1 + self.unit_dot(vec / (np.linalg.norm(vec) or 1), restrict_vocab)) / 2

        num = np.prod([shifted(p) for p in pos], axis=0) if pos else np.ones(len(pool))
        den = np.prod([shifted(n) for n in neg], axis=0) if neg else np.ones(len(pool))
        scores = (num / (den + 1e-6)).astype(np.float32)
        return self._scored(scores, topn, used)

    def similar_by_vector(
        self, vector: np.ndarray, topn: int | None = 10, restrict_vocab: int | None = None
    ) -> Any:
        """Keys nearest to a raw vector."""
        vec = np.asarray(vector, dtype=np.float32)
        return self.most_similar(positive=[vec], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_key = most_similar
    similar_by_word = most_similar

    def similarity(self, a: Query, b: Query) -> float:
        """Cosine similarity of two keys (or vectors); exactly 1.0 for identical vectors."""
        va, ia = self._as_vector(a, unit=False)
        vb, ib = self._as_vector(b, unit=False)
        na, nb = np.linalg.norm(va), np.linalg.norm(vb)
        if na == 0 or nb == 0:
            return 0.0
        if (ia is not None and ia == ib) or np.array_equal(va, vb):
            return 1.0  # rounding would give 1 - 6e-8 for half of all words
        return float(np.clip(np.dot(va, vb) / (na * nb), -1.0, 1.0))

    def distance(self, a: Query, b: Query) -> float:
        """Cosine distance, 1 − similarity."""
        return 1.0 - self.similarity(a, b)

    def norm_distance(self, a: Query, b: Query) -> float:
        """Euclidean distance ‖a − b‖ of the raw vectors."""
        va, _ = self._as_vector(a, unit=False)
        vb, _ = self._as_vector(b, unit=False)
        return float(np.linalg.norm(va - vb))

    def distances(self, key: Query, others: Sequence[Query] = ()) -> np.ndarray:
        """Cosine distances from ``key`` to ``others`` (to every key when empty)."""
        vec, _ = self._as_vector(key, unit=True)
        vec = vec / (np.linalg.norm(vec) or 1)
        if not others:
            return 1 - self.unit_dot(vec)
        rows = np.stack([self._as_vector(o, unit=True)[0] for o in others])
        rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-30)
        return 1 - rows @ vec

    def doesnt_match(self, keys: Sequence[str]) -> str:
        """The key furthest from the mean of the others (all of them, as gensim)."""
        known = [k for k in keys if k in self]
        if len(known) < 2:
            missing = [k for k in keys if k not in self]
            raise ValueError(f"doesnt_match needs at least 2 known words; unknown: {missing}")
        idx = [self.key_to_index[k] for k in known]
        rows = self.unit[idx]  # (k, C)
        for r, i in zip(rows, idx, strict=True):
            self._check_finite_row(r, i)
        mean = rows.mean(axis=0)
        mean /= np.linalg.norm(mean) or 1
        return known[int(np.argmin(rows @ mean))]

    def closer_than(self, key1: Query, key2: Query) -> list[str]:
        """Keys closer to ``key1`` than ``key2`` is."""
        i1, i2 = self.index(key1), self.index(key2)
        self._check_finite_row(self._unit_row(i2), i2)
        q = self._unit_row(i1)
        self._check_finite_row(q, i1)
        scores = self.unit_dot(q)
        mask = scores > scores[i2]
        mask[i1] = False
        if self._bad_rows is not None:
            mask[self._bad_rows] = False
        idx = np.flatnonzero(mask)
        idx = idx[np.argsort(-scores[idx], kind="stable")]
        return [self.index_to_key[i] for i in idx]

    def rank(self, key1: Query, key2: Query) -> int:
        """Rank of ``key2`` among the neighbours of ``key1`` (1 = nearest)."""
        return len(self.closer_than(key1, key2)) + 1

    def n_similarity(self, keys1: Sequence[Query], keys2: Sequence[Query]) -> float:
        """Cosine similarity of the means of two sets of vectors (gensim's name).

        >>> v = Vectors(["a", "b", "c"], np.array([[1, 0], [0, 1], [1, 1]], np.float32))
        >>> round(v.n_similarity(["a", "b"], ["c"]), 4)
        1.0
        """
        if not len(keys1) or not len(keys2):
            raise ValueError("n_similarity needs at least one key on each side")
        means = []
        for keys in (keys1, keys2):
            mean = np.mean([self._as_vector(k, unit=False)[0] for k in keys], axis=0)
            n = np.linalg.norm(mean)
            means.append(mean / n if n else mean)
        return float(np.clip(np.dot(means[0], means[1]), -1.0, 1.0))

    def get_normed_vectors(self) -> np.ndarray:
        """Every row at unit length, (N, dim) (gensim's name for :attr:`unit`)."""
        return self.unit

    def has_index_for(self, key: object) -> bool:
        """Whether ``key`` has a row of its own (subword models: in the vocabulary, even
        though other strings have vectors too); gensim's name."""
        return key in self.key_to_index

    def save_word2vec_format(
        self, path: str | os.PathLike[str], binary: bool = False, **kwargs: Any
    ) -> Path:
        """Write word2vec's text format (``binary=True``: its binary format), as gensim's
        method of that name does; see :func:`save_vectors` for the options."""
        return self.save(path, format="word2vec" if binary else "word2vec-text", **kwargs)

    @classmethod
    def load_word2vec_format(
        cls, path: str | os.PathLike[str], binary: bool = False, **kwargs: Any
    ) -> Vectors:
        """Read word2vec's text format (``binary=True``: its binary format), as gensim's
        classmethod of that name does (``limit`` and ``encoding_errors`` as in
        :func:`tokenvec.load_vectors`)."""
        fmt: Any = "word2vec" if binary else "word2vec-text"
        parts = formats.read(path, fmt, **kwargs)
        try:
            return cls(parts.keys, parts.matrix, key_blob=parts.key_blob,
                       allow_nan=parts.nan_row is not None and parts.nan_row < 0)  # fmt: skip
        except ValueError as exc:
            raise VectorFormatError(f"{parts.path}: {exc}") from None

    def to_gensim(self) -> Any:
        """These vectors as a gensim ``KeyedVectors`` (keys, rows as float32, and counts
        where known); needs gensim."""
        from tokenvec._optional import require

        models = require("gensim.models", None, package="gensim")
        kv = models.KeyedVectors(self.vector_size, count=0, dtype=np.float32)
        kv.add_vectors(self.index_to_key, np.asarray(self.vectors, dtype=np.float32))
        if self.counts is not None:
            for key, c in zip(self.index_to_key, self.counts.tolist(), strict=True):
                kv.set_vecattr(key, "count", int(c))
        return kv

    @classmethod
    def from_gensim(cls, kv: Any) -> Vectors:
        """Vectors from a gensim ``KeyedVectors`` (or a model's ``.wv``): its keys, rows
        and word counts where it keeps them."""
        counts = None
        if "count" in getattr(kv, "expandos", {}):
            counts = np.asarray(kv.expandos["count"], dtype=np.float64)
        return cls(list(kv.index_to_key), np.asarray(kv.vectors), counts=counts)

    def most_similar_batch(
        self,
        queries: Sequence[Query | Sequence[Query]],
        topn: int = 10,
        restrict_vocab: int | None = None,
        negatives: Sequence[Sequence[Query]] | None = None,
        *,
        approx: bool = False,
    ) -> list[Scored]:
        """Answer many queries with blocked matrix products: one (Q, C) @ (C, N) per block.

        ``queries[i]`` is a key, index, vector or a list of them (positives); ``negatives[i]``
        optional. Each result equals ``most_similar(queries[i], negatives[i], topn)``. With
        ``approx=True`` the approximate index answers all queries in one call.
        """
        if negatives is not None and len(negatives) != len(queries):
            raise ValueError(f"{len(negatives)} negatives for {len(queries)} queries")
        pool = self._pool(restrict_vocab)
        built = [
            self.mean_vector(self._listify(q), self._listify(negatives[i]) if negatives else [])
            for i, q in enumerate(queries)
        ]
        if not built:
            return []
        qmat = np.stack([b[0] for b in built])  # (Q, C)
        if approx:
            from tokenvec.vectors.ann import ann_search_batch

            return ann_search_batch(self, qmat, topn, [b[1] for b in built])
        block = max(1, SCORE_BLOCK_BYTES // (4 * max(1, len(pool))))
        out: list[Scored] = []
        for lo in range(0, len(qmat), block):
            scores = self.unit_dot(qmat[lo : lo + block], restrict_vocab)  # (q, N)
            for j in range(scores.shape[0]):
                i = lo + j
                exact = self._exact_query(
                    self._listify(queries[i]), self._listify(negatives[i]) if negatives else []
                )
                out.append(self._scored(scores[j], topn, built[i][1], exact))
        return out

    # --- conversions and files ---------------------------------------------------------------

    def save(self, path: str | os.PathLike[str], format: str = "native", **kwargs: Any) -> Path:
        """Write to ``path`` atomically; see :func:`save_vectors` for formats."""
        return save_vectors(self, path, format=format, **kwargs)  # type: ignore[arg-type]

    def native_extras(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        """Meta entries and files a native folder keeps beside the matrix: the storage's,
        and a vocabulary kind's own (plain keys keep none)."""
        meta, files = self.storage.native()
        return {**meta, "vocab": "keys"}, files

    def stored_matrix(self) -> np.ndarray:
        """The matrix as stored (a native folder's vectors.npy): the vectors themselves for a
        dense table, codes for compressed tables."""
        self.storage.check()
        return np.asarray(self.storage.stored)

    def with_storage(self, rows: Storage) -> Vectors:
        """The same vocabulary over other rows (what :meth:`quantize`, :meth:`reduce` and
        alignment return); ``rows`` must have one row a key."""
        out = Vectors(self.index_to_key, rows, on_duplicate="ignore", counts=self.counts)
        out._key_to_index, out._key_blob = self._key_to_index, self._key_blob
        return out

    def transformed(
        self,
        change: Callable[[Storage], Storage],
        change_ngrams: Callable[[Storage], Storage] | None = None,
    ) -> Vectors:
        """The same vocabulary over ``change(self.storage)``. A vocabulary with rows beyond
        its keys (a fastText model's n-grams) changes them alike, by ``change_ngrams`` where
        they need other settings."""
        return self.with_storage(change(self.storage))

    def _check_finite_table(self) -> None:
        bad = _nonfinite_rows(np.asarray(self.vectors))
        if bad.size:
            key = self.index_to_key[int(bad[0])]
            raise ValueError(
                f"cannot compress: the vector of {key!r} (row {int(bad[0])}) has NaN or inf"
            )

    def quantize(
        self, form: Literal["float16", "int8", "pq", "rq"] = "int8", **kwargs: Any
    ) -> Vectors:
        """These vectors in a smaller form whose queries work unchanged, the vocabulary kept:
        "float16" (half the size), "int8" (a quarter: codes of the unit rows and their
        lengths), "pq" (product quantization: a byte per two dimensions, about 8x smaller) or
        "rq" (residual quantization: a byte per five dimensions); see
        :func:`tokenvec.vectors.compress.quantize` for the options and what they cost.

        >>> v = Vectors(["a", "b"], np.array([[3, 4], [1, 0]], np.float32))
        >>> v.quantize("int8")
        Vectors(2 keys x 2, int8)
        """
        from tokenvec.vectors import compress

        self._check_finite_table()
        # Rows whose mean is a vector (a fastText model's n-grams) keep their lengths, and
        # have no counts to pick the rows a codebook learns from.
        ngram_kwargs = {**kwargs, "keep_norms": True, "train_on": "random"}
        return self.transformed(
            lambda rows: compress.quantize(rows, form, counts=self.counts, **kwargs),
            lambda rows: compress.quantize(rows, form, **ngram_kwargs),
        )

    def reduce(self, dims: int) -> Vectors:
        """These vectors projected on their first ``dims`` principal axes (PCA), as a dense
        table; the vocabulary is kept."""
        from tokenvec.vectors import compress

        self._check_finite_table()
        projection = compress.PCA.fit(self.vectors, dims)
        return self.transformed(lambda rows: storage.Dense(projection(rows)))

    def to_embedding(self, *, freeze: bool = True) -> Any:
        """A :class:`tokenvec.Embedding` over the same matrix (row i = key i)."""
        from tokenvec.layers.embedding import Embedding

        return Embedding.from_pretrained(self.vectors, freeze=freeze, allow_nan=True)

    def build_ann(self, **kwargs: Any) -> Any:
        """Build an approximate nearest-neighbour index (extra ``ann``)."""
        from tokenvec.vectors.ann import build_ann

        self.ann = build_ann(self, **kwargs)
        return self.ann


def save_vectors(
    vectors: Vectors,
    path: str | os.PathLike[str],
    format: formats.Format = "native",
    *,
    precision: int = 9,
    overwrite: bool = False,
) -> Path:
    """Write ``vectors`` to ``path`` atomically in ``format``; returns the path.

    Text formats write ``precision`` significant digits (9 round-trips float32 exactly). An
    existing target is replaced only with ``overwrite=True``, and a folder only when it holds
    native vectors written by tokenvec: a save never removes anything it did not write.
    Vectors that keep more than a matrix (static token vectors: their tokenizer) keep it in
    the native format only.
    """
    meta, files = vectors.native_extras() if format == "native" else ({}, {})
    if format == "native" and vectors.counts is not None:
        files = {**files, "counts.npy": storage.npy_bytes(vectors.counts)}
    return formats.write(
        vectors.index_to_key,
        vectors.stored_matrix() if format == "native" else np.asarray(vectors.vectors),
        path,
        format,
        precision=precision,
        overwrite=overwrite,
        ann=vectors.ann,
        meta=meta,
        files=files,
    )
