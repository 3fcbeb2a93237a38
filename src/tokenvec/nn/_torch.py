"""PyTorch, imported once for the whole ``tokenvec.nn`` package, with the install hint when
it is missing (``pip install torch==2.13.0`` for the CPU build, then the ``torch`` extra)."""

from __future__ import annotations

from tokenvec._optional import require

torch = require("torch", "torch")
