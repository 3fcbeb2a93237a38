"""Progress bars for long work, always on standard error: standard output stays the program's
(a ``--json`` document, a pipe's data), whatever the bars show."""

from __future__ import annotations

from typing import Any


def bar(*columns: Any, **options: Any) -> Any:
    """A ``rich.progress.Progress`` with ``columns``, drawn on standard error."""
    from rich.console import Console
    from rich.progress import Progress

    return Progress(*columns, console=Console(stderr=True), **options)
