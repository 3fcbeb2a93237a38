"""Smaller vector tables whose queries work unchanged: float16, int8 codes, PCA.

- ``float16``: half the size; queries widen rows in compiled loops (see :mod:`tokenvec._half`).
- ``int8``: a quarter of float32's size. Each row is stored as its unit vector's int8 codes,
  ``round(127 * u / max|u|)``, and (unless ``keep_norms=False``) its length as float32; the
  decoded unit row is ``codes / ||codes||`` (so the scale need not be stored). A score is
  ``(codes . query) / ||codes||``, computed in a compiled loop that widens the codes in
  registers, so a query reads a quarter of the bytes.
- ``reduce(dims)``: the rows projected on their first ``dims`` principal axes (PCA).

Each returns a :class:`tokenvec.Vectors` (an :class:`Int8Vectors` for int8): every query
(``most_similar``, analogies, evaluation, ``encode``) runs on it as it is. Saved in the native
format they open memory-mapped.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tokenvec._files import VectorFormatError
from tokenvec.vectors import COMPRESSORS, NATIVE_KINDS, Vectors

Form = Literal["float16", "int8", "pq", "rq"]
TrainOn = Literal["frequent", "random"]
INT8_KIND = "int8"
PQ_KIND = "pq"
RQ_KIND = "rq"
PQ_MAX = 1e4  # centroids of unit rows lie within [-1, 1]; a codebook beyond this is corrupt
FLOAT16_MAX = 65504.0


def pca(x: Any, dims: int) -> np.ndarray:
    """The rows of ``x`` projected on their first ``dims`` principal axes (float64 covariance,
    eigendecomposition), each axis signed so that its largest projection is positive; float32."""
    x64 = np.asarray(x, dtype=np.float64)
    centred = x64 - x64.mean(axis=0)
    cov = centred.T @ centred / max(x64.shape[0] - 1, 1)
    _, vecs = np.linalg.eigh(cov)
    axes = vecs[:, ::-1][:, :dims]
    scores = centred @ axes
    top = np.abs(scores).argmax(axis=0)
    signs = np.sign(scores[top, np.arange(dims)])
    signs[signs == 0] = 1.0
    return (scores * signs).astype(np.float32)


def _check_finite(vectors: Vectors) -> None:
    from tokenvec.vectors import _nonfinite_rows

    bad = _nonfinite_rows(np.asarray(vectors.vectors))
    if bad.size:
        key = vectors.index_to_key[int(bad[0])]
        raise ValueError(
            f"cannot compress: the vector of {key!r} (row {int(bad[0])}) has NaN or inf"
        )


def reduce(vectors: Vectors, dims: int) -> Vectors:
    """``vectors`` with their rows projected on their first ``dims`` principal axes (PCA)."""
    from tokenvec._checks import check_int

    check_int(dims, "dims", 1)
    if dims > vectors.vector_size:
        raise ValueError(f"cannot reduce {vectors.vector_size} dimensions to {dims}: pick fewer")
    if len(vectors) < 2:
        raise ValueError("PCA needs at least two vectors")
    _check_finite(vectors)
    return Vectors(vectors.index_to_key, pca(vectors.vectors, dims), on_duplicate="ignore",
                   counts=vectors.counts)  # fmt: skip


def quantize(
    vectors: Vectors,
    form: Form = "int8",
    *,
    keep_norms: bool = True,
    subspaces: int | None = None,
    sample: int = 32_768,
    train_on: TrainOn = "frequent",
    iterations: int = 15,
    seed: int = 0,
) -> Vectors:
    """``vectors`` stored in a smaller ``form`` ("float16", "int8", "pq" or "rq"); queries
    unchanged.

    int8 keeps each row's length unless ``keep_norms=False`` (then every row has length 1:
    cosine queries are the same, 4 bytes a row smaller). "pq" (product quantization, Jégou et
    al. 2011) splits the unit rows into ``subspaces`` parts (default: one per 5 dimensions),
    learns 256 centroids for each by k-means on ``sample`` rows and stores one byte per part;
    rows have length 1 (see :class:`PQVectors`). The rows it learns from are the ``sample``
    most frequent (``train_on="frequent"``: by :attr:`Vectors.counts` when known, else the
    first rows, as vector files list words most frequent first), where queries and their
    neighbours mostly lie, or ``"random"`` rows. "rq" (residual quantization, Chen et al.
    2010) stores a byte for each of ``subspaces`` codebooks of whole rows, each learned on what
    the ones before it left (see :class:`RQVectors`): better rows for the bytes, at a training
    and encoding cost that grows with codebooks x dimensions.
    """
    if form not in ("float16", "int8", "pq", "rq"):
        raise ValueError(f"form must be 'float16', 'int8', 'pq' or 'rq', got {form!r}")
    _check_finite(vectors)
    if form == "rq":
        return residual_quantize(vectors, subspaces, sample=sample, train_on=train_on,
                                 iterations=iterations, seed=seed)  # fmt: skip
    if form == "pq":
        return product_quantize(vectors, subspaces, sample=sample, train_on=train_on,
                                iterations=iterations, seed=seed)  # fmt: skip
    mat = np.asarray(vectors.vectors)
    if form == "float16":
        big = float(np.abs(mat).max(initial=0.0))
        if big > FLOAT16_MAX:
            raise ValueError(f"a value of {big:.3g} overflows float16 (max {FLOAT16_MAX:g})")
        return Vectors(vectors.index_to_key, mat.astype(np.float16), on_duplicate="ignore",
                       counts=vectors.counts)  # fmt: skip
    codes, norms = int8_codes(mat)
    return Int8Vectors(vectors.index_to_key, codes, norms if keep_norms else None,
                       counts=vectors.counts, on_duplicate="ignore")  # fmt: skip


def int8_codes(matrix: np.ndarray, block: int = 65_536) -> tuple[np.ndarray, np.ndarray]:
    """(codes int8 (N, C), norms float32 (N,)) of the rows' unit vectors, made block by block
    (no float64 copy of the whole table)."""
    n, c = matrix.shape
    codes = np.empty((n, c), dtype=np.int8)
    norms = np.empty(n, dtype=np.float32)
    for lo in range(0, n, block):
        rows = np.asarray(matrix[lo : lo + block], dtype=np.float64)
        nrm = np.linalg.norm(rows, axis=1)
        unit = rows / np.where(nrm == 0, 1, nrm)[:, None]
        peak = np.abs(unit).max(axis=1)
        step = np.where(peak == 0, 1.0, peak / 127.0)
        codes[lo : lo + block] = np.rint(unit / step[:, None]).astype(np.int8)
        norms[lo : lo + block] = nrm
    return codes, norms


def code_scales(codes: np.ndarray, block: int = 65_536) -> np.ndarray:
    """1 / ||codes[r]|| for every row (0 for an all-zero row): what decodes a unit row."""
    out = np.empty(codes.shape[0], dtype=np.float32)
    for lo in range(0, codes.shape[0], block):
        c = np.asarray(codes[lo : lo + block], dtype=np.float32)
        n = np.sqrt(np.einsum("ij,ij->i", c, c))
        out[lo : lo + block] = np.divide(1.0, n, out=np.zeros_like(n), where=n > 0)
    return out


class Int8Vectors(Vectors):
    """Vectors stored as int8 codes of their unit rows and (optionally) their lengths.

    ``vectors`` and ``unit`` decode the whole table (float32) on first use, for code that
    needs raw rows; lookups, ``most_similar`` and the other queries decode only what they
    touch and score in int8.
    """

    def __init__(
        self,
        keys: Sequence[str],
        codes: np.ndarray,
        norms: np.ndarray | None = None,
        *,
        counts: Any = None,
        on_duplicate: Literal["warn", "error", "ignore"] = "warn",
    ) -> None:
        # Not Vectors.__init__: it takes a float matrix; the codes are checked here.
        keys = list(keys)
        codes = np.asanyarray(codes)
        if codes.ndim != 2 or codes.dtype != np.int8:
            raise ValueError(f"codes must be a 2-D int8 array, got {codes.dtype} {codes.shape}")
        n = codes.shape[0]
        self.kept_norms = norms is not None
        lengths = np.ones(n, np.float32) if norms is None else np.asarray(norms, np.float32)
        if len(keys) != n or lengths.shape != (n,):
            raise ValueError(
                f"{len(keys)} keys and {lengths.shape} norms for {n} rows: they must match"
            )
        if not np.isfinite(lengths).all() or (lengths < 0).any():
            raise ValueError("norms must be finite and non-negative")
        self.index_to_key = keys
        self.codes = codes
        self._scales: np.ndarray | None = None  # 1 / ||codes[r]||: a pass over the codes
        self._lengths = lengths
        self._norms = lengths
        self._key_to_index = None
        self._unit = None
        self._dense: np.ndarray | None = None
        self.ann = None
        self.counts = counts
        if on_duplicate != "ignore":
            self._check_duplicates(on_duplicate)

    @property  # type: ignore[override]  # decoded on demand, read-only
    def vectors(self) -> np.ndarray:  # type: ignore[override]
        if self._dense is None:
            self._dense = self.unit * self._lengths[:, None]
        return self._dense

    @property
    def vector_size(self) -> int:
        return int(self.codes.shape[1])

    @property
    def norms(self) -> np.ndarray:
        return self._lengths

    @property
    def unit(self) -> np.ndarray:
        if self._unit is None:
            self._check_source()
            from tokenvec._quant_numba import int8_widen_rows

            out = np.empty(self.codes.shape, dtype=np.float32)
            int8_widen_rows(self.codes, self.scales, out, 0, self.codes.shape[0])
            self._unit = out
        return self._unit

    @property
    def scales(self) -> np.ndarray:
        """1 / ||codes[r]|| of every row (what decodes a unit row), computed on first use:
        opening a table reads none of its codes."""
        if self._scales is None:
            self._check_source()
            self._scales = code_scales(self.codes)
        return self._scales

    def _row(self, i: int) -> np.ndarray:
        return self._unit_row(i) * self._lengths[i]

    def _unit_row(self, i: int, dtype: Any = np.float32) -> np.ndarray:
        self._check_source()
        scale = (
            self._scales[i] if self._scales is not None else code_scales(self.codes[i : i + 1])[0]
        )
        return (self.codes[i].astype(np.float64) * float(scale)).astype(dtype)

    def unit_dot(self, queries: np.ndarray, restrict_vocab: int | None = None) -> np.ndarray:
        """Scores of float32 ``queries`` against the decoded unit rows, computed from the
        int8 codes: (C,) -> (N,), (q, C) -> (q, N)."""
        from tokenvec import _threads
        from tokenvec._quant_numba import int8_dot_rows, int8_widen_rows

        n = len(self) if restrict_vocab is None else min(restrict_vocab, len(self))
        if restrict_vocab is not None and restrict_vocab <= 0:
            raise ValueError(f"restrict_vocab must be positive, got {restrict_vocab}")
        self._check_source()
        q = np.ascontiguousarray(queries, dtype=np.float32)
        if q.ndim == 1:
            out = np.empty(n, dtype=np.float32)
            parts = 1 if n * q.size < 2**22 else None  # small tables: no thread hand-off
            _threads.split_run(
                lambda lo, hi: int8_dot_rows(self.codes, self.scales, q, out, lo, hi), n, parts
            )
            return out
        out2 = np.empty((q.shape[0], n), dtype=np.float32)
        step = max(1, 2**22 // max(1, self.vector_size))
        buf = np.empty((min(step, n), self.vector_size), dtype=np.float32)
        for lo in range(0, n, step):
            hi = min(lo + step, n)
            int8_widen_rows(self.codes, self.scales, buf, lo, hi)
            np.matmul(q, buf[: hi - lo].T, out=out2[:, lo:hi])
        return out2

    def _exact_query(self, positive: Sequence[Any], negative: Sequence[Any]) -> Any:
        return None  # int8 scores are the answer (no float re-scoring: no float rows kept)

    def stored_matrix(self) -> np.ndarray:
        self._check_source()
        return self.codes

    def native_extras(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        files = {"norms.npy": _npy(self._lengths)} if self.kept_norms else {}
        return {"kind": INT8_KIND, "kept_norms": self.kept_norms}, files

    def __repr__(self) -> str:
        lengths = "" if self.kept_norms else ", unit length"
        return f"Vectors({len(self):,} keys x {self.vector_size}, int8{lengths})"

    @property
    def nbytes(self) -> int:
        """Bytes stored (codes and lengths); decoding adds one float32 scale a row in memory."""
        return int(self.codes.nbytes + (self._lengths.nbytes if self.kept_norms else 0))


def _assign(x: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(nearest centre of each row, its squared distance), in the compiled loop, 2 threads."""
    from tokenvec import _threads
    from tokenvec._quant_numba import nearest_centre

    labels = np.empty(x.shape[0], dtype=np.int64)
    gaps = np.empty(x.shape[0], dtype=np.float32)
    c = np.ascontiguousarray(centres, dtype=np.float32)
    _threads.split_run(lambda lo, hi: nearest_centre(x, c, labels, gaps, lo, hi), x.shape[0])
    return labels, gaps


