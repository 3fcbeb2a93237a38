"""Making tables smaller: float16, int8 codes, product and residual quantization, PCA.

Each returns a :class:`tokenvec.vectors.storage.Storage`; :meth:`tokenvec.Vectors.quantize` and
:meth:`~tokenvec.Vectors.reduce` put it under the same vocabulary, so every query
(``most_similar``, analogies, evaluation, ``encode``) runs on the result as it is, and a
fastText model's n-gram rows are made smaller with its words.

- ``float16``: half the size; queries widen rows in compiled loops (see
  :mod:`tokenvec._native.half`).
- ``int8``: a quarter of float32's size (see :class:`tokenvec.vectors.storage.Int8`).
- ``pq``: product quantization (Jegou et al. 2011), by default a byte per two dimensions:
  about 8x smaller than float32 (see :func:`quantize` for what smaller settings cost).
- ``rq``: residual quantization (Chen et al. 2010): a byte per codebook of whole rows.
- ``reduce(dims)``: the rows projected on their first ``dims`` principal axes (PCA).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from tokenvec._native.pca import principal_axes
from tokenvec.vectors import storage as st

Form = Literal["float16", "int8", "pq", "rq"]
TrainOn = Literal["frequent", "random"]
FORMS = ("float16", "int8", "pq", "rq")
FLOAT16_MAX = 65504.0


class PCA:
    """A fitted projection on principal axes: ``PCA.fit(x, dims)(rows)`` maps rows
    (any storage or array) into the ``dims``-dimensional space of ``x`` (float32)."""

    def __init__(self, mean: np.ndarray, axes: np.ndarray) -> None:
        self.mean, self.axes = mean, axes  # (C,) and (C, dims), float64

    @classmethod
    def fit(cls, x: Any, dims: int) -> PCA:
        """The first ``dims`` principal axes of the rows of ``x`` (float64 covariance,
        eigendecomposition), each signed so that its largest projection is positive."""
        from tokenvec._checks import check_int

        x64 = np.asarray(x, dtype=np.float64)
        check_int(dims, "dims", 1)
        if dims > x64.shape[1]:
            raise ValueError(f"cannot reduce {x64.shape[1]} dimensions to {dims}: pick fewer")
        if x64.shape[0] < 2:
            raise ValueError("PCA needs at least two vectors")
        return cls(*principal_axes(x64, dims))

    def __call__(self, rows: Any) -> np.ndarray:
        """``rows`` (an array or a storage, projected block by block) in the fitted space."""
        if isinstance(rows, st.Storage):
            out = np.empty((len(rows), self.axes.shape[1]), dtype=np.float32)
            for lo in range(0, len(rows), st.BLOCK_ROWS):
                hi = min(lo + st.BLOCK_ROWS, len(rows))
                out[lo:hi] = self(rows.decode(lo, hi))
            return out
        return ((np.asarray(rows, dtype=np.float64) - self.mean) @ self.axes).astype(np.float32)


def pca(x: Any, dims: int) -> np.ndarray:
    """The rows of ``x`` projected on their first ``dims`` principal axes; float32."""
    return PCA.fit(x, dims)(x)


def quantize(
    rows: st.Storage,
    form: Form = "int8",
    *,
    counts: np.ndarray | None = None,
    keep_norms: bool | None = None,
    subspaces: int | None = None,
    sample: int = 32_768,
    train_on: TrainOn = "frequent",
    iterations: int = 15,
    seed: int = 0,
) -> st.Storage:
    """``rows`` stored in a smaller ``form`` ("float16", "int8", "pq" or "rq").

    int8 keeps each row's length unless ``keep_norms=False`` (then every row has length 1:
    cosine queries are the same, 4 bytes a row smaller). "pq" (product quantization) splits
    the unit rows into ``subspaces`` parts, learns 256 centroids for each by k-means on
    ``sample`` rows and stores one byte per part; by default a byte per two dimensions, about
    8x smaller than float32 (GloVe 50d: 25 bytes a row, analogies within ~2 points of float32);
    a byte per five dimensions is 20x smaller and costs GloVe 50d about 25 analogy points.
    Its rows have length 1 unless ``keep_norms=True`` (4 bytes a row more). The rows it learns
    from are the ``sample`` most frequent (``train_on="frequent"``: by ``counts`` when known,
    else the first rows, as vector files list words most frequent first), where queries and
    their neighbours mostly lie, or ``"random"`` rows. "rq" (residual quantization) stores a
    byte for each of ``subspaces`` codebooks of whole rows (default one per 5 dimensions),
    each learned on what the ones before it left: better rows for the bytes, at a training
    and encoding cost that grows with codebooks x dimensions.
    """
    if form not in FORMS:
        raise ValueError(f"form must be 'float16', 'int8', 'pq' or 'rq', got {form!r}")
    mat = rows.matrix
    if form == "float16":
        big = float(np.abs(mat).max(initial=0.0))
        if big > FLOAT16_MAX:
            raise ValueError(f"a value of {big:.3g} overflows float16 (max {FLOAT16_MAX:g})")
        return st.Dense(np.asarray(mat).astype(np.float16))
    if form == "int8":
        return st.Int8.encode(mat, keep_norms=True if keep_norms is None else keep_norms)
    kept = rows.norms.astype(np.float32) if keep_norms else None
    if form == "rq":
        codes, book = residual_quantize(
            rows, subspaces, counts=counts, sample=sample, train_on=train_on,
            iterations=iterations, seed=seed,
        )  # fmt: skip
        return st.RQ(codes, book, kept)
    codes, book, bounds = product_quantize(
        rows, subspaces, counts=counts, sample=sample, train_on=train_on,
        iterations=iterations, seed=seed,
    )  # fmt: skip
    return st.PQ(codes, book, bounds, kept)


def _assign(x: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(nearest centre of each row, its squared distance), in the compiled loop, 2 threads."""
    from tokenvec._native import threads as _threads
    from tokenvec._native.quant_numba import nearest_centre

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


