"""Approximate nearest-neighbour search (extra ``ann``: faiss-cpu).

Exact search reads the whole matrix per query; an HNSW graph visits a few thousand vectors
instead. The index works on unit vectors with inner product, so its scores are cosines, and it
is saved as a faiss index file (faiss's own binary format, not pickle) beside the vectors.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tokenvec._optional import require

if TYPE_CHECKING:
    from tokenvec.vectors.base import Vectors

ANN_FILE = "ann.faiss"


def _faiss() -> Any:
    return require("faiss", "ann", package="faiss-cpu")


@dataclass
class AnnIndex:
    """A faiss index over a ``Vectors``' unit rows, and how it was built."""

    index: Any
    kind: str
    count: int

    @property
    def ef_search(self) -> int:
        return int(self.index.hnsw.efSearch) if self.kind == "hnsw" else 0

    @ef_search.setter
    def ef_search(self, value: int) -> None:
        if self.kind == "hnsw":
            self.index.hnsw.efSearch = int(value)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the ``k`` nearest unit rows of each query: (q, C) -> (q, k) x 2."""
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        scores, ids = self.index.search(q, k)
        return scores, ids

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the index atomically (replacing a file: ``overwrite``)."""
        from tokenvec.io.files import atomic_path

        target = Path(path)
        with atomic_path(target, overwrite=overwrite) as tmp:
            _faiss().write_index(self.index, str(tmp))
        return target


def build_ann(
    vectors: Vectors,
    *,
    kind: str = "hnsw",
    m: int = 32,
    ef_construction: int = 80,
    ef_search: int = 16,
    nlist: int | None = None,
    nprobe: int = 16,
    progress: bool | None = None,
) -> AnnIndex:
    """Build an HNSW (default) or IVF-flat index over the unit vectors.

    Rows are added in blocks with a progress bar on standard error (``progress=None``: when
    standard error is a terminal); GloVe's 400k rows take minutes on two cores."""
    faiss = _faiss()
    data = np.ascontiguousarray(vectors.unit, dtype=np.float32)  # (N, C)
    dim = data.shape[1]
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        _add_in_blocks(index, data, "HNSW", progress)
        index.hnsw.efSearch = ef_search
    elif kind == "ivf":
        lists = nlist or max(1, int(4 * np.sqrt(len(data))))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
        index.train(data)
        _add_in_blocks(index, data, "IVF", progress)
        index.nprobe = nprobe
    else:
        raise ValueError(f"kind must be 'hnsw' or 'ivf', got {kind!r}")
    return AnnIndex(index, kind, len(data))


ADD_BLOCK = 1 << 14


def _add_in_blocks(index: Any, data: np.ndarray, what: str, progress: bool | None) -> None:
    from tokenvec._progress import counting

    show = False if progress is None and len(data) <= ADD_BLOCK else progress  # None: a terminal
    with counting(f"building the {what} index", len(data), show) as advance:
        for lo in range(0, len(data), ADD_BLOCK):
            index.add(data[lo : lo + ADD_BLOCK])
            advance(min(ADD_BLOCK, len(data) - lo))


def load_ann(path: str | os.PathLike[str], vectors: Vectors) -> AnnIndex:
    """Read an index saved by :meth:`AnnIndex.save` and attach it to ``vectors``."""
    faiss = _faiss()
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such index file: {p}")
    try:
        index = faiss.read_index(str(p))
    except RuntimeError as exc:  # faiss reports corrupt files as RuntimeError
        msg = str(exc).strip().splitlines()[-1][:200] if str(exc).strip() else "corrupt"
        raise ValueError(f"{p}: not a readable faiss index ({msg})") from None
    if index.ntotal != len(vectors) or index.d != vectors.vector_size:
        raise ValueError(
            f"{p}: the index holds {index.ntotal} x {index.d} vectors, "
            f"these vectors are {len(vectors)} x {vectors.vector_size}"
        )
    kind = "hnsw" if hasattr(index, "hnsw") else "ivf"
    ann = AnnIndex(index, kind, index.ntotal)
    vectors.ann = ann
    return ann


def ann_search(
    vectors: Vectors, query: np.ndarray, topn: int, exclude: Sequence[int]
) -> list[tuple[str, float]]:
    """``most_similar(..., approx=True)``: the approximate top ``topn`` without ``exclude``."""
    if vectors.ann is None:
        raise RuntimeError("no approximate index: call vectors.build_ann() (or load one) first")
    return ann_search_batch(vectors, query[None, :], topn, [exclude])[0]


def ann_search_batch(
    vectors: Vectors, queries: np.ndarray, topn: int, excludes: Sequence[Sequence[int]]
) -> list[list[tuple[str, float]]]:
    """Approximate top ``topn`` of each query row, each without its ``excludes[i]``."""
    if vectors.ann is None:
        raise RuntimeError("no approximate index: call vectors.build_ann() (or load one) first")
    extra = max((len(e) for e in excludes), default=0)
    scores, ids = vectors.ann.search(queries, topn + extra)  # (Q, k) x 2
    keys = vectors.index_to_key
    out = []
    for srow, irow, excl in zip(scores, ids, excludes, strict=True):
        skip = set(excl)
        hits = [
            (keys[i], float(s)) for s, i in zip(srow, irow, strict=True) if i >= 0 and i not in skip
        ]
        out.append(hits[:topn])
    return out


def recall_at_k(vectors: Vectors, queries: np.ndarray, k: int = 10) -> float:
    """Share of the exact top ``k`` (by cosine) that the approximate index also returns."""
    from tokenvec._native.topk import topk_rows

    if vectors.ann is None:
        raise RuntimeError("no approximate index: call vectors.build_ann() first")
    q = np.atleast_2d(queries).astype(np.float32)
    q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-30)
    exact = topk_rows(vectors.unit_dot(q), k)  # (q, k)
    _, approx = vectors.ann.search(q, k)
    hits = sum(len(set(e.tolist()) & set(a.tolist())) for e, a in zip(exact, approx, strict=True))
    return hits / exact.size
