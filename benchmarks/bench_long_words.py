"""The vector of a long word outside the vocabulary: compiled n-grams against the reference.

Run: ``python benchmarks/bench_long_words.py [--model lee_fasttext.bin]``. Not a test.

A fastText word vector is the mean of the rows of its character n-grams. The plain reference
(:func:`tokenvec.io.fasttext_bin.subword_rows` and the mean of those rows) hashes every n-gram in
Python; :func:`tokenvec.io.fasttext_rows.word_vector` hashes and sums them in one compiled pass. Both
are timed on words of 1,000 to 1,000,000 characters (the first compiled call, which loads the
kernel from numba's cache or compiles it, is reported on its own), and must agree exactly.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np

import tokenvec as tv
from tokenvec.io import fasttext_rows as _subword
from tokenvec.io.fasttext_bin import subword_rows
from tokenvec.vectors.subwords import _mean_rows


def default_model() -> Path:
    spec = importlib.util.find_spec("gensim")
    if spec is None or spec.origin is None:
        raise SystemExit("pass --model PATH (gensim's test models are not installed)")
    return Path(spec.origin).parent / "test" / "test_data" / "lee_fasttext.bin"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None)
    args = ap.parse_args()
    v = tv.load_fasttext(args.model or default_model())
    start = time.perf_counter()
    _subword.word_vector(v.model, b"x" * 40, None)
    print(f"first compiled call (kernel load): {time.perf_counter() - start:.3f} s")
    for n in (1_000, 100_000, 1_000_000):
        word = b"abcdefghij" * (n // 10)
        start = time.perf_counter()
        want = _mean_rows(v.model.input, subword_rows(v.model, word, None))
        plain = time.perf_counter() - start
        start = time.perf_counter()
        got, _ = _subword.word_vector(v.model, word, None)
        compiled = time.perf_counter() - start
        same = "identical" if np.array_equal(want, got) else "DIFFERENT"
        print(f"{n:>9,} characters: reference {plain:.3f} s, compiled {compiled * 1e3:.1f} ms "
              f"({plain / compiled:.0f}x), {same}")  # fmt: skip


if __name__ == "__main__":
    main()