def _kmeans(x: np.ndarray, k: int, iterations: int, rng: np.random.Generator) -> np.ndarray:
    """k centroids of the rows of ``x`` (float32) by Lloyd's algorithm from k distinct rows;
    an emptied cluster restarts at the point farthest from its centroid."""
    n = x.shape[0]
    k = min(k, n)
    centres = x[rng.choice(n, k, replace=False)].copy()
    for _ in range(iterations):
        label, gap = _assign(x, centres)
        sizes = np.bincount(label, minlength=k)
        sums = np.stack([np.bincount(label, weights=x[:, c], minlength=k)
                         for c in range(x.shape[1])], axis=1)  # fmt: skip
        empty = sizes == 0
        centres[~empty] = (sums[~empty] / sizes[~empty, None]).astype(np.float32)
        if empty.any():
            centres[np.flatnonzero(empty)] = x[np.argsort(-gap)[: int(empty.sum())]]
    return centres


def _training_rows(vectors: Vectors, k: int, train_on: TrainOn,
                   rng: np.random.Generator) -> np.ndarray:  # fmt: skip
    """The sorted positions of the ``k`` rows product quantization learns from: the most
    frequent (by counts, stable, else the first), or a uniform random choice.

    On GloVe 6B 50d the frequent rows' codebooks score 6 points more on analogies at 10 bytes
    a row (and 4 at 12) than random rows': a random sample is mostly rare words."""
    if train_on == "random":
        return np.sort(rng.choice(len(vectors), k, replace=False))
    counts = vectors.counts
    if counts is None:
        return np.arange(k)
    return np.sort(np.argsort(-counts, kind="stable")[:k])


