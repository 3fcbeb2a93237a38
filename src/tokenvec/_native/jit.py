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


class Constant(int):
    """An int that a compiled kernel takes as a compile-time constant: numba types it as its
    value (a ``Literal`` type), so the kernel is compiled, and cached on disk, once per value,
    and every loop it bounds has a known length. A kernel's module calls
    :func:`register_constant` when it is imported.

    >>> Constant(100) + 1
    101
    """

    __slots__ = ()


def register_constant() -> None:
    """Teach numba to type a :class:`Constant` as its own value (the dispatcher then finds, or
    compiles, the code for that value at once, where ``numba.literally`` would first type
    the int as int64 and infer the whole kernel's types in vain on every first call)."""
    from numba.core import types
    from numba.extending import typeof_impl

    typeof_impl.register(Constant)(lambda val, c: types.literal(int(val)))
