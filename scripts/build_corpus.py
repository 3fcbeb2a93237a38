"""Build tokenvec's built-in English corpus from Debian packages of free text.

Needs (Debian 12):
    apt-get install bible-kjv bible-kjv-text r-cran-janeaustenr r-cran-tokenizers \\
        wordnet-base dict-devil
(``r-cran-*`` bring Rscript, used only to print the R data sets.)

Writes ``src/tokenvec/assets/corpus.txt.xz``: lowercase words separated by single spaces, one
paragraph per line, sources in a fixed order, and ``src/tokenvec/assets/CORPUS.md`` with the
sources, their licences and the counts. Run: ``python scripts/build_corpus.py --force`` to
replace the shipped files, or ``--out DIR`` to write elsewhere.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import lzma
import re
import subprocess
import unicodedata
from collections.abc import Iterator
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "tokenvec" / "assets"
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def normalise(text: str) -> str:
    """Lowercase words of ``text`` joined by spaces: "Don’t PANIC!" -> "don't panic"."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = text.replace("\u2019", "'").lower()
    return " ".join(WORD.findall(text))


def paragraphs(lines: list[str]) -> Iterator[str]:
    """Join runs of non-blank lines into paragraphs."""
    buf: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            buf.append(line.strip())
        elif buf:
            yield " ".join(buf)
            buf = []


def bible() -> Iterator[str]:
    """King James Bible, one verse a line (the `bible` program of package bible-kjv)."""
    out = subprocess.run(
        ["bible", "-l100000", "Gen1:1-Rev22:21"], capture_output=True, text=True, check=True
    ).stdout
    for line in out.splitlines():
        verse = re.sub(r"^\s*(?:[1-3]?[A-Za-z]+\d+:\d+|\d+)\s+", "", line)
        if verse.strip():
            yield verse


def r_lines(expr: str) -> list[str]:
    code = f"writeLines({expr})"
    return subprocess.run(
        ["Rscript", "-e", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()


def austen() -> Iterator[str]:
    """Jane Austen's six novels (R package janeaustenr)."""
    yield from paragraphs(r_lines("janeaustenr::austen_books()$text"))


def moby_dick() -> Iterator[str]:
    """Moby Dick (R package tokenizers' data set mobydick)."""
    yield from paragraphs(r_lines("tokenizers::mobydick"))


def wordnet() -> Iterator[str]:
    """WordNet 3.0 glosses, one synset a line (package wordnet-base)."""
    for pos in ("noun", "verb", "adj", "adv"):
        with open(f"/usr/share/wordnet/data.{pos}", encoding="latin-1") as f:
            for line in f:
                if line.startswith("  ") or " | " not in line:
                    continue
                yield line.split(" | ", 1)[1]


def devil() -> Iterator[str]:
    """Ambrose Bierce, The Devil's Dictionary (package dict-devil)."""
    with gzip.open("/usr/share/dictd/devil.dict.dz", "rt", encoding="latin-1") as f:
        lines = f.read().splitlines()
    body = [ln for ln in lines if not ln.startswith("00-database")]
    yield from paragraphs(body)


SOURCES = [
    ("King James Bible", "bible-kjv-text", "public domain (text); package GPL-2+", bible),
    ("Jane Austen, six novels", "r-cran-janeaustenr", "public domain (text); package MIT", austen),
    (
        "Herman Melville, Moby Dick",
        "r-cran-tokenizers",
        "public domain (text); package MIT",
        moby_dick,
    ),
    ("WordNet 3.0 glosses", "wordnet-base", "WordNet 3.0 licence (Princeton, permissive)", wordnet),
    ("Ambrose Bierce, The Devil's Dictionary", "dict-devil", "public domain", devil),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    parser.add_argument(
        "--force", action="store_true", help="replace existing corpus files in the output folder"
    )
    args = parser.parse_args()
    out: Path = args.out
    target = out / "corpus.txt.xz"
    if target.exists() and not args.force:
        parser.error(f"{target} exists (a shipped file); pass --force to rebuild it")
    out.mkdir(parents=True, exist_ok=True)
    counts = []
    vocab: collections.Counter[str] = collections.Counter()
    lines: list[str] = []
    for name, package, licence, fn in SOURCES:
        n_words = n_lines = 0
        for para in fn():
            text = normalise(para)
            if not text:
                continue
            words = text.split()
            n_words += len(words)
            n_lines += 1
            vocab.update(words)
            lines.append(text)
        counts.append((name, package, licence, n_lines, n_words))
        print(f"{name}: {n_lines:,} paragraphs, {n_words:,} words")
    data = ("\n".join(lines) + "\n").encode("ascii")
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
    tmp.replace(target)
    total = sum(c[4] for c in counts)
    min5 = sum(1 for c in vocab.values() if c >= 5)
    rows = "\n".join(f"| {n} | `{p}` | {lic} | {pl:,} | {w:,} |" for n, p, lic, pl, w in counts)
    (out / "CORPUS.md").write_text(
        "# The built-in corpus\n\n"
        "`corpus.txt.xz`, built by `scripts/build_corpus.py` from these Debian packages: lowercase\n"
        "ASCII words, one paragraph (a verse, a gloss, a dictionary entry) per line.\n\n"
        "| source | Debian package | licence | paragraphs | words |\n|---|---|---|---|---|\n"
        f"{rows}\n| **total** | | | {len(lines):,} | {total:,} |\n\n"
        f"Vocabulary: {len(vocab):,} distinct words, {min5:,} occurring at least 5 times. "
        f"Compressed size: {target.stat().st_size / 2**20:.1f} MiB.\n",
        encoding="utf-8",
    )
    print(f"total {total:,} words, vocabulary {len(vocab):,} ({min5:,} with count >= 5)")
    print(f"wrote {target} ({target.stat().st_size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
