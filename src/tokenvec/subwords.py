"""Subword vectors: fastText models, where every string has a vector built from its n-grams.

A word-level table has no row for a misspelling or a new compound; a fastText model answers it
with the mean of the rows of the word's character n-grams. :class:`SubwordVectors` is a
:class:`~tokenvec.vectors.Vectors` whose queries (``v["kingz"]``, ``most_similar``,
``similarity``, analogies) accept any string; ``in`` still means "in the vocabulary".
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tokenvec import _subword
from tokenvec import vectors as _vectors
from tokenvec._files import Errors, MappedFiles, VectorFormatError
from tokenvec.fasttext import FastTextModel, read_fasttext, subword_rows, write_fasttext
from tokenvec.vectors import Query, Vectors


class SubwordVectors(Vectors):
    """The words of a fastText model and, for any string, the mean of its n-gram rows.

    The word vectors (``.vectors``, needed by whole-vocabulary searches) are computed on first
    use; single lookups read only the rows they need from the memory-mapped model.
    """

    def __init__(self, model: FastTextModel) -> None:
        # Not Vectors.__init__: the word matrix is computed lazily from the model.
        self.model = model
        self.index_to_key = model.words
        self._key_to_index = None
        self._unit = None
        self._norms = None
        self._word_matrix: np.ndarray | None = None
        self.ann = None
        self.counts = _vectors.check_counts(model.counts, len(model.words))
        # The word -> row dict (and the duplicate check) waits for the first lookup: opening a
        # two-million-word model builds nothing it does not need.

    @property
    def key_to_index(self) -> Mapping[str, int]:
        """Word -> row. For a model read from a file, a :class:`~tokenvec._wordindex.WordIndex`
        over the stored bytes (0.1 s and 8 bytes a word for two million words, where a dict
        takes 0.8 s and ~100 bytes a word); a dict otherwise."""
        if self._key_to_index is None:
            m = self.model
            if m.utf8_words:
                from tokenvec._wordindex import WordIndex

                self._key_to_index = WordIndex(m.words, m.blob, m.starts, m.lens)
            else:
                self._key_to_index = Vectors.key_to_index.fget(self)  # type: ignore[attr-defined]
            if len(self._key_to_index) != len(self.index_to_key):
                self._key_to_index = _last_wins(self._key_to_index, self.index_to_key)
                self._warn_duplicates()
        return self._key_to_index

    def _warn_duplicates(self) -> None:
        import warnings

        n = len(self.index_to_key) - len(self._key_to_index or {})
        first = next(i for i, k in enumerate(self.index_to_key)
                     if self.key_to_index[k] != i)  # fmt: skip
        warnings.warn(
            f"{self.model.path}: {n} duplicate words (first: {self.index_to_key[first]!r} at "
            f"row {first}); lookups use the last occurrence, as fastText does",
            UserWarning,
            stacklevel=4,
        )

    # --- the word matrix, lazily ---------------------------------------------------------

    @property  # type: ignore[override]  # read-only here: computed from the model
    def vectors(self) -> np.ndarray:  # type: ignore[override]  # (nwords, dim) float32
        if self._word_matrix is None:
            self._check_source()
            m = word_matrix(self.model)
            bad = _vectors._nonfinite_rows(m)
            if bad.size:
                self._corrupt(self.index_to_key[int(bad[0])])
            self._word_matrix = m
        return self._word_matrix

    def _corrupt(self, word: str) -> None:
        raise VectorFormatError(
            f"{self.model.path}: the vector of {word!r} has NaN or inf values: the model's "
            f"rows are corrupt"
        )

    @property
    def vector_size(self) -> int:
        return self.model.args.dim

    def __len__(self) -> int:
        return len(self.model.words)

    def __repr__(self) -> str:
        a = self.model.args
        return (
            f"SubwordVectors({len(self):,} words + {a.bucket:,} n-gram buckets x {a.dim}, "
            f"n-grams {a.minn}-{a.maxn})"
        )

    # --- any string has a vector ---------------------------------------------------------

    def _encode(self, word: str) -> bytes:
        """The bytes fastText would hash for ``word``: its encoding, where a character from
        U+DC80 to U+DCFF stands for a byte that was not valid text (Python's
        ``surrogateescape``). A string with any other lone surrogate has no bytes at all."""
        try:
            return word.encode(self.model.encoding, "surrogateescape")
        except UnicodeEncodeError as exc:
            raise KeyError(
                f"{word[:40]!r} holds {word[exc.start]!r}, which has no {self.model.encoding} "
                f"bytes (a lone surrogate), so it has no character n-grams"
            ) from None

    def _has_bytes(self, word: str) -> bool:
        try:
            self._encode(word)
        except KeyError:
            return False
        return True

    def rows_of(self, word: str) -> list[int]:
        """Input-matrix rows whose mean is the vector of ``word`` (its own row first)."""
        return subword_rows(self.model, self._encode(word), self.key_to_index.get(word))

    def word_vector(self, word: str) -> np.ndarray:
        """The vector of any string: its row and n-grams in the vocabulary, n-grams outside.

        A string with no n-gram (shorter than ``minn`` with its ``<`` ``>``) outside the
        vocabulary has the zero vector, as in fastText.
        """
        i = self.key_to_index.get(word)
        if i is not None and self._word_matrix is not None:
            return self._word_matrix[i]
        v, _ = self._mean_of(word, i)
        if not np.isfinite(v).all():
            self._corrupt(word)
        return v

    def _mean_of(self, word: str, i: int | None) -> tuple[np.ndarray, int]:
        """The mean of the rows of ``word`` (row ``i`` if known) and how many there are: in
        compiled code for long words (hashing every n-gram of a long word in Python takes
        seconds), by the plain reference for short ones."""
        raw = self._encode(word)
        self._check_source()  # a mapped model's rows are read next
        if not _subword.compiled_pays(len(raw)) or self.model.prune is not None:
            rows = subword_rows(self.model, raw, i)
            return _mean_rows(self.model.input, rows), len(rows)
        return _subword.word_vector(self.model, raw, i)

    def oov_vector(self, word: str) -> np.ndarray | None:
        """The vector of a word outside the vocabulary, or None if it has no n-gram (or no
        bytes): :meth:`has_vector` and :meth:`word_vector` in one pass over its n-grams."""
        if not self._has_bytes(word):
            return None
        v, count = self._mean_of(word, None)
        if count == 0:
            return None
        if not np.isfinite(v).all():
            self._corrupt(word)
        return v

    def has_vector(self, word: str) -> bool:
        """Whether ``word`` is in the vocabulary or has at least one n-gram."""
        if word in self.key_to_index:
            return True
        return self._has_bytes(word) and self._mean_of(word, None)[1] > 0

    def __getitem__(self, key: Query | Sequence[str]) -> np.ndarray:
        if isinstance(key, list | tuple):
            return np.stack([self[k] for k in key])
        if isinstance(key, str):
            return self.word_vector(key)
        return self.vectors[self.index(key)]  # type: ignore[arg-type]  # not a sequence here

    def get(self, key: str, default: Any = None) -> Any:
        return self.word_vector(key) if self.has_vector(key) else default

    def get_vector(self, key: Query, norm: bool = False) -> np.ndarray:
        if isinstance(key, str) and key not in self.key_to_index:
            v = self.word_vector(key)
            n = np.linalg.norm(v)
            return v / n if norm and n else v
        return super().get_vector(key, norm)

    def _as_vector(
        self, item: Query, *, unit: bool, dtype: Any = np.float32
    ) -> tuple[np.ndarray, int | None]:
        if isinstance(item, str) and item not in self.key_to_index:
            v = self.word_vector(item).astype(dtype)
            if not v.any():
                raise KeyError(
                    f"{item!r} is not in the vocabulary and has no character n-gram of "
                    f"{self.model.args.minn}-{self.model.args.maxn} characters"
                )
            return (v / np.linalg.norm(v) if unit else v), None
        return super()._as_vector(item, unit=unit, dtype=dtype)

    # --- files ---------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str], format: str = "native", **kwargs: Any) -> Path:
        """Write the model (``format="fasttext-bin"``) or its word vectors in any format."""
        if format == "fasttext-bin":
            self._check_source()
            return write_fasttext(self.model, path, **kwargs)
        plain = Vectors(self.index_to_key, self.vectors, on_duplicate="ignore")
        return plain.save(path, format=format, **kwargs)


class _LastWins(Mapping[str, int]):
    """A word -> row mapping where a repeated word maps to its last row (fastText's rule:
    each entry read overwrites the slot of an equal word)."""

    def __init__(self, base: Mapping[str, int], later: dict[str, int]) -> None:
        self._base, self._later = base, later

    def __getitem__(self, key: str) -> int:
        got = self._later.get(key)
        return self._base[key] if got is None else got

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._base)

    def __len__(self) -> int:
        return len(self._base)

    def __contains__(self, key: object) -> bool:
        return key in self._base


def _last_wins(base: Mapping[str, int], words: list[str]) -> Mapping[str, int]:
    """``base`` (first occurrence wins) with every repeated word moved to its last row."""
    last: dict[str, int] = {}
    for i, w in enumerate(words):
        last[w] = i
    return _LastWins(base, {w: i for w, i in last.items() if base[w] != i})


def _mean_rows(matrix: np.ndarray, rows: list[int]) -> np.ndarray:
    """Mean of ``matrix[rows]`` summed in order in float32, as fastText does; zeros if none."""
    out = np.zeros(matrix.shape[1], dtype=np.float32)
    for r in rows:
        out += matrix[r]
    if rows:
        out *= np.float32(1.0 / len(rows))
    return out


def word_matrix_reference(model: FastTextModel) -> np.ndarray:
    """The vector of every vocabulary word, one at a time: (nwords, dim) float32."""
    out = np.empty((len(model.words), model.args.dim), dtype=np.float32)
    for i, w in enumerate(model.word_bytes):
        out[i] = _mean_rows(model.input, subword_rows(model, w, i))
    return out


def word_matrix(model: FastTextModel) -> np.ndarray:
    """The vector of every vocabulary word (compiled: n-grams hashed and rows averaged)."""
    return _subword.word_matrix(model)


def load_fasttext(
    path: str | os.PathLike[str],
    *,
    encoding: str = "utf-8",
    encoding_errors: Errors = "strict",
    model: FastTextModel | None = None,
    mmap: bool = False,
) -> SubwordVectors:
    """Open a fastText ``.bin`` model as :class:`SubwordVectors`, read into memory as fastText
    and gensim read it (a 6.7 GiB model: about 6 s from the page cache).

    ``mmap=True`` maps the file instead: it opens in well under a second and memory grows
    only with what queries touch; every lookup first checks that the file has not shrunk
    (rewritten in place, say by a retraining to the same path) and raises a clear error if it
    has. ``encoding`` is that of the model's words (fastText stores bytes; n-grams are hashed
    over the bytes as stored, so a query is encoded the same way). ``model``: one already read
    from ``path`` (a pipe, which cannot be read twice).
    """
    if model is None:
        model = read_fasttext(path, encoding=encoding, encoding_errors=encoding_errors, mmap=mmap)
    vectors = SubwordVectors(model)
    mapped = MappedFiles([model.input], str(path))
    if mapped:
        vectors._mapped = mapped
    return vectors


_vectors.MODEL_LOADERS["fasttext-bin"] = load_fasttext
