"""How a table of vectors is stored: dense floats, int8 codes, product or residual codes.

A :class:`tokenvec.Vectors` is a vocabulary over a storage. Every storage answers the same few
questions, and every query (``most_similar``, analogies, ``encode``, evaluation, alignment)
is written once against them:

- ``row(i)``, ``take(rows)``, ``decode(lo, hi)``: stored rows, decoded to float32 where they
  are codes;
- ``unit_row(i)``, ``unit``: rows at unit length; ``norms``: their lengths;
- ``unit_dot(queries, n)``: scores of unit queries against the first ``n`` unit rows, computed
  from the stored form (a compressed table is never widened whole to answer a query).

Kinds: :class:`Dense` (float32 or float16, in memory or memory-mapped; a PCA-reduced table is
dense too), :class:`Int8` (codes of the unit rows, optionally their lengths), :class:`PQ`
(product quantization: a byte per group of dimensions) and :class:`RQ` (residual
quantization: a byte per codebook of whole rows). ``STORAGES`` maps the kind a native folder
names to its class.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from tokenvec.io.files import MappedFiles, VectorFormatError

PQ_MAX = 1e4  # centroids of unit rows lie within [-1, 1]; a codebook beyond this is corrupt
BLOCK_ROWS = 65_536  # rows decoded at a time where a whole decoded table is not needed


def npy_bytes(a: np.ndarray) -> bytes:
    """``a`` as the bytes of a .npy file (no pickles)."""
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
    return buf.getvalue()


def nonfinite_rows(m: np.ndarray) -> np.ndarray:
    """Rows holding NaN or inf, in blocks so no (N, C) boolean temporary is made.

    A row whose float32 sum is finite has only finite values. A non-finite sum can also come
    from overflow of large finite values, so those few rows are checked value by value.
    """
    bad = []
    step = max(1, 2**24 // max(1, m.shape[1]))
    for lo in range(0, m.shape[0], step):
        block = m[lo : lo + step]
        with np.errstate(over="ignore", invalid="ignore"):
            sums = np.add.reduce(block, axis=1, dtype=np.float32)
        suspects = np.flatnonzero(~np.isfinite(sums))
        if suspects.size:
            really = ~np.isfinite(block[suspects]).all(axis=1)
            bad.append(suspects[really] + lo)
    return np.concatenate(bad) if bad else np.zeros(0, dtype=np.int64)


def unit_rows(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows scaled to unit length (float16 for float16 rows, float32 otherwise), and the rows
    holding NaN or inf, which are set to zero: a table that claimed to be finite (a native
    folder's meta.json) but is not cannot change the answers for other rows."""
    from tokenvec._native.memory import empty

    if m.dtype == np.float16:
        from tokenvec._native import half as _half

        out = _half.unit_rows(m)
        bad = nonfinite_rows(out)  # unit rows: their sums cannot overflow
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            norms = np.linalg.norm(m, axis=1, keepdims=True).astype(np.float32)  # (N, 1)
        out = empty(m.shape, np.float32)
        with np.errstate(invalid="ignore"):
            np.divide(m, np.where(norms == 0, 1, norms), out=out, casting="unsafe")
        bad = np.flatnonzero(~np.isfinite(norms[:, 0]))
        if bad.size:  # an overflowing norm of finite values is not a bad row
            bad = bad[~np.isfinite(m[bad]).all(axis=1)]
    if bad.size:
        out[bad] = 0
    return out, bad


def _restricted(total: int, n: int | None) -> int:
    if n is None:
        return total
    if n <= 0:
        raise ValueError(f"restrict_vocab must be positive, got {n}")
    return min(n, total)


