"""Progress bars for long work, always on standard error: standard output stays the program's
(a ``--json`` document, a pipe's data), whatever the bars show."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any


def bar(*columns: Any, **options: Any) -> Any:
    """A ``rich.progress.Progress`` with ``columns``, drawn on standard error."""
    from rich.console import Console
    from rich.progress import Progress

    return Progress(*columns, console=Console(stderr=True), **options)


@contextlib.contextmanager
def status(message: str) -> Iterator[None]:
    """Say on standard error what a wait of more than a moment is for: a spinner with
    ``message`` while it lasts when standard error is a terminal, nothing otherwise (a log
    or a pipe gets no spinner frames)."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield


@contextlib.contextmanager
def counting(what: str, total: int, show: bool | None = None) -> Iterator[Callable[[int], None]]:
    """A bar of ``total`` steps saying ``what`` runs, advanced by the function it yields
    (``advance(n)``); shown when ``show`` (None: when standard error is a terminal)."""
    if show is None:
        show = sys.stderr.isatty()
    if not show:
        yield lambda n: None
        return
    with bar() as shown:
        task = shown.add_task(what, total=total)
        yield lambda n: shown.update(task, advance=n)