def _setup(kind: str, vectors: Vectors, m: int | None, most: int, sample: int,
           train_on: TrainOn, iterations: int, seed: int,
           ) -> tuple[int, np.random.Generator, np.ndarray]:  # fmt: skip
    """The checked arguments of a quantizer: its number of bytes a row (default one per 5
    dimensions), its random generator and the rows it learns from."""
    from tokenvec._checks import check_int

    m = check_int(m, "subspaces", 1, most) if m is not None else max(1, vectors.vector_size // 5)
    check_int(sample, "sample", 256)
    check_int(iterations, "iterations", 1)
    if len(vectors) < 2:
        raise ValueError(f"{kind} quantization needs at least two vectors")
    if train_on not in ("frequent", "random"):
        raise ValueError(f"train_on must be 'frequent' or 'random', got {train_on!r}")
    rng = np.random.default_rng(seed)
    return m, rng, _training_rows(vectors, min(sample, len(vectors)), train_on, rng)


def product_quantize(
    vectors: Vectors,
    subspaces: int | None = None,
    *,
    sample: int = 32_768,
    train_on: TrainOn = "frequent",
    iterations: int = 15,
    seed: int = 0,
) -> PQVectors:
    """Product quantization of the unit rows (see :func:`quantize`)."""
    d = vectors.vector_size
    m, rng, rows = _setup("product", vectors, subspaces, d, sample, train_on, iterations, seed)
    unit = np.asarray(vectors.unit, dtype=np.float32)
    train = unit[rows]
    splits = np.array_split(np.arange(d), m)
    width = max(len(s) for s in splits)
    codebook = np.zeros((m, 256, width), dtype=np.float32)
    codes = np.empty((len(unit), m), dtype=np.uint8)
    for j, dims in enumerate(splits):
        centres = _kmeans(np.ascontiguousarray(train[:, dims]), 256, iterations, rng)
        codebook[j, : len(centres), : len(dims)] = centres
        codes[:, j] = _assign(np.ascontiguousarray(unit[:, dims]), centres)[0]
    bounds = np.array([0, *np.cumsum([len(s) for s in splits])], dtype=np.int64)
    return PQVectors(vectors.index_to_key, codes, codebook, bounds, counts=vectors.counts,
                     on_duplicate="ignore")  # fmt: skip


def residual_quantize(
    vectors: Vectors,
    codebooks: int | None = None,
    *,
    sample: int = 32_768,
    train_on: TrainOn = "frequent",
    iterations: int = 15,
    seed: int = 0,
    block: int = 65_536,
) -> RQVectors:
    """Residual quantization of the unit rows (see :func:`quantize`): codebook j holds 256
    centroids of whole rows, learned by k-means on the training rows less what codebooks
    0..j-1 chose for them; a row's code j is the centroid nearest to its own residual there.
    Encoded block by block, so the residuals take ``block`` rows of memory."""
    d = vectors.vector_size
    m, rng, rows = _setup("residual", vectors, codebooks, 256, sample, train_on, iterations, seed)
    unit = vectors.unit
    rest = np.array(unit[rows], dtype=np.float32)
    codebook = np.zeros((m, 256, d), dtype=np.float32)
    for j in range(m):
        centres = _kmeans(rest, 256, iterations, rng)
        codebook[j, : len(centres)] = centres
        rest -= centres[_assign(rest, centres)[0]]
    codes = np.empty((len(unit), m), dtype=np.uint8)
    for lo in range(0, len(unit), block):
        res = np.array(unit[lo : lo + block], dtype=np.float32)
        for j in range(m):
            label = _assign(res, codebook[j])[0]
            codes[lo : lo + block, j] = label
            res -= codebook[j][label]
    return RQVectors(vectors.index_to_key, codes, codebook, counts=vectors.counts,
                     on_duplicate="ignore")  # fmt: skip


class PQVectors(Vectors):
    """Vectors stored as product-quantization codes: one byte per subspace of each unit row
    (its nearest centroid there). A query's score against a row is the sum, over subspaces,
    of the query part's dot product with the row's centroid (a table of m x 256 numbers made
    once per query), divided by the decoded row's length: an asymmetric cosine. Rows have
    length 1."""

    def __init__(
        self,
        keys: Sequence[str],
        codes: np.ndarray,
        codebook: np.ndarray,
        bounds: np.ndarray,
        *,
        counts: Any = None,
        on_duplicate: Literal["warn", "error", "ignore"] = "warn",
    ) -> None:
        keys = list(keys)
        codes = np.asanyarray(codes)
        codebook = np.asarray(codebook, dtype=np.float32)
        bounds = np.asarray(bounds, dtype=np.int64)
        if codes.ndim != 2 or codes.dtype != np.uint8 or len(keys) != codes.shape[0]:
            raise ValueError(
                f"codes must be (keys, subspaces) uint8, got {codes.dtype} {codes.shape}"
            )
        m = codes.shape[1]
        if codebook.ndim != 3 or codebook.shape[:2] != (m, 256) or codebook.shape[2] < 1:
            raise ValueError(f"a codebook {codebook.shape} for {m} subspaces: expected "
                             f"({m}, 256, width)")  # fmt: skip
        self._check_bounds(bounds, m, codebook.shape[2])
        if not np.isfinite(codebook).all() or np.abs(codebook).max(initial=0) > PQ_MAX:
            raise ValueError(f"the codebook must hold finite numbers of at most {PQ_MAX:g} "
                             f"(centroids of unit rows)")  # fmt: skip
        self.index_to_key = keys
        self.codes = codes
        self.codebook = codebook
        self.bounds = bounds
        self._key_to_index = None
        self._unit = None
        self.ann = None
        self.counts = counts
        # Computed on first use (a pass over every code: 0.4 s of a 1M-row table's open).
        self._scales: np.ndarray | None = None
        self._norms = None
        if on_duplicate != "ignore":
            self._check_duplicates(on_duplicate)

    @staticmethod
    def _check_bounds(bounds: np.ndarray, m: int, width: int) -> None:
        widths = np.diff(bounds)
        if bounds.shape != (m + 1,):
            raise ValueError(f"bounds {bounds.shape} for {m} subspaces: expected ({m + 1},)")
        if bounds[0] != 0 or (widths < 1).any() or widths.max() > width:
            raise ValueError("bounds must rise from 0, each subspace within the codebook's width")

    @property
    def scales(self) -> np.ndarray:
        """1 / length of each decoded row (decoded rows are near, not at, unit length)."""
        if self._scales is None:
            self._check_source()
            widths = np.diff(self.bounds)
            sq = np.zeros(self.codes.shape[0], dtype=np.float64)
            for j in range(self.codes.shape[1]):
                c = self.codebook[j, :, : widths[j]].astype(np.float64)
                sq += np.sum(c * c, axis=1)[self.codes[:, j]]
            n = np.sqrt(sq)
            self._norms = (n > 0).astype(np.float32)
            self._scales = np.divide(1.0, n, out=np.zeros_like(n), where=n > 0).astype(np.float32)
        return self._scales

    @property  # type: ignore[override]  # decoded on demand, read-only
    def vectors(self) -> np.ndarray:  # type: ignore[override]
        return self.unit

    @property
    def vector_size(self) -> int:
        return int(self.bounds[-1])

    @property
    def norms(self) -> np.ndarray:
        if self._norms is None:
            self.scales  # noqa: B018 (computes both)
        assert self._norms is not None
        return self._norms

    @property
    def unit(self) -> np.ndarray:
        if self._unit is None:
            self._check_source()
            out = np.empty((len(self), self.vector_size), dtype=np.float32)
            for j in range(self.codes.shape[1]):
                lo, hi = int(self.bounds[j]), int(self.bounds[j + 1])
                out[:, lo:hi] = self.codebook[j, :, : hi - lo][self.codes[:, j]]
            out *= self.scales[:, None]
            self._unit = out
        return self._unit

    def _row(self, i: int) -> np.ndarray:
        return self._unit_row(i)

    def _unit_row(self, i: int, dtype: Any = np.float32) -> np.ndarray:
        self._check_source()
        parts = [self.codebook[j, self.codes[i, j], : self.bounds[j + 1] - self.bounds[j]]
                 for j in range(self.codes.shape[1])]  # fmt: skip
        if self._scales is not None:
            scale = float(self._scales[i])
        else:  # one row's scale, summed as scales sums every row's (the same float32)
            sq = 0.0
            for p in parts:
                sq += float(np.sum(p.astype(np.float64) * p.astype(np.float64)))
            scale = float(np.float32(1.0 / np.sqrt(sq))) if sq > 0 else 0.0
        return (np.concatenate(parts).astype(np.float64) * scale).astype(dtype)

    def _table(self, q: np.ndarray) -> np.ndarray:
        """(m, 256): the query part's dot product with every centroid of each subspace."""
        m = self.codes.shape[1]
        out = np.empty((m, 256), dtype=np.float32)
        for j in range(m):
            lo, hi = int(self.bounds[j]), int(self.bounds[j + 1])
            out[j] = self.codebook[j, :, : hi - lo] @ q[lo:hi]
        return out

    def unit_dot(self, queries: np.ndarray, restrict_vocab: int | None = None) -> np.ndarray:
        """Asymmetric cosine scores of float32 ``queries``: (C,) -> (N,), (q, C) -> (q, N)."""
        from tokenvec import _threads
        from tokenvec._quant_numba import pq_dot_rows

        if restrict_vocab is not None and restrict_vocab <= 0:
            raise ValueError(f"restrict_vocab must be positive, got {restrict_vocab}")
        n = len(self) if restrict_vocab is None else min(restrict_vocab, len(self))
        self._check_source()
        q = np.ascontiguousarray(queries, dtype=np.float32)
        rows = np.atleast_2d(q)
        out = np.empty((rows.shape[0], n), dtype=np.float32)
        parts = 1 if n < 2**18 else None

        def score(table: np.ndarray, dest: np.ndarray) -> None:
            _threads.split_run(
                lambda lo, hi: pq_dot_rows(self.codes, table, self.scales, dest, lo, hi), n, parts
            )

        for i, one in enumerate(rows):
            score(self._table(one), out[i])
        return out[0] if q.ndim == 1 else out

    def _exact_query(self, positive: Sequence[Any], negative: Sequence[Any]) -> Any:
        return None

    def stored_matrix(self) -> np.ndarray:
        self._check_source()
        return self.codes

    def native_extras(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        meta = {"kind": PQ_KIND, "pq_bounds": [int(b) for b in self.bounds]}
        return meta, {"codebook.npy": _npy(self.codebook)}

    @property
    def nbytes(self) -> int:
        """Bytes stored: the codes and the codebook (decoding keeps a scale a row in memory)."""
        return int(self.codes.nbytes + self.codebook.nbytes)

    def __repr__(self) -> str:
        m = self.codes.shape[1]
        return (
            f"Vectors({len(self):,} keys x {self.vector_size}, product-quantized: {m} bytes a row)"
        )


class RQVectors(PQVectors):
    """Vectors stored as residual-quantization codes: one byte per codebook, each codebook 256
    centroids of whole rows (``codebook``: (m, 256, dims)); a row decodes to the sum of its
    chosen centroids, at unit length. A query scores a row as product quantization does, by
    summing a table of its dot products with every centroid (asymmetric cosine)."""

    def __init__(
        self,
        keys: Sequence[str],
        codes: np.ndarray,
        codebook: np.ndarray,
        *,
        counts: Any = None,
        on_duplicate: Literal["warn", "error", "ignore"] = "warn",
    ) -> None:
        book = np.asarray(codebook)
        width = book.shape[2] if book.ndim == 3 else 0
        # Checked as product quantization's codes and codebook; one span of every dimension.
        super().__init__(keys, codes, book, np.array([0, width]), counts=counts,
                         on_duplicate=on_duplicate)  # fmt: skip

    @staticmethod
    def _check_bounds(bounds: np.ndarray, m: int, width: int) -> None:
        pass  # every codebook spans the whole row

    def _decode(self, lo: int, hi: int) -> np.ndarray:
        """Rows lo..hi-1 decoded (the sum of their centroids, in codebook order), float32."""
        out = np.zeros((hi - lo, self.vector_size), dtype=np.float32)
        for j in range(self.codes.shape[1]):
            out += self.codebook[j][self.codes[lo:hi, j]]
        return out

    @property
    def scales(self) -> np.ndarray:
        if self._scales is None:
            self._check_source()
            n = np.empty(len(self), dtype=np.float64)
            step = 65_536
            for lo in range(0, len(self), step):
                rows = self._decode(lo, min(lo + step, len(self))).astype(np.float64)
                n[lo : lo + step] = np.sqrt(np.sum(rows * rows, axis=1))
            self._norms = (n > 0).astype(np.float32)
            self._scales = np.divide(1.0, n, out=np.zeros_like(n), where=n > 0).astype(np.float32)
        return self._scales

    @property
    def unit(self) -> np.ndarray:
        if self._unit is None:
            self._check_source()
            out = self._decode(0, len(self))
            out *= self.scales[:, None]
            self._unit = out
        return self._unit

    def _unit_row(self, i: int, dtype: Any = np.float32) -> np.ndarray:
        self._check_source()
        row = self._decode(i, i + 1)[0]
        if self._scales is not None:
            scale = float(self._scales[i])
        else:  # the row's scale as ``scales`` computes every row's
            r = row.astype(np.float64)
            sq = float(np.sum(r * r))
            scale = float(np.float32(1.0 / np.sqrt(sq))) if sq > 0 else 0.0
        return (row * np.float32(scale)).astype(dtype)

    def _table(self, q: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(self.codebook @ q, dtype=np.float32)

    def native_extras(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        return {"kind": RQ_KIND}, {"codebook.npy": _npy(self.codebook)}

    def __repr__(self) -> str:
        m = self.codes.shape[1]
        return (
            f"Vectors({len(self):,} keys x {self.vector_size}, residual-quantized: {m} bytes a row)"
        )


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
    return buf.getvalue()


def _int8_from_native(folder: Path, keys: list[str], matrix: np.ndarray, meta: dict[str, Any],
                      **kwargs: Any) -> Int8Vectors:  # fmt: skip
    from tokenvec.formats import native_array

    kwargs.pop("allow_nan", None)
    # Folders written since tokenvec records it say whether norms.npy belongs to them: a
    # missing one is then an incomplete folder, not a table of unit rows.
    kept = meta.get("kept_norms", (folder / "norms.npy").is_file())
    if not isinstance(kept, bool):
        raise VectorFormatError(f"{folder}: meta.json's kept_norms must be true or false")
    total = int(meta["count"])
    norms = native_array(folder, "norms.npy", "f", (total,))[: len(keys)] if kept else None
    try:
        return Int8Vectors(keys, matrix, norms, **kwargs)
    except ValueError as exc:
        raise VectorFormatError(f"{folder}: {exc}") from None


def _pq_from_native(folder: Path, keys: list[str], matrix: np.ndarray, meta: dict[str, Any],
                    **kwargs: Any) -> PQVectors:  # fmt: skip
    from tokenvec.formats import native_array

    kwargs.pop("allow_nan", None)
    codebook = native_array(folder, "codebook.npy", "f", (matrix.shape[1], 256, None))
    bounds = meta.get("pq_bounds")
    if not isinstance(bounds, list) or not all(type(b) is int and 0 <= b < 2**31 for b in bounds):
        raise VectorFormatError(f"{folder}: meta.json's pq_bounds must be a list of integers")
    try:
        return PQVectors(keys, matrix, codebook, np.asarray(bounds), **kwargs)
    except ValueError as exc:
        raise VectorFormatError(f"{folder}: {exc}") from None


NATIVE_KINDS[INT8_KIND] = _int8_from_native


def _rq_from_native(folder: Path, keys: list[str], matrix: np.ndarray, meta: dict[str, Any],
                    **kwargs: Any) -> RQVectors:  # fmt: skip
    from tokenvec.formats import native_array

    kwargs.pop("allow_nan", None)
    codebook = native_array(folder, "codebook.npy", "f", (matrix.shape[1], 256, None))
    try:
        return RQVectors(keys, matrix, codebook, **kwargs)
    except ValueError as exc:
        raise VectorFormatError(f"{folder}: {exc}") from None


NATIVE_KINDS[PQ_KIND] = _pq_from_native
NATIVE_KINDS[RQ_KIND] = _rq_from_native
COMPRESSORS.update(quantize=quantize, reduce=reduce)
