"""Subword (fastText) models: opening a large .bin, and out-of-vocabulary lookups, against gensim.

Run: ``python benchmarks/bench_subwords.py [--words 2000000] [--buckets 2000000] [--dim 300]``.
Not a test. A synthetic model of the requested size is written to a temporary folder (the
default is about 7 GB: a 4.8 GB input matrix and a 2.4 GB output matrix), then fresh processes
open it and answer a few queries, reporting wall time and resident memory (VmRSS, which for a
memory-mapped model grows only with the pages queries touch). gensim's
``load_facebook_vectors`` reads the whole model into memory, so it is timed on a smaller model
(``--gensim-words``), where both are measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CHILD = """
import json, sys, time
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
t0 = time.perf_counter()
{setup}
base = rss()
t = time.perf_counter()
v = load(sys.argv[1])
opened = time.perf_counter() - t
after_open = rss() - base
t = time.perf_counter()
for w in ["w17", "w123456", "kingz", "xyzzyq", "w999x"]:
    v[w]
queries = time.perf_counter() - t
print(json.dumps({{"open": opened, "rss_open": after_open, "queries": queries,
                  "rss_queries": rss() - base, "total": time.perf_counter() - t0}}))
"""
SETUPS = {
    "tokenvec": "import tokenvec as tv\nload = tv.load_fasttext",
    "gensim": "from gensim.models.fasttext import load_facebook_vectors as load",
}


def write_model(path: Path, words: int, buckets: int, dim: int) -> int:
    """A synthetic skip-gram model of ``words`` words and ``buckets`` n-gram rows."""
    rng = np.random.default_rng(0)
    block = rng.standard_normal((max(1, 2**22 // dim), dim), dtype=np.float32) * 0.1
    with open(path, "wb") as f:
        f.write(struct.pack("<2i", 793712314, 12))
        f.write(struct.pack("<12id", dim, 5, 5, 5, 5, 1, 2, 2, buckets, 3, 6, 100, 1e-4))
        f.write(struct.pack("<3iqq", words, words, 0, 10 * words, -1))
        entry = struct.Struct("<qb")
        step = 100_000
        for lo in range(0, words, step):
            f.write(
                b"".join(
                    f"w{i}".encode() + b"\0" + entry.pack(words - i, 0)
                    for i in range(lo, min(words, lo + step))
                )
            )
        for rows in (words + buckets, words):
            f.write(struct.pack("<?2q", False, rows, dim))
            left = rows
            while left:
                n = min(left, len(block))
                f.write(block[:n].tobytes())
                left -= n
    return path.stat().st_size


def run(kind: str, path: Path) -> dict[str, float]:
    code = CHILD.format(setup=SETUPS[kind])
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=2_000_000)
    parser.add_argument("--buckets", type=int, default=2_000_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--gensim-words", type=int, default=200_000)
    parser.add_argument("--dir", default=None, help="folder for the model files (default: tmp)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        big = Path(d) / "big.bin"
        size = write_model(big, args.words, args.buckets, args.dim)
        run("tokenvec", big)  # page cache and numba cache warm, as for any second open
        r = run("tokenvec", big)
        rows.append(
            f"open {args.words:,} words + {args.buckets:,} buckets x {args.dim} "
            f"({size / 2**30:.1f} GiB): {r['open']:.2f} s, resident memory +{r['rss_open'] / 2**20:.0f} MiB; "
            f"5 lookups (3 out of vocabulary) {r['queries'] * 1e3:.0f} ms, +{r['rss_queries'] / 2**20:.0f} MiB "
            f"in all; whole process {r['total']:.2f} s (target: open well under 1 s)"
        )
        big.unlink()
        small = Path(d) / "small.bin"
        size = write_model(small, args.gensim_words, args.gensim_words, args.dim)
        ours, theirs = run("tokenvec", small), run("gensim", small)
        ours = run("tokenvec", small)
        rows.append(
            f"open {args.gensim_words:,} + {args.gensim_words:,} x {args.dim} ({size / 2**30:.2f} GiB): "
            f"tokenvec {ours['open']:.2f} s (+{ours['rss_open'] / 2**20:.0f} MiB), gensim "
            f"{theirs['open']:.2f} s (+{theirs['rss_open'] / 2**20:.0f} MiB) -> "
            f"{theirs['open'] / ours['open']:.0f}x faster, "
            f"{theirs['rss_open'] / max(ours['rss_open'], 1):.0f}x less memory"
        )
    print()
    for r in rows:
        print(r)


if __name__ == "__main__":
    main()
