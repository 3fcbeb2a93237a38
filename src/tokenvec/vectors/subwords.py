"""Subword vectors: fastText models, where every string has a vector built from its n-grams.

A word-level table has no row for a misspelling or a new compound; a fastText model answers it
with the mean of the rows of the word's character n-grams. :class:`SubwordVectors` is a
:class:`~tokenvec.vectors.base.Vectors` whose vocabulary reaches past its words: queries
(``v["kingz"]``, ``most_similar``, ``similarity``, analogies) accept any string; ``in`` still
means "in the vocabulary". Its word rows and n-gram rows are two storages of one kind, so a
model quantized to int8 or PQ still answers unknown words from its decoded n-gram rows.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np

from tokenvec.io import fasttext_rows as _subword
from tokenvec.io.fasttext_bin import (
    BOW,
    EOS_BYTES,
    EOW,
    FastTextModel,
    ngram_buckets,
    read_fasttext,
    subword_rows,
    write_fasttext,
)
from tokenvec.io.files import Errors, MappedFiles, VectorFormatError
from tokenvec.vectors import storage
from tokenvec.vectors.base import Query, Vectors
from tokenvec.vectors.storage import Dense, Storage


@dataclass(frozen=True)
class SubwordRules:
    """How a word outside the vocabulary finds its n-gram rows, as fastText does: the
    character n-grams of ``<word>`` (``minn`` to ``maxn`` characters of its bytes in
    ``encoding``) hashed into ``bucket`` buckets (FNV-1a), each bucket a row of the n-gram
    table (or, for a pruned model, the row ``prune`` maps it to; a bucket it does not name
    has no row)."""

    minn: int
    maxn: int
    bucket: int
    encoding: str = "utf-8"
    prune: dict[int, int] | None = None

    def ngram_rows(self, word: bytes) -> list[int]:
        """Rows of the n-gram table whose mean is the vector of ``word`` (its bytes), in
        fastText's order; none for ``</s>``, which fastText never splits.

        >>> SubwordRules(minn=3, maxn=3, bucket=10).ngram_rows(b"ab")
        [8, 6]
        """
        if word == EOS_BYTES or (self.prune is not None and not self.prune):
            return []
        rows = []
        for h in ngram_buckets(BOW.encode() + word + EOW.encode(), self.minn, self.maxn,
                               self.bucket):  # fmt: skip
            if self.prune is not None:
                if h not in self.prune:
                    continue
                h = self.prune[h]
            rows.append(h)
        return rows

    def ngram_rows_compiled(self, word: bytes) -> np.ndarray:
        """:meth:`ngram_rows` in compiled code (a million-character word in well under a
        second), as an int64 array."""
        one = SimpleNamespace(
            args=SimpleNamespace(minn=self.minn, maxn=self.maxn, bucket=self.bucket),
            words=[""], blob=np.frombuffer(word + b"\0", np.uint8),
            starts=np.zeros(1, np.int64), lens=np.array([len(word)], np.int64),
            prune=self.prune,
        )  # fmt: skip
        _, rows = _subword.subword_table(one)  # word 0's own row first, then 1 + n-gram row
        return rows[1:].astype(np.int64) - 1

    def meta(self) -> dict[str, Any]:
        return {"minn": self.minn, "maxn": self.maxn, "bucket": self.bucket,
                "encoding": self.encoding}  # fmt: skip


class SubwordVectors(Vectors):
    """Words over any storage, and for any other string the mean of its n-gram rows (a
    second storage of the same kind: a quantized fastText model still answers unknown words).

    Read from a fastText ``.bin`` (:func:`load_fasttext`), the word vectors are computed on
    first use from the model's rows (single lookups read only the rows they need), and the
    model can be written back as a ``.bin``; quantized or read from a native folder, the
    word rows are stored as they are.
    """

    def __init__(
        self,
        words: Sequence[str],
        rows: Storage,
        ngrams: Storage,
        rules: SubwordRules,
        *,
        counts: Any = None,
        model: FastTextModel | None = None,
        on_duplicate: Literal["warn", "error", "ignore"] = "warn",
    ) -> None:
        """``rows``: one row a word (its vector); ``ngrams``: the n-gram table's rows;
        ``model``: the fastText model both come from, when they do (what a ``.bin`` save
        writes, and where lookups read the rows of words not yet averaged)."""
        if ngrams.dim != rows.dim:
            raise ValueError(f"n-gram rows have {ngrams.dim} values, word rows {rows.dim}")
        expected = rules.bucket if rules.prune is None else len(rules.prune)
        if len(ngrams) != expected and not (rules.prune is not None and len(ngrams) >= expected):
            raise ValueError(f"{len(ngrams)} n-gram rows for {expected} buckets")
        # Duplicates are found on the first lookup (fastText's rule: the last one wins).
        super().__init__(words, rows, on_duplicate="ignore", counts=counts)
        self.ngrams = ngrams
        self.rules = rules
        self.model = model
        self._warn_on_duplicate = on_duplicate != "ignore"

    @classmethod
    def from_model(cls, model: FastTextModel) -> SubwordVectors:
        """The vectors of a fastText model: its words' vectors computed on first use."""
        a = model.args
        nwords = len(model.words)
        rows = Dense(source=lambda: _checked_word_matrix(model), shape=(nwords, a.dim))
        ngrams = Dense(model.input[nwords:])
        rules = SubwordRules(a.minn, a.maxn, a.bucket, model.encoding, model.prune)
        return cls(model.words, rows, ngrams, rules, counts=model.counts, model=model)

    @property
    def where(self) -> str:
        return str(self.model.path) if self.model is not None else "subword vectors"

    @property
    def key_to_index(self) -> Mapping[str, int]:
        """Word -> row; a repeated word is its last row, as in fastText. For a model read
        from a file, a :class:`~tokenvec.vectors.wordindex.WordIndex` over the stored bytes (0.1 s
        and 8 bytes a word for two million words, where a dict takes 0.8 s and ~100 bytes a
        word); a dict otherwise."""
        if self._key_to_index is None:
            m = self.model
            if m is not None and m.utf8_words:
                from tokenvec.vectors.wordindex import WordIndex

                index: Mapping[str, int] = WordIndex(m.words, m.blob, m.starts, m.lens)
            else:
                index = Vectors.key_to_index.fget(self)  # type: ignore[attr-defined]
            if len(index) != len(self.index_to_key):
                index = _last_wins(index, self.index_to_key)
                self._key_to_index = index
                if self._warn_on_duplicate:
                    self._warn_duplicates()
            self._key_to_index = index
        return self._key_to_index

    def _warn_duplicates(self) -> None:
        import warnings

        n = len(self.index_to_key) - len(self._key_to_index or {})
        first = next(i for i, k in enumerate(self.index_to_key)
                     if self.key_to_index[k] != i)  # fmt: skip
        warnings.warn(
            f"{self.where}: {n} duplicate words (first: {self.index_to_key[first]!r} at "
            f"row {first}); lookups use the last occurrence, as fastText does",
            UserWarning,
            stacklevel=4,
        )

    def _check_source(self) -> None:
        self.storage.check()
        self.ngrams.check()

    def _corrupt(self, word: str) -> None:
        raise VectorFormatError(
            f"{self.where}: the vector of {word!r} has NaN or inf values: the model's rows "
            f"are corrupt"
        )

    def __repr__(self) -> str:
        r = self.rules
        form = self.storage.describe()
        return (
            f"SubwordVectors({len(self):,} words + {len(self.ngrams):,} n-gram buckets x "
            f"{self.vector_size}, n-grams {r.minn}-{r.maxn}"
            f"{'' if form == 'float32' else ', ' + form})"
        )

    # --- other storages ----------------------------------------------------------------

    def transformed(
        self,
        change: Callable[[Storage], Storage],
        change_ngrams: Callable[[Storage], Storage] | None = None,
    ) -> SubwordVectors:
        """The same words and rules over ``change(rows)``, the n-gram rows changed alike
        (by ``change_ngrams`` where they need other settings)."""
        self._check_source()
        out = SubwordVectors(self.index_to_key, change(self.storage),
                             (change_ngrams or change)(self.ngrams), self.rules,
                             counts=self.counts, on_duplicate="ignore")  # fmt: skip
        out._key_to_index = self.key_to_index
        return out

    def native_extras(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Beside the word rows: the n-gram rows (``ngrams.npy`` and their storage's files,
        named ``ngrams.*``), the hashing rules, and a pruned model's bucket -> row map."""
        meta, word_files = super().native_extras()
        self.ngrams.check()
        ngram_meta, ngram_files = self.ngrams.native("ngrams.")
        sub = {**self.rules.meta(), "rows": len(self.ngrams), "ngrams": ngram_meta}
        files: dict[str, Any] = {**word_files, **ngram_files}
        files["ngrams.npy"] = np.asarray(self.ngrams.stored)
        if self.rules.prune is not None:
            pairs = np.array(sorted(self.rules.prune.items()), dtype=np.int64).reshape(-1, 2)
            files["ngram_prune.npy"] = storage.npy_bytes(pairs)
        return {**meta, "vocab": "subwords", "subwords": sub}, files

    # --- any string has a vector ---------------------------------------------------------

    def _encode(self, word: str) -> bytes:
        """The bytes fastText would hash for ``word``: its encoding, where a character from
        U+DC80 to U+DCFF stands for a byte that was not valid text (Python's
        ``surrogateescape``). A string with any other lone surrogate has no bytes at all."""
        try:
            return word.encode(self.rules.encoding, "surrogateescape")
        except UnicodeEncodeError as exc:
            raise KeyError(
                f"{word[:40]!r} holds {word[exc.start]!r}, which has no {self.rules.encoding} "
                f"bytes (a lone surrogate), so it has no character n-grams"
            ) from None

    def _has_bytes(self, word: str) -> bool:
        try:
            self._encode(word)
        except KeyError:
            return False
        return True

    def rows_of(self, word: str) -> list[int]:
        """Input-matrix rows whose mean is the vector of ``word`` (its own row first, then
        ``len(self) + `` each n-gram row), as fastText numbers them."""
        i = self.key_to_index.get(word)
        return ([] if i is None else [i]) + [
            len(self) + r for r in self.rules.ngram_rows(self._encode(word))
        ]

    def word_vector(self, word: str) -> np.ndarray:
        """The vector of any string: its row and n-grams in the vocabulary, n-grams outside.

        A string with no n-gram (shorter than ``minn`` with its ``<`` ``>``) outside the
        vocabulary has the zero vector, as in fastText.
        """
        i = self.key_to_index.get(word)
        if i is not None and (self.model is None or self._word_rows_known()):
            return self._row(i)
        v, _ = self._mean_of(word, i)
        if not np.isfinite(v).all():
            self._corrupt(word)
        return v

    def _word_rows_known(self) -> bool:
        return not isinstance(self.storage, Dense) or self.storage.computed

    def _row(self, i: int) -> np.ndarray:
        if self.model is not None and not self._word_rows_known():
            return self._mean_of(self.index_to_key[i], i)[0]  # the table is not made for one
        return super()._row(i)

    def _mean_of(self, word: str, i: int | None) -> tuple[np.ndarray, int]:
        """The mean of the rows of ``word`` (row ``i`` if known, from the model) and how many
        there are: in compiled code for long words (hashing every n-gram of a long word in
        Python takes seconds), by the plain reference for short ones."""
        raw = self._encode(word)
        self._check_source()  # a mapped model's rows are read next
        if self.model is None:
            return self._ngram_mean(raw)
        if not _subword.compiled_pays(len(raw)) or self.model.prune is not None:
            rows = subword_rows(self.model, raw, i)
            return _mean_rows(self.model.input, rows), len(rows)
        return _subword.word_vector(self.model, raw, i)

    def _ngram_mean(self, raw: bytes) -> tuple[np.ndarray, int]:
        """The mean of the decoded n-gram rows of a word outside the vocabulary, and their
        number. float32 rows are summed in order in float32, as fastText sums them; codes
        are decoded once for each distinct row, a block of rows at a time."""
        table = self.ngrams.stored if isinstance(self.ngrams, Dense) else None
        if table is not None:  # float16 rows are widened to float32 as they are summed
            r = self.rules
            if table.dtype == np.float32 and r.prune is None and _subword.compiled_pays(len(raw)):
                one = SimpleNamespace(args=SimpleNamespace(minn=r.minn, maxn=r.maxn,
                                      bucket=r.bucket, dim=self.vector_size), words=(),
                                      input=table)  # fmt: skip
                return _subword.word_vector(one, raw, None)
            listed = self.rules.ngram_rows(raw)
            return _mean_rows(table, listed), len(listed)
        if _subword.compiled_pays(len(raw)):
            ids = self.rules.ngram_rows_compiled(raw)
        else:
            ids = np.asarray(self.rules.ngram_rows(raw), dtype=np.int64)
        if not ids.size:
            return np.zeros(self.vector_size, dtype=np.float32), 0
        if ids.size <= 64:
            return self.ngrams.take(ids).mean(axis=0, dtype=np.float32), int(ids.size)
        rows, times = np.unique(ids, return_counts=True)
        total = np.zeros(self.vector_size, dtype=np.float64)
        for lo in range(0, rows.size, storage.BLOCK_ROWS):
            block = slice(lo, lo + storage.BLOCK_ROWS)
            total += times[block].astype(np.float64) @ self.ngrams.take(rows[block])
        return (total / ids.size).astype(np.float32), int(ids.size)

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
        return self._row(self.index(key))  # type: ignore[arg-type]  # not a sequence here

    def get(self, key: str, default: Any = None) -> Any:
        return self.word_vector(key) if self.has_vector(key) else default

    def get_vector(self, key: Query, norm: bool = False) -> np.ndarray:
        if isinstance(key, str) and key not in self.key_to_index:
            v = self.word_vector(key)
            n = np.linalg.norm(v)
            return v / n if norm and n else v
        return super().get_vector(key, norm)

    def _unit_row(self, i: int, dtype: Any = np.float32) -> np.ndarray:
        if self.model is not None and not self._word_rows_known():
            v = np.asarray(self._row(i), dtype=np.float64)
            n = np.linalg.norm(v)
            return (v / n if n else v).astype(dtype)
        return super()._unit_row(i, dtype)

    def _as_vector(
        self, item: Query, *, unit: bool, dtype: Any = np.float32
    ) -> tuple[np.ndarray, int | None]:
        if isinstance(item, str) and item not in self.key_to_index:
            v = self.word_vector(item).astype(dtype)
            if not v.any():
                raise KeyError(
                    f"{item!r} is not in the vocabulary and has no character n-gram of "
                    f"{self.rules.minn}-{self.rules.maxn} characters"
                )
            return (v / np.linalg.norm(v) if unit else v), None
        return super()._as_vector(item, unit=unit, dtype=dtype)

    # --- files ---------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str], format: str = "native", **kwargs: Any) -> Path:
        """Write the model (``format="fasttext-bin"``, for vectors read from or trained as a
        fastText model), the words, n-grams and their storage (``"native"``), or the word
        vectors alone in any other format."""
        if format == "fasttext-bin":
            if self.model is None:
                raise ValueError(
                    "only vectors read from or trained as a fastText model can be written as "
                    "a .bin (these are stored as "
                    f"{self.storage.describe()}); save them in the native format"
                )
            self._check_source()
            return write_fasttext(self.model, path, **kwargs)
        if format == "native":
            return super().save(path, format=format, **kwargs)
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
    vectors = SubwordVectors.from_model(model)
    mapped = MappedFiles([model.input], str(path))
    if mapped:
        vectors.storage.mapped = vectors.ngrams.mapped = mapped
    return vectors


def _checked_word_matrix(model: FastTextModel) -> np.ndarray:
    """The model's word vectors, each checked finite (a NaN row is a corrupt model)."""
    m = word_matrix(model)
    bad = storage.nonfinite_rows(m)
    if bad.size:
        raise VectorFormatError(
            f"{model.path}: the vector of {model.words[int(bad[0])]!r} has NaN or inf values: "
            f"the model's rows are corrupt"
        )
    return m


def from_native(folder: Path, keys: list[str], rows: Storage, meta: dict[str, Any],
                **kwargs: Any) -> SubwordVectors:  # fmt: skip
    """Subword vectors from a native folder: the word rows ``rows``, the n-gram rows in
    ``ngrams.npy`` (the same storage kind), the rules in meta.json's ``"subwords"``."""
    from tokenvec.io.formats import STORED_DTYPES, load_npy, native_array

    sub = meta.get("subwords")
    ints = ("minn", "maxn", "bucket", "rows")
    if not isinstance(sub, dict) or not all(
        type(sub.get(k)) is int and 0 <= sub[k] < 2**31 for k in ints
    ):
        raise VectorFormatError(
            f'{folder / "meta.json"}: "subwords" must give minn, maxn, bucket and rows as integers'
        )
    encoding = sub.get("encoding", "utf-8")
    ngram_meta = sub.get("ngrams")
    if not isinstance(encoding, str) or not isinstance(ngram_meta, dict):
        raise VectorFormatError(f'{folder / "meta.json"}: malformed "subwords" entry')
    try:
        "".encode(encoding)
    except LookupError:
        raise VectorFormatError(f"{folder / 'meta.json'}: unknown encoding {encoding!r}") from None
    kind = meta["storage"]
    stored = load_npy(folder / "ngrams.npy")
    if (
        stored.ndim != 2
        or stored.shape[0] != sub["rows"]
        or stored.dtype not in STORED_DTYPES[kind]
    ):
        raise VectorFormatError(
            f"{folder / 'ngrams.npy'}: {stored.dtype} {stored.shape}; expected {sub['rows']} "
            f"rows of {kind} codes or values"
        )
    prune = None
    if (folder / "ngram_prune.npy").is_file():
        pairs = native_array(folder, "ngram_prune.npy", "iu", (None, 2), itemsize=(8,))
        prune = {int(h): int(r) for h, r in pairs.tolist()}
    from tokenvec.vectors.storage import STORAGES

    ngrams = STORAGES[kind](folder, stored, ngram_meta, prefix="ngrams.")
    mapped = MappedFiles([stored], str(folder / "ngrams.npy"))
    if mapped:  # queries check that the mapped file was not rewritten in place
        ngrams.mapped = mapped
    rules = SubwordRules(sub["minn"], sub["maxn"], sub["bucket"], encoding, prune)
    kwargs.pop("allow_nan", None)
    return SubwordVectors(keys, rows, ngrams, rules, **kwargs)