def _training_rows(n: int, counts: np.ndarray | None, k: int, train_on: TrainOn,
                   rng: np.random.Generator) -> np.ndarray:  # fmt: skip
    """The sorted positions of the ``k`` of ``n`` rows a quantizer learns from: the most
    frequent (by counts, stable, else the first), or a uniform random choice.

    On GloVe 6B 50d the frequent rows' codebooks score 6 points more on analogies at 10 bytes
    a row (and 4 at 12) than random rows': a random sample is mostly rare words."""
    if train_on == "random":
        return np.sort(rng.choice(n, k, replace=False))
    if counts is None:
        return np.arange(k)
    return np.sort(np.argsort(-counts, kind="stable")[:k])


def _setup(kind: str, rows: st.Storage, m: int | None, default: int, most: int,
           counts: np.ndarray | None, sample: int, train_on: TrainOn, iterations: int,
           seed: int) -> tuple[int, np.random.Generator, np.ndarray]:  # fmt: skip
    """The checked arguments of a quantizer: its number of bytes a row (``default`` unless
    given), its random generator and the rows it learns from."""
    from tokenvec._checks import check_int

    m = check_int(m, "subspaces", 1, most) if m is not None else default
    check_int(sample, "sample", 256)
    check_int(iterations, "iterations", 1)
    if len(rows) < 2:
        raise ValueError(f"{kind} quantization needs at least two vectors")
    if train_on not in ("frequent", "random"):
        raise ValueError(f"train_on must be 'frequent' or 'random', got {train_on!r}")
    if counts is not None and counts.shape != (len(rows),):
        counts = None  # counts of other rows (a subword model's words, not its n-grams)
    rng = np.random.default_rng(seed)
    return m, rng, _training_rows(len(rows), counts, min(sample, len(rows)), train_on, rng)


def product_quantize(
    rows: st.Storage,
    subspaces: int | None = None,
    *,
    counts: np.ndarray | None = None,
    sample: int = 32_768,
    train_on: TrainOn = "frequent",
    iterations: int = 15,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(codes (N, m) uint8, codebook (m, 256, width), bounds (m + 1,)): product quantization
    of the unit rows, by default a byte per two dimensions (see :func:`quantize`)."""
    d = rows.dim
    m, rng, train_rows = _setup("product", rows, subspaces, max(1, d // 2), d, counts, sample,
                                train_on, iterations, seed)  # fmt: skip
    unit = np.asarray(rows.unit, dtype=np.float32)
    train = unit[train_rows]
    splits = np.array_split(np.arange(d), m)
    width = max(len(s) for s in splits)
    codebook = np.zeros((m, 256, width), dtype=np.float32)
    codes = np.empty((len(unit), m), dtype=np.uint8)
    for j, dims in enumerate(splits):
        centres = _kmeans(np.ascontiguousarray(train[:, dims]), 256, iterations, rng)
        codebook[j, : len(centres), : len(dims)] = centres
        codes[:, j] = _assign(np.ascontiguousarray(unit[:, dims]), centres)[0]
    bounds = np.array([0, *np.cumsum([len(s) for s in splits])], dtype=np.int64)
    return codes, codebook, bounds


def residual_quantize(
    rows: st.Storage,
    codebooks: int | None = None,
    *,
    counts: np.ndarray | None = None,
    sample: int = 32_768,
    train_on: TrainOn = "frequent",
    iterations: int = 15,
    seed: int = 0,
    block: int = 65_536,
) -> tuple[np.ndarray, np.ndarray]:
    """(codes (N, m) uint8, codebook (m, 256, dim)): residual quantization of the unit rows,
    by default a byte per five dimensions (see :func:`quantize`). Codebook j holds 256
    centroids of whole rows, learned by k-means on the training rows less what codebooks
    0..j-1 chose for them; a row's code j is the centroid nearest to its own residual there.
    Encoded block by block, so the residuals take ``block`` rows of memory."""
    d = rows.dim
    m, rng, train_rows = _setup("residual", rows, codebooks, max(1, d // 5), 256, counts,
                                sample, train_on, iterations, seed)  # fmt: skip
    unit = rows.unit
    rest = np.array(unit[train_rows], dtype=np.float32)
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
    return codes, codebook