class Storage:
    """Rows of vectors in some stored form (see the module docstring for the protocol)."""

    kind: ClassVar[str]
    exact: ClassVar[bool] = True  # scores are exact for the stored rows (float16: re-scored)
    mapped: MappedFiles | None = None  # the mapped file behind ``stored``, checked on reads

    def __len__(self) -> int:
        return int(self.stored.shape[0])

    @property
    def stored(self) -> np.ndarray:
        """The array a native folder keeps as ``vectors.npy``: the rows or their codes."""
        raise NotImplementedError

    @property
    def dim(self) -> int:
        raise NotImplementedError

    @property
    def bad_rows(self) -> np.ndarray | None:
        """Rows holding NaN or inf, once the unit rows are computed (dense tables only)."""
        return None

    def check(self) -> None:
        """Raise a clear error if a memory-mapped file behind the rows was rewritten in
        place since it was opened (reading it would kill the process: SIGBUS)."""
        if self.mapped is not None:
            self.mapped.check()

    # --- rows --------------------------------------------------------------------------------

    def decode(self, lo: int, hi: int) -> np.ndarray:
        """Rows lo..hi-1 as float32, (hi - lo, dim)."""
        raise NotImplementedError

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The rows ``rows`` as float32, (len(rows), dim)."""
        raise NotImplementedError

    def row(self, i: int) -> np.ndarray:
        """Row ``i`` (float32, or float16 as stored in a float16 table)."""
        return self.take(np.array([i]))[0]

    def unit_row(self, i: int, dtype: Any = np.float32) -> np.ndarray:
        raise NotImplementedError

    @property
    def unit(self) -> np.ndarray:
        """Every row at unit length, decoded once on first use: (N, C)."""
        raise NotImplementedError

    @property
    def norms(self) -> np.ndarray:
        """Length of every row: (N,)."""
        raise NotImplementedError

    @property
    def matrix(self) -> np.ndarray:
        """Every row, decoded once on first use: (N, C)."""
        raise NotImplementedError

    def unit_dot(self, queries: np.ndarray, n: int | None = None) -> np.ndarray:
        """Scores of float32 unit ``queries`` against the first ``n`` unit rows (all when
        None): (C,) -> (n,), (q, C) -> (q, n)."""
        raise NotImplementedError

    # --- size and files ----------------------------------------------------------------------

    @property
    def nbytes(self) -> int:
        """Bytes stored (what a native folder's arrays hold)."""
        return int(self.stored.nbytes)

    def describe(self) -> str:
        """A few words for ``repr``: "float32", "int8", "product-quantized: 10 bytes a row"."""
        raise NotImplementedError

    def native(self, prefix: str = "") -> tuple[dict[str, Any], dict[str, bytes]]:
        """The meta.json entries and files (names start with ``prefix``) a native folder
        keeps beside ``stored``."""
        return {"storage": self.kind}, {}

    def slice(self, lo: int, hi: int) -> Storage:
        """Rows lo..hi-1 as a storage of the same kind (views, not copies)."""
        raise NotImplementedError


# --- dense -----------------------------------------------------------------------------------


class Dense(Storage):
    """float32 or float16 rows, in memory or memory-mapped. A float16 table stays half-size:
    its unit rows are float16 and scores widen them in compiled loops; answers are re-scored
    from the raw rows in float64 (:attr:`exact` is False)."""

    kind = "dense"

    def __init__(self, matrix: Any = None, *, source: Callable[[], np.ndarray] | None = None,
                 shape: tuple[int, int] | None = None) -> None:  # fmt: skip
        """``matrix`` (N, C) float16 or float32; or ``source()`` computing it on first use
        (a subword model's word rows), with its ``shape``."""
        self._matrix = matrix
        self._source = source
        self._shape = tuple(matrix.shape) if matrix is not None else tuple(shape or (0, 0))
        self._unit: np.ndarray | None = None
        self._norms: np.ndarray | None = None
        self._bad: np.ndarray | None = None

    @property
    def stored(self) -> np.ndarray:
        if self._matrix is None:
            assert self._source is not None
            self._matrix = self._source()
            self._source = None
        return self._matrix

    @property
    def computed(self) -> bool:
        """Whether the rows exist yet (a lazily computed table: not before first use)."""
        return self._matrix is not None

    def __len__(self) -> int:
        return int(self._shape[0])

    @property
    def dim(self) -> int:
        return int(self._shape[1])

    @property
    def dtype(self) -> np.dtype:
        return self.stored.dtype

    @property
    def exact(self) -> bool:  # type: ignore[override]
        return self.stored.dtype != np.float16

    @property
    def bad_rows(self) -> np.ndarray | None:
        return self._bad

    @property
    def matrix(self) -> np.ndarray:
        return self.stored

    def decode(self, lo: int, hi: int) -> np.ndarray:
        self.check()
        return np.asarray(self.stored[lo:hi], dtype=np.float32)

    def take(self, rows: np.ndarray) -> np.ndarray:
        self.check()
        return np.asarray(self.stored[rows], dtype=np.float32)

    def row(self, i: int) -> np.ndarray:
        self.check()
        return self.stored[i]

    @property
    def unit(self) -> np.ndarray:
        if self._unit is None:
            self.check()
            self._unit, bad = unit_rows(self.stored)
            self._bad = bad if bad.size else None
        return self._unit

    @property
    def norms(self) -> np.ndarray:
        if self._norms is None:
            self.check()
            self._norms = np.linalg.norm(self.stored.astype(np.float32, copy=False), axis=1)
        return self._norms

    def unit_row(self, i: int, dtype: Any = np.float32) -> np.ndarray:
        """Row ``i`` at unit length in ``dtype`` (float16 tables: from the raw row, exactly)."""
        if self.stored.dtype != np.float16 and dtype == np.float32:
            return self.unit[i]
        self.check()
        v = np.asarray(self.stored[i], dtype=np.float64)
        n = np.linalg.norm(v)
        return (v / n if n else v).astype(dtype)

    def unit_dot(self, queries: np.ndarray, n: int | None = None) -> np.ndarray:
        """For float16 rows, widened inside a compiled loop (one query) or in blocks before
        the matrix product (many), never as a whole float32 copy."""
        n = _restricted(len(self), n)
        pool = self.unit if n == len(self) else self.unit[:n]
        self.check()  # float16 rows are read from the file, not from a copy
        q = np.asarray(queries, dtype=np.float32)
        if pool.dtype != np.float16:
            return pool @ q if q.ndim == 1 else q @ pool.T
        from tokenvec._native import half as _half

        if q.ndim == 1:
            return _half.dot_rows(pool, q)
        out = np.empty((q.shape[0], pool.shape[0]), dtype=np.float32)
        step = max(1, 2**22 // max(1, pool.shape[1]))  # 16 MiB of float32 rows at a time
        buf = np.empty((min(step, pool.shape[0]), pool.shape[1]), dtype=np.float32)
        for lo in range(0, pool.shape[0], step):
            hi = min(lo + step, pool.shape[0])
            rows = _half.widen_rows(pool, lo, hi, buf[: hi - lo])
            np.matmul(q, rows.T, out=out[:, lo:hi])
        return out

    def describe(self) -> str:
        return str(self.stored.dtype)

    def slice(self, lo: int, hi: int) -> Dense:
        out = Dense(self.stored[lo:hi])
        out.mapped = self.mapped
        return out


# --- int8 ------------------------------------------------------------------------------------


def int8_codes(matrix: np.ndarray, block: int = BLOCK_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """(codes int8 (N, C), norms float32 (N,)) of the rows' unit vectors, made block by block
    (no float64 copy of the whole table).

    >>> codes, norms = int8_codes(np.array([[3.0, 4.0]], np.float32))
    >>> codes.tolist(), norms.tolist()
    ([[95, 127]], [5.0])
    """
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


def code_scales(codes: np.ndarray, block: int = BLOCK_ROWS) -> np.ndarray:
    """1 / ||codes[r]|| for every row (0 for an all-zero row): what decodes a unit row."""
    out = np.empty(codes.shape[0], dtype=np.float32)
    for lo in range(0, codes.shape[0], block):
        c = np.asarray(codes[lo : lo + block], dtype=np.float32)
        n = np.sqrt(np.einsum("ij,ij->i", c, c))
        out[lo : lo + block] = np.divide(1.0, n, out=np.zeros_like(n), where=n > 0)
    return out


def _lengths(norms: Any, n: int) -> tuple[np.ndarray, bool]:
    """(row lengths, whether they were given): all ones when ``norms`` is None."""
    if norms is None:
        return np.ones(n, np.float32), False
    lengths = np.asarray(norms, np.float32)
    if lengths.shape != (n,):
        raise ValueError(f"{lengths.shape} norms for {n} rows: they must match")
    if not np.isfinite(lengths).all() or (lengths < 0).any():
        raise ValueError("norms must be finite and non-negative")
    return lengths, True


class _Coded(Storage):
    """A storage of codes whose decoded unit rows are scaled by kept lengths (or have length
    1): the part int8, PQ and RQ share."""

    codes: np.ndarray
    _lengths: np.ndarray
    kept_norms: bool

    def _init_lengths(self, norms: Any) -> None:
        self._lengths, self.kept_norms = _lengths(norms, self.codes.shape[0])
        self._scales: np.ndarray | None = None
        self._unit: np.ndarray | None = None
        self._dense: np.ndarray | None = None

    @property
    def stored(self) -> np.ndarray:
        return self.codes

    @property
    def scales(self) -> np.ndarray:
        """1 / length of each decoded code row, computed on first use (opening a table reads
        none of its codes)."""
        raise NotImplementedError

    def _unit_block(self, lo: int, hi: int) -> np.ndarray:
        raise NotImplementedError

    @property
    def unit(self) -> np.ndarray:
        if self._unit is None:
            self.check()
            self._unit = self._unit_block(0, len(self))
        return self._unit

    @property
    def matrix(self) -> np.ndarray:
        if not self.kept_norms:
            return self.unit
        if self._dense is None:
            self._dense = self.unit * self._lengths[:, None]
        return self._dense

    def decode(self, lo: int, hi: int) -> np.ndarray:
        self.check()
        if self._unit is not None:
            rows = self._unit[lo:hi]
        else:
            rows = self._unit_block(lo, hi)
        return rows * self._lengths[lo:hi, None] if self.kept_norms else np.array(rows)

    def _inverse(self, lengths: np.ndarray) -> np.ndarray:
        """1 / ``lengths`` (of the decoded code rows) as float32 scales, 0 for a zero length
        and for the rows whose kept length is 0 (an all-zero row's codes still name
        centroids; its unit row is zero, as a dense table's is)."""
        n = lengths
        scales = np.divide(1.0, n, out=np.zeros_like(n), where=n > 0).astype(np.float32)
        if self.kept_norms:
            scales[self._lengths == 0] = 0
        return scales

    def _with_codes(self, codes: np.ndarray, norms: np.ndarray | None) -> _Coded:
        """A storage of this kind (the same codebook) over other codes."""
        raise NotImplementedError

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The rows ``rows``, decoded from their codes alone (no pass over the table)."""
        rows = np.asarray(rows, dtype=np.int64)
        self.check()
        sub = self._with_codes(self.codes[rows], self._lengths[rows] if self.kept_norms else None)
        if self._scales is not None:
            sub._scales = self._scales[rows]
        return sub.decode(0, rows.shape[0])

    def slice(self, lo: int, hi: int) -> _Coded:
        out = self._with_codes(self.codes[lo:hi], self._lengths[lo:hi] if self.kept_norms else None)
        out.mapped = self.mapped
        return out

    def row(self, i: int) -> np.ndarray:
        return self.unit_row(i) * self._lengths[i]

    @property
    def norms(self) -> np.ndarray:
        if self.kept_norms:
            return self._lengths
        return (self.scales > 0).astype(np.float32)

    def native(self, prefix: str = "") -> tuple[dict[str, Any], dict[str, bytes]]:
        files = {f"{prefix}norms.npy": npy_bytes(self._lengths)} if self.kept_norms else {}
        return {"storage": self.kind, "kept_norms": self.kept_norms}, files

    @property
    def nbytes(self) -> int:
        """Bytes stored: the codes, the codebook and the kept lengths (decoding adds a scale
        a row in memory)."""
        book = getattr(self, "codebook", None)
        extra = self._lengths.nbytes if self.kept_norms else 0
        extra += book.nbytes if book is not None else 0
        return int(self.codes.nbytes + extra)

    def _norms_note(self) -> str:
        return "" if self.kept_norms else ", unit length"


class Int8(_Coded):
    """Each row as its unit vector's int8 codes, ``round(127 * u / max|u|)``, and (unless
    ``norms`` is None) its length as float32. The decoded unit row is ``codes / ||codes||``;
    a score is ``(codes . query) / ||codes||``, computed in a compiled loop that widens the
    codes in registers, so a query reads a quarter of float32's bytes."""

    kind = "int8"

    def __init__(self, codes: np.ndarray, norms: Any = None) -> None:
        codes = np.asanyarray(codes)
        if codes.ndim != 2 or codes.dtype != np.int8:
            raise ValueError(f"codes must be a 2-D int8 array, got {codes.dtype} {codes.shape}")
        self.codes = codes
        self._init_lengths(norms)

    @classmethod
    def encode(cls, matrix: np.ndarray, keep_norms: bool = True) -> Int8:
        """The int8 storage of float rows ``matrix``."""
        codes, norms = int8_codes(matrix)
        return cls(codes, norms if keep_norms else None)

    @property
    def dim(self) -> int:
        return int(self.codes.shape[1])

    @property
    def scales(self) -> np.ndarray:
        if self._scales is None:
            self.check()
            self._scales = code_scales(self.codes)
        return self._scales

    def _unit_block(self, lo: int, hi: int) -> np.ndarray:
        from tokenvec._native.quant_numba import int8_widen_rows

        out = np.empty((hi - lo, self.dim), dtype=np.float32)
        if hi - lo == 1 and self._scales is None:  # one row: no pass over every code
            out[0] = self.unit_row(lo)
            return out
        int8_widen_rows(self.codes, self.scales, out, lo, hi)
        return out

    def unit_row(self, i: int, dtype: Any = np.float32) -> np.ndarray:
        self.check()
        scale = (
            self._scales[i] if self._scales is not None else code_scales(self.codes[i : i + 1])[0]
        )
        return (self.codes[i].astype(np.float64) * float(scale)).astype(dtype)

    def unit_dot(self, queries: np.ndarray, n: int | None = None) -> np.ndarray:
        from tokenvec._native import threads as _threads
        from tokenvec._native.quant_numba import int8_dot_rows, int8_widen_rows

        n = _restricted(len(self), n)
        self.check()
        q = np.ascontiguousarray(queries, dtype=np.float32)
        if q.ndim == 1:
            out = np.empty(n, dtype=np.float32)
            parts = 1 if n * q.size < 2**22 else None  # small tables: no thread hand-off
            _threads.split_run(
                lambda lo, hi: int8_dot_rows(self.codes, self.scales, q, out, lo, hi), n, parts
            )
            return out
        out2 = np.empty((q.shape[0], n), dtype=np.float32)
        step = max(1, 2**22 // max(1, self.dim))
        buf = np.empty((min(step, n), self.dim), dtype=np.float32)
        for lo in range(0, n, step):
            hi = min(lo + step, n)
            int8_widen_rows(self.codes, self.scales, buf, lo, hi)
            np.matmul(q, buf[: hi - lo].T, out=out2[:, lo:hi])
        return out2

    def describe(self) -> str:
        return f"int8{self._norms_note()}"

    def _with_codes(self, codes: np.ndarray, norms: np.ndarray | None) -> Int8:
        return Int8(codes, norms)

    @classmethod
    def from_native(cls, folder: Path, codes: np.ndarray, meta: dict[str, Any],
                    prefix: str = "", total: int | None = None) -> Int8:  # fmt: skip
        norms = _native_norms(folder, codes.shape[0], meta, prefix, total)
        return _built(folder, lambda: cls(codes, norms))


# --- product and residual quantization ---------------------------------------------------


def _check_codebook(codes: np.ndarray, codebook: np.ndarray) -> None:
    if codes.ndim != 2 or codes.dtype != np.uint8:
        raise ValueError(f"codes must be (rows, subspaces) uint8, got {codes.dtype} {codes.shape}")
    m = codes.shape[1]
    if codebook.ndim != 3 or codebook.shape[:2] != (m, 256) or codebook.shape[2] < 1:
        raise ValueError(f"a codebook {codebook.shape} for {m} subspaces: expected "
                         f"({m}, 256, width)")  # fmt: skip
    if not np.isfinite(codebook).all() or np.abs(codebook).max(initial=0) > PQ_MAX:
        raise ValueError(f"the codebook must hold finite numbers of at most {PQ_MAX:g} "
                         f"(centroids of unit rows)")  # fmt: skip


class PQ(_Coded):
    """Product-quantization codes: one byte per subspace of each unit row (its nearest
    centroid there; ``codebook``: (m, 256, width), subspace j spans dimensions
    ``bounds[j]:bounds[j + 1]``). A query's score against a row is the sum, over subspaces, of
    the query part's dot product with the row's centroid (a table of m x 256 numbers made once
    per query), divided by the decoded row's length: an asymmetric cosine. Rows have length 1
    unless their lengths are kept (``norms``)."""

    kind = "pq"

    def __init__(self, codes: np.ndarray, codebook: np.ndarray, bounds: np.ndarray,
                 norms: Any = None) -> None:  # fmt: skip
        codes = np.asanyarray(codes)
        codebook = np.asarray(codebook, dtype=np.float32)
        bounds = np.asarray(bounds, dtype=np.int64)
        _check_codebook(codes, codebook)
        self._check_bounds(bounds, codes.shape[1], codebook.shape[2])
        self.codes, self.codebook, self.bounds = codes, codebook, bounds
        self._init_lengths(norms)

    @staticmethod
    def _check_bounds(bounds: np.ndarray, m: int, width: int) -> None:
        widths = np.diff(bounds)
        if bounds.shape != (m + 1,):
            raise ValueError(f"bounds {bounds.shape} for {m} subspaces: expected ({m + 1},)")
        if bounds[0] != 0 or (widths < 1).any() or widths.max() > width:
            raise ValueError("bounds must rise from 0, each subspace within the codebook's width")

    @property
    def dim(self) -> int:
        return int(self.bounds[-1])

    def _code_rows(self, lo: int, hi: int) -> np.ndarray:
        """Rows lo..hi-1 as their centroids laid side by side, before scaling: float32."""
        out = np.empty((hi - lo, self.dim), dtype=np.float32)
        for j in range(self.codes.shape[1]):
            a, b = int(self.bounds[j]), int(self.bounds[j + 1])
            out[:, a:b] = self.codebook[j, :, : b - a][self.codes[lo:hi, j]]
        return out

    @property
    def scales(self) -> np.ndarray:
        """1 / length of each decoded code row (decoded rows are near, not at, unit length)."""
        if self._scales is None:
            self.check()
            widths = np.diff(self.bounds)
            sq = np.zeros(self.codes.shape[0], dtype=np.float64)
            for j in range(self.codes.shape[1]):
                c = self.codebook[j, :, : widths[j]].astype(np.float64)
                sq += np.sum(c * c, axis=1)[self.codes[:, j]]
            self._scales = self._inverse(np.sqrt(sq))
        return self._scales

    def _row_scale(self, i: int, row: np.ndarray) -> float:
        """Row ``i``'s scale as :attr:`scales` computes every row's (the same float32)."""
        if self._scales is not None:
            return float(self._scales[i])
        if self.kept_norms and self._lengths[i] == 0:
            return 0.0
        sq = self._row_squares(row)
        return float(np.float32(1.0 / np.sqrt(sq))) if sq > 0 else 0.0

    def _row_squares(self, row: np.ndarray) -> float:
        """The squared length of a decoded code row, summed as :attr:`scales` sums it."""
        sq = 0.0
        for j in range(self.codes.shape[1]):
            p = row[int(self.bounds[j]) : int(self.bounds[j + 1])].astype(np.float64)
            sq += float(np.sum(p * p))
        return sq

    def _unit_block(self, lo: int, hi: int) -> np.ndarray:
        if hi - lo == 1 and self._scales is None:
            return self.unit_row(lo)[None, :]
        out = self._code_rows(lo, hi)
        out *= self.scales[lo:hi, None]
        return out

    def unit_row(self, i: int, dtype: Any = np.float32) -> np.ndarray:
        self.check()
        row = self._code_rows(i, i + 1)[0]
        return (row.astype(np.float64) * self._row_scale(i, row)).astype(dtype)

    def _table(self, q: np.ndarray) -> np.ndarray:
        """(m, 256): the query part's dot product with every centroid of each subspace."""
        m = self.codes.shape[1]
        out = np.empty((m, 256), dtype=np.float32)
        for j in range(m):
            a, b = int(self.bounds[j]), int(self.bounds[j + 1])
            out[j] = self.codebook[j, :, : b - a] @ q[a:b]
        return out

    def unit_dot(self, queries: np.ndarray, n: int | None = None) -> np.ndarray:
        from tokenvec._native import threads as _threads
        from tokenvec._native.quant_numba import pq_dot_rows

        n = _restricted(len(self), n)
        self.check()
        q = np.ascontiguousarray(queries, dtype=np.float32)
        rows = np.atleast_2d(q)
        out = np.empty((rows.shape[0], n), dtype=np.float32)
        parts = 1 if n < 2**18 else None
        scales = self.scales

        def score(table: np.ndarray, dest: np.ndarray) -> None:
            _threads.split_run(
                lambda lo, hi: pq_dot_rows(self.codes, table, scales, dest, lo, hi), n, parts
            )

        for i, one in enumerate(rows):
            score(self._table(one), out[i])
        return out[0] if q.ndim == 1 else out

    def native(self, prefix: str = "") -> tuple[dict[str, Any], dict[str, bytes]]:
        meta, files = super().native(prefix)
        meta["pq_bounds"] = [int(b) for b in self.bounds]
        return meta, {**files, f"{prefix}codebook.npy": npy_bytes(self.codebook)}

    def describe(self) -> str:
        return f"product-quantized: {self.codes.shape[1]} bytes a row{self._norms_note()}"

    def _with_codes(self, codes: np.ndarray, norms: np.ndarray | None) -> PQ:
        return PQ(codes, self.codebook, self.bounds, norms)

    @classmethod
    def from_native(cls, folder: Path, codes: np.ndarray, meta: dict[str, Any],
                    prefix: str = "", total: int | None = None) -> PQ:  # fmt: skip
        from tokenvec.io.formats import native_array

        codebook = native_array(folder, f"{prefix}codebook.npy", "f", (codes.shape[1], 256, None))
        bounds = meta.get("pq_bounds")
        if not isinstance(bounds, list) or not all(
            type(b) is int and 0 <= b < 2**31 for b in bounds
        ):
            raise VectorFormatError(f"{folder}: meta.json's pq_bounds must be a list of integers")
        norms = _native_norms(folder, codes.shape[0], meta, prefix, total)
        return _built(folder, lambda: cls(codes, codebook, np.asarray(bounds), norms))


class RQ(PQ):
    """Residual-quantization codes: one byte per codebook, each codebook 256 centroids of
    whole rows (``codebook``: (m, 256, dims)); a row decodes to the sum of its chosen
    centroids, at unit length unless lengths are kept. A query scores a row as product
    quantization does, by summing a table of its dot products with every centroid."""

    kind = "rq"

    def __init__(self, codes: np.ndarray, codebook: np.ndarray, norms: Any = None) -> None:
        book = np.asarray(codebook)
        width = book.shape[2] if book.ndim == 3 else 0
        super().__init__(codes, book, np.array([0, width]), norms)

    @staticmethod
    def _check_bounds(bounds: np.ndarray, m: int, width: int) -> None:
        pass  # every codebook spans the whole row

    def _code_rows(self, lo: int, hi: int) -> np.ndarray:
        """Rows lo..hi-1 decoded (the sum of their centroids, in codebook order), float32."""
        out = np.zeros((hi - lo, self.dim), dtype=np.float32)
        for j in range(self.codes.shape[1]):
            out += self.codebook[j][self.codes[lo:hi, j]]
        return out

    @property
    def scales(self) -> np.ndarray:
        if self._scales is None:
            self.check()
            n = np.empty(len(self), dtype=np.float64)
            for lo in range(0, len(self), BLOCK_ROWS):
                rows = self._code_rows(lo, min(lo + BLOCK_ROWS, len(self))).astype(np.float64)
                n[lo : lo + BLOCK_ROWS] = np.sqrt(np.sum(rows * rows, axis=1))
            self._scales = self._inverse(n)
        return self._scales

    def _row_squares(self, row: np.ndarray) -> float:
        r = row.astype(np.float64)
        return float(np.sum(r * r))

    def unit_row(self, i: int, dtype: Any = np.float32) -> np.ndarray:
        self.check()
        row = self._code_rows(i, i + 1)[0]
        return (row * np.float32(self._row_scale(i, row))).astype(dtype)

    def _table(self, q: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(self.codebook @ q, dtype=np.float32)

    def native(self, prefix: str = "") -> tuple[dict[str, Any], dict[str, bytes]]:
        meta, files = _Coded.native(self, prefix)
        return meta, {**files, f"{prefix}codebook.npy": npy_bytes(self.codebook)}

    def describe(self) -> str:
        return f"residual-quantized: {self.codes.shape[1]} bytes a row{self._norms_note()}"

    def _with_codes(self, codes: np.ndarray, norms: np.ndarray | None) -> RQ:
        return RQ(codes, self.codebook, norms)

    @classmethod
    def from_native(cls, folder: Path, codes: np.ndarray, meta: dict[str, Any],
                    prefix: str = "", total: int | None = None) -> RQ:  # fmt: skip
        from tokenvec.io.formats import native_array

        codebook = native_array(folder, f"{prefix}codebook.npy", "f", (codes.shape[1], 256, None))
        norms = _native_norms(folder, codes.shape[0], meta, prefix, total)
        return _built(folder, lambda: cls(codes, codebook, norms))


# --- native folders ------------------------------------------------------------------------


def _native_norms(folder: Path, n: int, meta: dict[str, Any], prefix: str,
                  total: int | None) -> np.ndarray | None:  # fmt: skip
    """The first ``n`` of a native folder's ``total`` kept row lengths (``{prefix}norms.npy``),
    or None. Folders written since tokenvec records it say whether the file belongs to them:
    a missing one is then an incomplete folder, not a table of unit rows."""
    from tokenvec.io.formats import native_array

    kept = meta.get("kept_norms", (folder / f"{prefix}norms.npy").is_file())
    if not isinstance(kept, bool):
        raise VectorFormatError(f"{folder}: meta.json's kept_norms must be true or false")
    if not kept:
        return None
    return native_array(folder, f"{prefix}norms.npy", "f", (n if total is None else total,))[:n]


def _built(folder: Path, make: Callable[[], Storage]) -> Any:
    try:
        return make()
    except ValueError as exc:
        raise VectorFormatError(f"{folder}: {exc}") from None


def _dense_from_native(folder: Path, matrix: np.ndarray, meta: dict[str, Any],
                       prefix: str = "", total: int | None = None) -> Dense:  # fmt: skip
    return Dense(matrix)


# The stored forms a native folder can name (meta.json's "storage"): (folder, stored array,
# meta, file prefix, rows in the folder) -> Storage.
STORAGES: dict[str, Callable[..., Storage]] = {
    "dense": _dense_from_native,
    "int8": Int8.from_native,
    "pq": PQ.from_native,
    "rq": RQ.from_native,
}


def as_storage(rows: Any) -> Storage:
    """``rows`` as a storage: a storage as it is, an array as :class:`Dense`."""
    return rows if isinstance(rows, Storage) else Dense(rows)
