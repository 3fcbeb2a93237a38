"""Smaller tables against quality: float16, int8 and PCA forms of real and large vectors.

Run: ``python benchmarks/bench_compress.py [--big-rows 1000000] [--skip-big]``. Not a test.

On GloVe 6B 50d (400,000 words), for each form: bytes of the table (codes and codebooks), Google analogy accuracy
(3CosAdd, restrict_vocab=30,000), WordSim353 Spearman, overlap of each of 1,000 words' top-10
neighbours with float32's, and the wall time of one ``most_similar`` query (median of 50,
after a warm-up). On a synthetic 1M x 300 table (``--big-rows``): bytes, top-10 overlap on 200
queries, query time, and the time to open the saved native folder in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import tokenvec as tv


def table_bytes(v: tv.Vectors) -> int:
    """Bytes of the stored table: codes, codebooks and kept lengths for compressed ones."""
    return v.nbytes


def overlap(ref: tv.Vectors, v: tv.Vectors, words: list[str]) -> float:
    same = 0
    for w in words:
        a = {k for k, _ in ref.most_similar(w, topn=10)}
        b = {k for k, _ in v.most_similar(w, topn=10)}
        same += len(a & b)
    return same / (10 * len(words))


def query_ms(v: tv.Vectors, word: str) -> float:
    v.most_similar(word, topn=10)
    times = []
    for _ in range(50):
        t = time.perf_counter()
        v.most_similar(word, topn=10)
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1e3)


OPEN = """
import sys, time
t = time.perf_counter()
import tokenvec as tv
v = tv.load_vectors(sys.argv[1])
v.most_similar(v.index_to_key[5], topn=10)
print(time.perf_counter() - t)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--big-rows", type=int, default=1_000_000)
    ap.add_argument("--skip-big", action="store_true")
    args = ap.parse_args()

    glove = tv.load("glove-6b-50d")
    forms = {
        "float32": glove,
        "float16": glove.quantize("float16"),
        "int8": glove.quantize("int8"),
        "int8, unit length": glove.quantize("int8", keep_norms=False),
        "PQ, 25 bytes a row (the default)": glove.quantize("pq"),
        "PQ, 25 bytes, lengths kept": glove.quantize("pq", keep_norms=True),
        "PQ, 10 bytes a row": glove.quantize("pq", subspaces=10),
        "PQ, 10 bytes, random training rows": glove.quantize("pq", subspaces=10, train_on="random"),
        "PQ, 12 bytes a row": glove.quantize("pq", subspaces=12),
        "RQ, 10 bytes a row (the default)": glove.quantize("rq"),
        "RQ, 11 bytes a row": glove.quantize("rq", subspaces=11),
        "PCA 25 dims": glove.reduce(25),
    }
    rng = np.random.default_rng(0)
    words = [glove.index_to_key[i] for i in rng.choice(30_000, 1000, replace=False)]
    base = table_bytes(glove)
    print("# GloVe 6B 50d, 400,000 words\n")
    print("| form | bytes | smaller | analogy (30k) | WordSim353 rho | top-10 overlap | "
          "query ms (ratio to float32) |\n|---|---|---|---|---|---|---|")  # fmt: skip
    ref_ms = None
    for name, v in forms.items():
        acc = tv.evaluate.analogies(v, restrict_vocab=30_000).accuracy
        rho = tv.evaluate.word_pairs(v, "wordsim353").spearman
        ov = overlap(glove, v, words) if v is not glove else 1.0
        ms = query_ms(v, "king")
        ref_ms = ref_ms or ms
        print(
            f"| {name} | {table_bytes(v) / 2**20:.1f} MiB | {base / table_bytes(v):.2f}x | "
            f"{100 * acc:.2f}% | {rho:.4f} | {ov:.3f} | {ms:.2f} ({ref_ms / ms:.2f}x) |"
        )

    if args.skip_big:
        return
    n, d = args.big_rows, 300
    print(f"\n# Synthetic {n:,} x {d} (Gaussian rows with a shared low-rank part)\n")
    low = rng.standard_normal((n, 20)).astype(np.float32) @ rng.standard_normal((20, d)).astype(
        np.float32
    )
    big = tv.Vectors([f"w{i}" for i in range(n)], low + rng.standard_normal((n, d), np.float32))
    del low
    queries = [big.index_to_key[i] for i in rng.choice(n, 200, replace=False)]
    print("| form | bytes | smaller | top-10 overlap | query ms (ratio) | fresh open + query s |"
          "\n|---|---|---|---|---|---|")  # fmt: skip
    ref_ms = None
    with tempfile.TemporaryDirectory() as tmp:
        for name, v in (("float32", big), ("float16", big.quantize("float16")),
                        ("int8", big.quantize("int8"))):  # fmt: skip
            ov = overlap(big, v, queries[:50]) if v is not big else 1.0
            ms = query_ms(v, queries[0])
            ref_ms = ref_ms or ms
            path = v.save(Path(tmp) / name)
            res = subprocess.run([sys.executable, "-c", OPEN, str(path)], capture_output=True,
                                 text=True, check=True)  # fmt: skip
            opened = float(res.stdout.strip().splitlines()[-1])
            print(
                f"| {name} | {table_bytes(v) / 2**20:,.0f} MiB | {table_bytes(big) / table_bytes(v):.2f}x "
                f"| {ov:.3f} | {ms:.1f} ({ref_ms / ms:.2f}x) | {opened:.2f} |"
            )
    print(json.dumps({"done": True}))


if __name__ == "__main__":
    main()
