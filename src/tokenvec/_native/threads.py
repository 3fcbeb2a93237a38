"""One lazily created thread pool for the kernels that split work across cores.

numpy's ``take`` and the numba kernels release the GIL, so plain threads run them in parallel.
Every caller shares this pool (one thread per core, at most 8) instead of keeping its own.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def workers() -> int:
    """Threads in the shared pool."""
    return max(1, min(os.cpu_count() or 1, 8))


def pool() -> ThreadPoolExecutor:
    """The shared pool, created on first use."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(workers(), thread_name_prefix="tokenvec")
    return _pool


def split_run(fn: Callable[[int, int], Any], n: int, parts: int | None = None) -> None:
    """Run ``fn(lo, hi)`` over ``parts`` contiguous slices of range(n) in the shared pool.

    >>> seen = []
    >>> split_run(lambda lo, hi: seen.append((lo, hi)), 10, 2)
    >>> sorted(seen)
    [(0, 5), (5, 10)]
    """
    parts = min(parts or workers(), n)
    if parts <= 1:
        if n:
            fn(0, n)
        return
    cuts = np.linspace(0, n, parts + 1).astype(np.int64)
    spans = [(int(a), int(b)) for a, b in itertools.pairwise(cuts) if b > a]
    # The calling thread takes the last slice itself instead of waiting idle for the pool.
    futures = [pool().submit(fn, a, b) for a, b in spans[:-1]]
    try:
        fn(*spans[-1])
    finally:
        for f in futures:
            f.result()
