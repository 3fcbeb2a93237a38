"""PyTorch, checked once for the whole ``tokenvec.nn`` package: importing the package without
it raises one error naming the install (``pip install torch==2.13.0`` for the CPU build, then
the ``torch`` extra). The package imports this module first, so its modules import torch
directly."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokenvec._optional import require

if TYPE_CHECKING:
    import torch
else:
    torch = require("torch", "torch")
