"""Kernels compiled on first use, with one policy for all of them.

numba is a core dependency: a kernel that cannot be built is an ``ImportError`` naming the
install, never a silent switch to the plain-Python reference (which is there to check the
kernel, and is thousands of times slower). numba caches compiled code on disk (``cache=True``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class LazyKernel:
    """A compiled function built by ``build`` the first time it is called (thread-safe).

    >>> square = LazyKernel(lambda: (lambda x: x * x))
    >>> square(3)
    9
    """

    def __init__(self, build: Callable[[], Callable[..., Any]]) -> None:
        self._build = build
        self._fn: Callable[..., Any] | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the compiled functions are loaded (a call costs nothing more to start)."""
        return self._fn is not None

    def get(self) -> Callable[..., Any]:
        """The compiled function, building it if needed."""
        if self._fn is None:
            with self._lock:
                if self._fn is None:
                    try:
                        self._fn = self._build()
                    except ImportError as exc:
                        raise ImportError(
                            f"numba is needed for tokenvec's compiled kernels ({exc}); "
                            f"install it with: pip install numba"
                        ) from exc
        return self._fn

    def __call__(self, *args: Any) -> Any:
        return self.get()(*args)
