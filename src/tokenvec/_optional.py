"""Import optional dependencies lazily, with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtraError(ImportError):
    """An optional dependency of tokenvec is not installed."""


def require(module: str, extra: str | None, *, package: str | None = None) -> ModuleType:
    """Import ``module`` or raise saying which tokenvec extra provides it (``extra=None``: no
    extra holds it, so the hint names the package itself).

    >>> require("numpy", "core").__name__
    'numpy'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        pkg = package or module
        hint = f'pip install "tokenvec[{extra}]"' if extra else f"pip install {pkg}"
        if extra == "torch":
            hint = "pip install torch==2.13.0 (CPU build; see the README for CUDA), then " + hint
        raise MissingExtraError(
            f"{pkg} is needed for this feature but is not installed; install it with: {hint}"
        ) from exc
