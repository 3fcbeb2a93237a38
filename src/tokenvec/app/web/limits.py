"""What one playground request may ask for, and where the page lives."""

from __future__ import annotations

from pathlib import Path

MAX_WORD = 64  # characters of a word
MAX_TOPN = 100  # neighbours of a query
MAX_MAP = 50  # neighbours on the 2-D map
MAX_TEXT = 10_000  # characters of a text
STATIC = Path(__file__).parent / "static"
