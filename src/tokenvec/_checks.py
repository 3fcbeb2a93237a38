"""Input validation shared by the numpy layers.

The layers themselves only do arithmetic; every check that turns a bad argument into a
clear message lives here, so the messages read the same everywhere.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def as_ids(ids: Any, num_embeddings: int, *, what: str = "id") -> np.ndarray:
    """Return ``ids`` as an integer array after checking every id lies in [0, num_embeddings).

    >>> as_ids([[1, 2], [0, 3]], 4).shape
    (2, 2)
    """
    try:
        arr = np.asarray(ids)
    except ValueError as exc:
        raise ValueError(f"{what}s must form a rectangular array of integers ({exc})") from None
    if arr.dtype == object or arr.dtype.kind not in "iu":
        if arr.dtype.kind == "b":
            raise TypeError(f"{what}s must be integers, got booleans")
        if arr.size == 0 and arr.dtype.kind == "f":
            # np.asarray([]) is float64: an empty list is a valid, empty batch of ids.
            return np.zeros(arr.shape, dtype=np.int64)
        raise TypeError(
            f"{what}s must be integers, got dtype {arr.dtype}"
            + (f" (first value {arr.flat[0]!r})" if arr.size else "")
        )
    if arr.size == 0:
        return arr
    lo, hi = arr.min(), arr.max()
    if lo < 0 or hi >= num_embeddings:
        bad = np.argwhere((arr < 0) | (arr >= num_embeddings))[0]
        pos = tuple(int(i) for i in bad)
        value = int(arr[pos])
        where = pos[0] if len(pos) == 1 else pos
        raise IndexError(
            f"{what} {value} at position {where} is out of range for an embedding with "
            f"{num_embeddings} rows (valid {what}s are 0..{num_embeddings - 1})"
        )
    return arr


def as_matrix(
    matrix: Any, *, allow_nan: bool = False, name: str = "matrix", copy: bool = True
) -> np.ndarray:
    """Check a pretrained weight matrix: 2-D, floating point, finite unless allowed."""
    arr = np.asarray(matrix)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (vocab, dim), got shape {arr.shape}")
    if arr.dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"{name} must be float16, float32 or float64, got dtype {arr.dtype}; "
            f"convert it with matrix.astype(np.float32)"
        )
    if not allow_nan:
        finite = np.isfinite(arr)
        if not finite.all():
            row, col = (int(i) for i in np.argwhere(~finite)[0])
            raise ValueError(
                f"{name} has a non-finite value ({arr[row, col]}) at row {row}, column {col}; "
                f"pass allow_nan=True to keep it"
            )
    return np.array(arr, copy=True) if copy else arr


def positive_int(value: Any, name: str) -> int:
    """Return ``value`` as an int after checking it is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def float_dtype(dtype: Any) -> np.dtype:
    """Return ``dtype`` as a numpy float dtype or raise naming the allowed ones."""
    dt = np.dtype(dtype)
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float16, float32 or float64, got {dt}")
    return dt


def check_int(value: Any, name: str, lo: int | None = None, hi: int | None = None) -> int:
    """Return ``value`` as an int after checking it is an integer (not a bool) in [lo, hi].

    >>> check_int(3, "window", 1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    v = int(value)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        span = f">= {lo}" if hi is None else f"between {lo} and {hi:,}"
        raise ValueError(f"{name} must be {span}, got {v:,}")
    return v


def check_float(
    value: Any,
    name: str,
    lo: float | None = None,
    hi: float | None = None,
    *,
    low_open: bool = False,
) -> float:
    """Return ``value`` as a float after checking it is a finite number in [lo, hi]
    (``(lo, hi]`` with ``low_open``).

    >>> check_float(0.025, "alpha", 0.0, 1.0, low_open=True)
    0.025
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {v}")
    if (lo is not None and (v < lo or (low_open and v == lo))) or (hi is not None and v > hi):
        low = f"> {lo}" if low_open else f">= {lo}"
        span = low if hi is None else f"{low} and <= {hi}"
        raise ValueError(f"{name} must be {span}, got {v}")
    return v


def as_bool(value: Any, name: str) -> bool:
    """``value`` as a bool: True, False, 1 or 0 (a flag), anything else is an error."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer) and int(value) in (0, 1):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r}")


def all_finite(m: np.ndarray) -> bool:
    """True when every value of a float array is finite, checked in blocks of rows (a whole
    boolean temporary of a 2M x 100 table costs 0.6 s in page faults; blocks 0.1 s).

    >>> all_finite(np.array([[1.0, 2.0], [3.0, np.inf]]))
    False
    """
    if m.ndim < 2:
        return bool(np.isfinite(m).all())
    step = max(1, 2**22 // max(1, int(np.prod(m.shape[1:]))))
    return all(bool(np.isfinite(m[lo : lo + step]).all()) for lo in range(0, len(m), step))
