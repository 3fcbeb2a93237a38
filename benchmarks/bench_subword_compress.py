"""A fastText model made smaller, unknown words kept: size and quality of each stored form.

Run: ``python benchmarks/bench_subword_compress.py [--bucket 200000] [--seed 1]``. Not a test.

Trains subword vectors on the built-in corpus (100 dimensions, n-grams of 3-6 characters,
``--bucket`` n-gram rows, 5 epochs), then quantizes the model to float16, int8, PQ (the
default: a byte per two dimensions) and RQ (the default: a byte per five), each its word rows
and its n-gram rows. For each form: bytes stored (word and n-gram rows, codebooks, kept
lengths) and of its native folder on disk, Google analogy accuracy (restrict_vocab=30,000),
and for 2,000 misspellings of vocabulary words (one letter changed, not themselves words) the
cosine of the form's vector with the float32 model's, and the overlap of their top-10
neighbours with float32's.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import tokenvec as tv


def misspellings(v: tv.Vectors, n: int, rng: np.random.Generator) -> list[str]:
    """``n`` strings one letter away from a frequent vocabulary word, none in the vocabulary."""
    out: list[str] = []
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = [w for w in v.index_to_key[:20_000] if w.isalpha() and len(w) >= 4]
    while len(out) < n:
        w = words[int(rng.integers(len(words)))]
        i = int(rng.integers(len(w)))
        bad = w[:i] + letters[int(rng.integers(26))] + w[i + 1 :]
        if bad not in v and bad not in out:
            out.append(bad)
    return out


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bucket", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ft = tv.train_fasttext(vector_size=100, bucket=args.bucket, seed=args.seed, progress=False)
    print(f"trained {ft!r} in {time.perf_counter() - t0:.0f} s\n")
    rng = np.random.default_rng(0)
    probes = misspellings(ft, 2000, rng)
    ref = np.stack([ft[w] for w in probes])
    ref_top = [{k for k, _ in ft.most_similar(w, topn=10)} for w in probes[:200]]
    forms = {
        "float32": ft,
        "float16": ft.quantize("float16"),
        "int8": ft.quantize("int8"),
        "PQ, 50 bytes a row (default)": ft.quantize("pq"),
        "RQ, 20 bytes a row (default)": ft.quantize("rq"),
    }
    base = ft.nbytes + ft.ngrams.nbytes
    print("| form | bytes stored | smaller | folder on disk | analogy (30k) | "
          "unknown words: cosine to float32 (mean / min) | their top-10 overlap |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, v in forms.items():
            stored = v.nbytes + v.ngrams.nbytes  # type: ignore[attr-defined]
            disk = folder_bytes(v.save(Path(tmp) / name.split(",")[0]))
            acc = tv.evaluate.analogies(v, restrict_vocab=30_000).accuracy
            got = np.stack([v[w] for w in probes])
            cos = np.sum(got * ref, axis=1) / (
                np.linalg.norm(got, axis=1) * np.linalg.norm(ref, axis=1)
            )
            top = np.mean([len({k for k, _ in v.most_similar(w, topn=10)} & r) / 10
                           for w, r in zip(probes[:200], ref_top, strict=True)])  # fmt: skip
            print(
                f"| {name} | {stored / 2**20:.1f} MiB | {base / stored:.2f}x | "
                f"{disk / 2**20:.1f} MiB | {100 * acc:.2f}% | {cos.mean():.4f} / {cos.min():.4f} "
                f"| {top:.3f} |"
            )


if __name__ == "__main__":
    main()
