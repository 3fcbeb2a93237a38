"""Make what the docs show from real runs, so none of it can go stale.

    python scripts/make_docs.py            # everything (about 3 minutes on 2 cores)
    python scripts/make_docs.py cli demo   # only some parts

Parts:
- ``cli``: docs/cli.md, the reference of every command and option, from the typer app.
- ``images``: the tour's plots (docs/tour.md), each drawn by the very command it shows.
- ``screenshot``: docs/playground.png (headless chromium; scripts/screenshot_playground.py).
- ``demo``: the tour's excerpt of ``tokenvec demo``, from a fresh run at 80 columns.

The tests check that docs/cli.md is current, that every image command is the tour's own,
and that the excerpt's sections are those the demo prints.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TOUR = ROOT / "docs" / "tour.md"  # the docs page with the demo excerpt and the plots
CLI_DOC = ROOT / "docs" / "cli.md"
DEMO_BEGIN = "<!-- demo excerpt: made by scripts/make_docs.py demo; do not edit -->"
DEMO_END = "<!-- end of demo excerpt -->"
DEMO_WIDTH = 80

# Tour image -> the command (exactly as docs/tour.md shows it) that draws it.
IMAGE_COMMANDS = {
    "docs/map-tower.png": "tokenvec plot map --around tower -o docs/map-tower.png",
    "docs/analogy-king-queen.png": "tokenvec plot analogy man king woman -o docs/analogy-king-queen.png",
}

# Tables of the demo left out of the excerpt (by title): long and shown in prose instead.
OMIT_TABLES = ("GPT-2 tokens (vocabulary",)


def cli_reference() -> str:
    """docs/cli.md as typer renders the app now."""
    res = subprocess.run(
        [sys.executable, "-m", "typer", "--app", "app", "tokenvec.app.cli", "utils", "docs",
         "--name", "tokenvec", "--title", "tokenvec command line"],
        capture_output=True, text=True, check=True, env={**os.environ, "COLUMNS": "100"},
    )  # fmt: skip
    note = (
        "<!-- made by scripts/make_docs.py cli from the typer app; a test checks it is "
        "current -->\n\n"
    )
    return note + res.stdout.strip() + "\n"


def make_cli() -> None:
    CLI_DOC.write_text(cli_reference())
    print(f"wrote {CLI_DOC.relative_to(ROOT)}")


def make_images() -> None:
    for path, command in IMAGE_COMMANDS.items():
        args = command.split()
        exe = Path(sys.executable).with_name("tokenvec")
        subprocess.run([str(exe), *args[1:], "--overwrite"], cwd=ROOT, check=True)
        print(f"wrote {path}: {command}")


def make_screenshot() -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "screenshot_playground.py")], check=True)


def run_demo() -> str:
    """The output of a fresh ``tokenvec demo`` as an 80-column terminal shows it."""
    exe = Path(sys.executable).with_name("tokenvec")
    env = {**os.environ, "COLUMNS": str(DEMO_WIDTH), "TERM": "dumb"}
    res = subprocess.run([str(exe), "demo"], capture_output=True, text=True, check=True, env=env)
    return res.stdout


def demo_excerpt(output: str) -> str:
    """The demo's output without the tables named in OMIT_TABLES (a table starts at its
    title line, the line before its top border, and ends at its bottom border)."""
    lines = output.rstrip("\n").splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if nxt.startswith("┏") and any(t in line for t in OMIT_TABLES):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("└"):
                j += 1
            out.append(f"   ... (table: {line.strip()})")
            i = j + 1
            continue
        out.append(line.rstrip())
        i += 1
    return "\n".join(out) + "\n"


def section_rules(text: str) -> list[str]:
    """The section titles of demo output: the words of its ──── rule lines."""
    return [ln.strip("─ ").strip() for ln in text.splitlines() if re.match(r"^─{3,} .* ─{3,}$", ln)]


def readme_excerpt(readme: str | None = None) -> str:
    """The demo excerpt now in the tour page."""
    text = readme if readme is not None else TOUR.read_text()
    start = text.index(DEMO_BEGIN) + len(DEMO_BEGIN)
    block = text[start : text.index(DEMO_END)]
    return block.strip().removeprefix("```text").removesuffix("```").strip("\n") + "\n"


def make_demo() -> None:
    excerpt = demo_excerpt(run_demo())
    text = TOUR.read_text()
    start = text.index(DEMO_BEGIN) + len(DEMO_BEGIN)
    end = text.index(DEMO_END)
    TOUR.write_text(text[:start] + "\n```text\n" + excerpt + "```\n" + text[end:])
    print(
        f"wrote the demo excerpt into {TOUR.relative_to(ROOT)} ({len(excerpt.splitlines())} lines)"
    )


PARTS = {"cli": make_cli, "images": make_images, "screenshot": make_screenshot, "demo": make_demo}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("parts", nargs="*", help=f"any of {', '.join(PARTS)} (default: all)")
    args = ap.parse_args()
    unknown = [p for p in args.parts if p not in PARTS]
    if unknown:
        ap.error(f"unknown part {unknown[0]!r}; choose from {', '.join(PARTS)}")
    for name in args.parts or PARTS:
        PARTS[name]()


if __name__ == "__main__":
    main()
