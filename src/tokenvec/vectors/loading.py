"""Opening vectors: the one table of what tokenvec reads, and :func:`load_vectors`.

- Vector files (word2vec binary and text, GloVe, fastText ``.vec``): keys over a dense table,
  read by :mod:`tokenvec.io.formats`.
- fastText ``.bin`` models: a subword vocabulary, read by :mod:`tokenvec.io.fasttext_bin`
  (``MODELS``).
- Native folders: a vocabulary kind (``VOCABS``: plain keys, fastText subwords, a tokenizer's
  tokens) over a storage kind (:data:`tokenvec.vectors.storage.STORAGES`: dense, int8, PQ, RQ), both
  named in the folder's ``meta.json``.
- A local Hugging Face model folder: its token-embedding matrix, row i the token of id i
  (:mod:`tokenvec.io.hub`).

Nothing registers itself on import: a kind is known here or not at all.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from tokenvec.io import formats, hub
from tokenvec.io.files import Errors, VectorFormatError
from tokenvec.vectors import static, subwords
from tokenvec.vectors.base import Vectors, nan_message
from tokenvec.vectors.storage import STORAGES, Storage


def _keys_from_native(folder: Path, keys: list[str], rows: Storage, meta: dict[str, Any],
                      **kwargs: Any) -> Vectors:  # fmt: skip
    return Vectors(keys, rows, **kwargs)


# Vocabulary kinds a native folder may name: (folder, keys, storage, meta, **options) -> Vectors.
VOCABS: dict[str, Callable[..., Vectors]] = {
    "keys": _keys_from_native,
    "static": static.from_native,
    "subwords": subwords.from_native,
}
# Formats whose files are models rather than tables.
MODELS: dict[str, Callable[..., Vectors]] = {"fasttext-bin": subwords.load_fasttext}


def from_transformer(model_dir: str | os.PathLike[str], *, tensor: str | None = None) -> Vectors:
    """The token-embedding matrix and vocabulary of a local Hugging Face model folder: row i
    is the vector of token id i, its key the text the token stands for (GPT-2's ``' world'``,
    not ``'Ġworld'``; see :func:`tokenvec.io.hub.read_transformer`)."""
    keys, matrix = hub.read_transformer(model_dir, tensor=tensor)
    try:
        return Vectors(keys, matrix, on_duplicate="warn")
    except ValueError as exc:
        raise VectorFormatError(f"{model_dir}: {exc}") from None


def load_vectors(
    path: str | os.PathLike[str],
    format: formats.Format | None = None,
    *,
    limit: int | None = None,
    encoding_errors: Errors = "strict",
    on_duplicate: Literal["warn", "error", "ignore"] = "warn",
    allow_nan: bool = False,
    mmap: bool = True,
) -> Vectors:
    """Read vectors from a file or folder ``path``; the format is detected from content when
    not given (a folder: tokenvec's native folder, or a Hugging Face model folder).

    ``limit`` reads only the first rows (files are usually sorted by frequency).
    ``encoding_errors`` says what to do with words that are not UTF-8. Duplicate keys keep the
    first occurrence and warn. Rows with NaN or inf are an error unless ``allow_nan``. Native
    folders record whether every value was finite when they were written, and open
    memory-mapped without reading the matrix again (``allow_nan`` skips the scan for folders
    written before they kept that record).
    Every malformed input raises :class:`VectorFormatError` naming the file.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "v.txt"
    >>> _ = p.write_text("king 1 0\\nqueen 0.9 0.1\\n")
    >>> load_vectors(p).most_similar("king", topn=1)
    [('queen', 0.99388...)]
    """
    p = Path(path)
    if format is None and hub.is_model_folder(p):
        if limit is not None:
            raise ValueError("limit is not supported for a model folder")
        return from_transformer(p)
    # A pipe or FIFO is read once: formats.read detects its format from the bytes it reads.
    stream = formats.is_stream(p)
    fmt = format or (None if stream else formats.detect_format(path))
    if fmt in MODELS and limit is not None:
        raise ValueError(f"limit is not supported for {fmt} models")
    if fmt in MODELS and not stream:
        return MODELS[fmt](path, encoding_errors=encoding_errors)
    parts = formats.read(path, fmt, limit=limit, encoding_errors=encoding_errors, mmap=mmap)  # type: ignore[arg-type]
    if parts.model is not None and limit is None:
        return MODELS[parts.format](path, model=parts.model)
    dup = "ignore" if parts.unique_keys else on_duplicate
    extra: dict[str, Any] = {} if parts.counts is None else {"counts": parts.counts}
    if parts.format == "native":
        vectors = _from_native(parts, allow_nan=allow_nan, on_duplicate=dup, **extra)
    else:
        if parts.nan_row is not None:  # the reader checked every value: no second pass
            if parts.nan_row >= 0 and not allow_nan:
                raise VectorFormatError(
                    f"{parts.path}: {nan_message(parts.keys[parts.nan_row], parts.nan_row)}"
                )
            allow_nan = True
        try:  # a duplicate-key warning follows the caller's warning filters
            vectors = Vectors(parts.keys, parts.matrix, allow_nan=allow_nan, on_duplicate=dup,
                              key_blob=parts.key_blob, **extra)  # fmt: skip
        except ValueError as exc:
            raise VectorFormatError(f"{parts.path}: {exc}") from None
        _guard_mapping(vectors.storage, parts.matrix, parts.path)
    if parts.ann is not None:
        _attach_ann(vectors, parts.ann)
    return vectors


def _from_native(parts: formats.Parts, *, allow_nan: bool,
                 **kwargs: Any) -> Vectors:  # fmt: skip
    """Vectors from a native folder's parts: its storage, then its vocabulary over it."""
    folder, meta = parts.path, parts.meta
    vocab, kind = meta["vocab"], meta["storage"]
    if vocab not in VOCABS:
        known = ", ".join(sorted(VOCABS))
        raise VectorFormatError(
            f"{folder / 'meta.json'}: unknown kind of vectors vocabulary {vocab!r} (known: {known})"
        )
    # A static model pools rows into text vectors, where one NaN row would spread: its rows
    # are checked whatever meta.json says (it is small); other tables trust a writer's record.
    unchecked = parts.nan_row is None or vocab == "static"
    if kind == "dense" and unchecked and not allow_nan:
        bad = _nonfinite(parts.matrix)
        if bad is not None:
            raise VectorFormatError(f"{folder}: {nan_message(parts.keys[bad], bad)}")
    rows: Storage = STORAGES[kind](folder, parts.matrix, meta, total=int(meta["count"]))
    _guard_mapping(rows, parts.matrix, folder / "vectors.npy")
    try:
        vectors = VOCABS[vocab](folder, parts.keys, rows, meta, **kwargs)
    except ValueError as exc:
        raise VectorFormatError(f"{folder}: {exc}") from None
    if vectors._key_to_index is None and len(vectors) == len(parts.keys):
        vectors._key_blob = parts.key_blob  # the same keys: lookups may use the stored form
    return vectors


def _nonfinite(matrix: Any) -> int | None:
    from tokenvec.vectors import base as vectors

    bad = vectors._nonfinite_rows(matrix)
    return int(bad[0]) if bad.size else None


def _guard_mapping(rows: Storage, matrix: Any, where: Path) -> None:
    """Have queries check that the memory-mapped file they read was not rewritten in place."""
    from tokenvec.io.files import MappedFiles

    mapped = MappedFiles([matrix], str(where))
    if mapped:
        rows.mapped = mapped


def _attach_ann(vectors: Vectors, path: Path) -> None:
    """Load a saved approximate index; a corrupt one is dropped with a warning."""
    import importlib.util

    if importlib.util.find_spec("faiss") is None:
        return  # the ``ann`` extra is not installed: exact search only
    from tokenvec.vectors.ann import load_ann

    try:
        load_ann(path, vectors)
    except Exception as exc:  # faiss raises RuntimeError on corrupt files
        vectors.ann = None
        warnings.warn(
            f"{path}: the approximate index cannot be read ({str(exc)[:200]}); it was "
            f"dropped (exact search still works; rebuild it with build_ann)",
            UserWarning,
            stacklevel=3,
        )
