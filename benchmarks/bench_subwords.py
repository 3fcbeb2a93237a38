"""Subword (fastText) models against gensim and the fastText tool: training, vectors for held-out
words, and opening a large .bin.

Run: ``python benchmarks/bench_subwords.py [--epochs 3] [--shapes builtin mixed] [--skip-open]
[--words 2000000] [--buckets 2000000] [--dim 300] [--seeds 5]``. Not a test.

Training: each tool trains in a fresh process on the same file (100 dims, window 5, negative 5,
min_count 5, n-grams of 3-6 characters, 2 threads, sample 1e-3, each tool's default learning
rate), on the built-in corpus and the mixed-length one of bench_word2vec. Reported: wall time of
the whole call, corpus words x epochs per second of it, Google analogy accuracy
(restrict_vocab=30000) and WordSim353 Spearman of the vocabulary's vectors (tokenvec.vectors.evaluate
for all three). Held-out words: 40 rare words (5-30 occurrences, 6+ letters) and every line that
holds one are removed, each tool trains again, and the cosine of each word's vector then (from
its n-grams only) to its vector from the full run is averaged.

Opening: a synthetic model of the requested size is written to a temporary folder (the
default is about 7 GB: a 4.8 GB input matrix and a 2.4 GB output matrix), then fresh processes
open it and answer a few queries, reporting wall time and resident memory (VmRSS: the model
is read into memory, as fastText and gensim read it, so that a file rewritten on disk while
open cannot end the process). gensim's
``load_facebook_vectors`` reads the whole model into memory, so it is timed on a smaller model
(``--gensim-words``), where both are measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import re
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


TRAIN_CHILD = """
import json, sys, time
T0 = time.perf_counter()
import numpy as np
import tokenvec as tv
which, path, sg, epochs, words_path, save = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
seed = int(sys.argv[7])
t = time.perf_counter()
if which == "tokenvec":
    v = tv.train_fasttext(path, sg=bool(sg), vector_size=100, window=5, negative=5, min_count=5,
                          min_n=3, max_n=6, threads=2, epochs=epochs, sample=1e-3, progress=False,
                          seed=seed)
    dt = time.perf_counter() - t
    keys, mat, get = v.index_to_key, v.vectors, v.word_vector
elif which == "gensim":
    from gensim.models import FastText
    m = FastText(corpus_file=path, sg=sg, vector_size=100, window=5, negative=5, min_count=5,
                 min_n=3, max_n=6, workers=2, epochs=epochs, sample=1e-3, seed=seed)
    dt = time.perf_counter() - t
    keys, mat, get = list(m.wv.index_to_key), m.wv.vectors, m.wv.get_vector
else:
    import fasttext
    m = fasttext.train_unsupervised(path, model="skipgram" if sg else "cbow", dim=100, ws=5,
                                    neg=5, minCount=5, minn=3, maxn=6, epoch=epochs, thread=2,
                                    t=1e-3, verbose=0)  # (its Python API takes no seed:
    # its runs differ by the threads' interleaving alone)
    dt = time.perf_counter() - t
    keys = [w for w in m.words if w != "</s>"]
    mat, get = np.stack([m.get_word_vector(w) for w in keys]), m.get_word_vector
wall = time.perf_counter() - T0
v = tv.Vectors(keys, np.asarray(mat, np.float32), on_duplicate="ignore")
acc = tv.evaluate.analogies(v, restrict_vocab=30000).accuracy
ws = tv.evaluate.word_pairs(v, "wordsim353").spearman
probe = open(words_path).read().split()
if save != "-":  # the vocabulary's vectors and the probe words', for aligning two runs
    np.savez(save, keys=np.array(keys), mat=np.asarray(mat, np.float32),
             probe=np.stack([np.asarray(get(w), np.float32) for w in probe]))
