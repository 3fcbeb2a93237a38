"""MkDocs hooks for the docs site (``mkdocs.yml``: ``hooks``).

Docstrings show doctest output such as ``['king', 'queen']`` or ``x[0]``; the cross-reference
plugin reads any ``[...]`` as a link to an API object and warns (so a ``--strict`` build
fails) when none exists. Only warnings for targets that are not Python names are dropped: a
broken link to a real name still fails the build.
"""

from __future__ import annotations

import logging
import re

_NOT_A_NAME = re.compile(r"Could not find cross-reference target '(?![A-Za-z_][\w.]*')")


class _DoctestBrackets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _NOT_A_NAME.search(record.getMessage())


def on_startup(**kwargs: object) -> None:
    for part in ("plugin", "references", "backlinks"):
        name = f"mkdocs.plugins.mkdocs_autorefs._internal.{part}"
        logging.getLogger(name).addFilter(_DoctestBrackets())
