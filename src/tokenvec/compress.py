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

Form = Literal["float16", "int8"]
INT8_KIND = "int8"
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


def quantize(vectors: Vectors, form: Form = "int8", *, keep_norms: bool = True) -> Vectors:
    """``vectors`` stored in a smaller ``form`` ("float16" or "int8"); queries unchanged.

    int8 keeps each row's length unless ``keep_norms=False`` (then every row has length 1:
    cosine queries are the same, 4 bytes a row smaller)."""
    if form not in ("float16", "int8"):
        raise ValueError(f"form must be 'float16' or 'int8', got {form!r}")
    _check_finite(vectors)
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
        self.scales = code_scales(codes)
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
            from tokenvec._quant_numba import int8_widen_rows

            out = np.empty(self.codes.shape, dtype=np.float32)
            int8_widen_rows(self.codes, self.scales, out, 0, self.codes.shape[0])
            self._unit = out
        return self._unit

    def _row(self, i: int) -> np.ndarray:
        return self._unit_row(i) * self._lengths[i]

    def _unit_row(self, i: int, dtype: Any = np.float32) -> np.ndarray:
        return (self.codes[i].astype(np.float64) * float(self.scales[i])).astype(dtype)

    def unit_dot(self, queries: np.ndarray, restrict_vocab: int | None = None) -> np.ndarray:
        """Scores of float32 ``queries`` against the decoded unit rows, computed from the
        int8 codes: (C,) -> (N,), (q, C) -> (q, N)."""
        from tokenvec import _threads
        from tokenvec._quant_numba import int8_dot_rows, int8_widen_rows

        n = len(self) if restrict_vocab is None else min(restrict_vocab, len(self))
        if restrict_vocab is not None and restrict_vocab <= 0:
            raise ValueError(f"restrict_vocab must be positive, got {restrict_vocab}")
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
        return self.codes

    def native_extras(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        files = {"norms.npy": _npy(self._lengths)} if self.kept_norms else {}
        return {"kind": INT8_KIND}, files

    def __repr__(self) -> str:
        lengths = "" if self.kept_norms else ", unit length"
        return f"Vectors({len(self):,} keys x {self.vector_size}, int8{lengths})"

    @property
    def nbytes(self) -> int:
        """Bytes stored (codes and lengths); decoding adds one float32 scale a row in memory."""
        return int(self.codes.nbytes + (self._lengths.nbytes if self.kept_norms else 0))


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
    return buf.getvalue()


def _int8_from_native(folder: Path, keys: list[str], matrix: np.ndarray, meta: dict[str, Any],
                      **kwargs: Any) -> Int8Vectors:  # fmt: skip
    from tokenvec.formats import _load_npy

    kwargs.pop("allow_nan", None)
    path = folder / "norms.npy"
    norms = np.asarray(_load_npy(path))[: len(keys)] if path.is_file() else None  # limit
    try:
        return Int8Vectors(keys, matrix, norms, **kwargs)
    except ValueError as exc:
        raise VectorFormatError(f"{folder}: {exc}") from None


NATIVE_KINDS[INT8_KIND] = _int8_from_native
COMPRESSORS.update(quantize=quantize, reduce=reduce)
