"""What a durable save costs: the same saves with and without flushing to the disk.

Run: ``python benchmarks/bench_save.py [--rows 1000000] [--dim 300] [--repeats 3]``. Not a test.

Every tokenvec save writes a temporary sibling, flushes it (each file of a folder, then the
folder), renames it over the target and flushes the parent folder, so that after a power cut
the target is the old content or the new one, never an empty file. This measures that cost on
a ``rows x dim`` float32 table for the native folder, word2vec binary and GloVe text (on a
tenth of the rows: text is slow to format), against the same save with the flushes turned
off, alternating the two in one process, each after ``sync`` so that neither pays for the
other's pages still being written back. Ratios above 1.0 are the price of durability.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import tokenvec as tv
from tokenvec.io import files as _files


def timed_save(v: tv.Vectors, target: Path, fmt: str, durable: bool) -> float:
    real = _files.make_durable, _files._fsync
    if not durable:
        _files.make_durable = lambda tmp: None  # type: ignore[assignment]
        _files._fsync = lambda path, folder=False: None  # type: ignore[assignment]
    try:
        os.sync()  # neither save pays for the other's pages still being written back
        start = time.perf_counter()
        v.save(target, format=fmt, overwrite=True)
        return time.perf_counter() - start
    finally:
        _files.make_durable, _files._fsync = real


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=None, help="where to write (default: a temp dir)")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    mat = rng.standard_normal((args.rows, args.dim), dtype=np.float32)
    keys = [f"w{i}" for i in range(args.rows)]
    big = tv.Vectors(keys, mat, on_duplicate="ignore")
    small = tv.Vectors(keys[: args.rows // 10], mat[: args.rows // 10], on_duplicate="ignore")
    root = Path(tempfile.mkdtemp(dir=args.dir))
    try:
        print(f"{args.rows:,} x {args.dim} float32 ({mat.nbytes / 2**30:.2f} GiB), in {root}")
        print(f"{'format':<16} {'rows':>10} {'durable s':>10} {'plain s':>10} {'ratio':>7}")
        for fmt, v in (("native", big), ("word2vec", big), ("glove", small)):
            durable, plain = [], []
            for _ in range(args.repeats):
                plain.append(timed_save(v, root / f"plain.{fmt}", fmt, durable=False))
                durable.append(timed_save(v, root / f"durable.{fmt}", fmt, durable=True))
            d, p = statistics.median(durable), statistics.median(plain)
            print(f"{fmt:<16} {len(v):>10,} {d:>10.2f} {p:>10.2f} {d / p:>6.2f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
