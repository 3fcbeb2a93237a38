"""Doctests of modules whose extra is not installed are not collected; the summary says why."""

from __future__ import annotations

import importlib.util
from typing import Any

# module (relative to the repository) -> the import it needs
_EXTRA_MODULES = {
    "src/tokenvec/nn": "torch",
    "src/tokenvec/app/viz.py": "matplotlib",
    "src/tokenvec/app/web": "fastapi",
}

collect_ignore: list[str] = []
_skipped: list[str] = []
for _path, _module in _EXTRA_MODULES.items():
    if importlib.util.find_spec(_module) is None:
        collect_ignore.append(_path)
        _skipped.append(f"doctests of {_path}: {_module} is not installed")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in _skipped:
        terminalreporter.write_line(f"SKIPPED {line}")