print(json.dumps({"s": dt, "wall": wall, "acc": acc, "ws": ws}))
"""
TOOLS = ("tokenvec", "gensim", "fasttext")


def train(
    which: str, path: Path, sg: int, epochs: int, probe: Path, save: str = "-", seed: int = 1
) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", TRAIN_CHILD, which, str(path), str(sg), str(epochs), str(probe),
         save, str(seed)],
        capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def train_seeds(
    which: str, path: Path, sg: int, epochs: int, probe: Path, save: str, seeds: int
) -> dict:
    """``train`` with seeds 1..``seeds`` (the first saves): the means, and the standard
    deviations of the scores."""
    runs = [train(which, path, sg, epochs, probe, save if s == 1 else "-", s)
            for s in range(1, seeds + 1)]  # fmt: skip
    out = {k: float(np.mean([r[k] for r in runs])) for k in ("s", "wall", "acc", "ws")}
    sd = (lambda k: float(np.std([r[k] for r in runs], ddof=1))) if seeds > 1 else (lambda k: 0.0)
    return {**out, "acc_sd": sd("acc"), "ws_sd": sd("ws"), "wall_sd": sd("wall")}


def held_out(text: str, n: int = 40) -> tuple[list[str], str]:
    """``n`` rare words (5-30 occurrences, 6+ letters) and the corpus without their lines."""
    import collections

    counts = collections.Counter(text.split())
    rare = sorted(w for w, c in counts.items() if 5 <= c <= 30 and len(w) >= 6 and w.isalpha())
    step = max(1, len(rare) // n)
    words = rare[::step][:n]
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b")
    kept = [ln for ln in text.splitlines() if not pattern.search(ln)]
    return words, "\n".join(kept) + "\n"


def aligned_cosines(full: Path, cut: Path, probe_words: list[str]) -> np.ndarray:
    """Cosines of the held-out run's probe vectors to the full run's, after mapping the
    held-out run onto the full one (orthogonal Procrustes on the words both hold): two runs
    are two coordinate systems, so vectors compare only once aligned."""
    a, b = np.load(full), np.load(cut)
    ia = {k: i for i, k in enumerate(a["keys"].tolist())}
    held = set(probe_words)
    common = [(ia[k], j) for j, k in enumerate(b["keys"].tolist()) if k in ia and k not in held]
    x = b["mat"][[j for _, j in common]].astype(np.float64)
    y = a["mat"][[i for i, _ in common]].astype(np.float64)
    unit = lambda m: m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)  # noqa: E731
    u, _, vt = np.linalg.svd(unit(x).T @ unit(y))
    mapped = unit(b["probe"].astype(np.float64) @ (u @ vt))
    return np.sum(mapped * unit(a["probe"].astype(np.float64)), axis=1)


def bench_training(
    folder: Path,
    shapes: list[str],
    epochs: int,
    models: tuple[str, ...] = ("sg", "cbow"),
    seeds: int = 1,
) -> list[str]:
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_word2vec import make_shapes

    paths = make_shapes(folder, shapes)
    text = paths["builtin"].read_text("utf-8") if "builtin" in paths else ""
    rows = [
        f"{'shape':8} {'model':5} {'tool':9} {'wall s':>7} {'words/s':>9} {'ratio':>6} "
        f"{'analogy':>8} {'ws353':>6}" + (f"  (mean of {seeds} seeds +- sd)" if seeds > 1 else "")
    ]
    full: dict[str, dict] = {}
    probe_words, reduced = held_out(text) if text else ([], "")
    probe = folder / "probe.txt"
    probe.write_text(" ".join(probe_words), "utf-8")
    for shape, path in paths.items():
        n_words = sum(len(ln.split()) for ln in path.open(encoding="utf-8"))
        for sg in [m == "sg" for m in models]:
            sg = int(sg)
            keep = shape == "builtin" and sg
            res = {
                t: train_seeds(t, path, sg, epochs, probe,
                               str(folder / f"full-{t}.npz") if keep else "-", seeds)
                for t in TOOLS
            }  # fmt: skip
            if shape == "builtin" and sg:
                full = res
            for t in TOOLS:
                r = res[t]
                ratio = res["tokenvec"]["wall"] and r["wall"] / res["tokenvec"]["wall"]
                rows.append(
                    f"{shape:8} {'sg' if sg else 'cbow':5} {t:9} {r['wall']:7.1f} "
                    f"{n_words * epochs / r['wall']:9,.0f} {ratio:6.2f} {r['acc']:8.4f} "
                    f"{r['ws']:6.3f}"
                    + (f"  +- {r['wall_sd']:.1f} s, {r['acc_sd']:.4f}, {r['ws_sd']:.3f}"
                       if seeds > 1 else "")
                )  # fmt: skip
    rows.append("ratio: the tool's wall time / tokenvec's (above 1: tokenvec is faster)")
    if full:
        cut = folder / "held_out.txt"
        cut.write_text(reduced, "utf-8")
        parts = []
        for t in TOOLS:
            train(t, cut, 1, epochs, probe, str(folder / f"cut-{t}.npz"))
            cos = aligned_cosines(folder / f"full-{t}.npz", folder / f"cut-{t}.npz", probe_words)
            parts.append(f"{t} {np.mean(cos):.3f} (median {np.median(cos):.3f})")
        rows.append(
            f"held-out words ({len(probe_words)}, skip-gram): cosine of the vector from n-grams "
            f"alone to the full run's, runs aligned by orthogonal Procrustes: " + ", ".join(parts)
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=2_000_000)
    parser.add_argument("--buckets", type=int, default=2_000_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--gensim-words", type=int, default=200_000)
    parser.add_argument("--dir", default=None, help="folder for the model files (default: tmp)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--shapes", nargs="+", default=["builtin", "mixed"])
    parser.add_argument("--models", nargs="+", default=["sg", "cbow"], choices=["sg", "cbow"])
    parser.add_argument("--skip-open", action="store_true")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--seeds", type=int, default=1, help="train each tool with this many seeds")
    args = parser.parse_args()
    rows: list[str] = []
    if not args.skip_training:
        with tempfile.TemporaryDirectory(dir=args.dir) as d:
            rows += bench_training(
                Path(d), args.shapes, args.epochs, tuple(args.models), args.seeds
            )
    if args.skip_open:
        print("\n".join(rows))
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        big = Path(d) / "big.bin"
        size = write_model(big, args.words, args.buckets, args.dim)
        run("tokenvec", big)  # page cache and numba cache warm, as for any second open
        r = run("tokenvec", big)
        rows.append(
            f"open {args.words:,} words + {args.buckets:,} buckets x {args.dim} "
            f"({size / 2**30:.1f} GiB): {r['open']:.2f} s, resident memory +{r['rss_open'] / 2**20:.0f} MiB; "
            f"5 lookups (3 out of vocabulary) {r['queries'] * 1e3:.0f} ms, +{r['rss_queries'] / 2**20:.0f} MiB "
            f"in all; whole process {r['total']:.2f} s (the model is read into memory)"
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
