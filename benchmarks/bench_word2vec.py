"""word2vec training: tokenvec against gensim on three corpus shapes, in one run.

Run: ``python benchmarks/bench_word2vec.py [--epochs 5] [--threads 1 2] [--only sg|cbow]
[--shapes builtin text8 mixed] [--warm]``.
Not a test. Each training runs in a fresh process (so peak memory is its own); all read the same
corpus file, one sentence a line, with the same settings, on three shapes built from the
built-in corpus; gensim runs both its modes (``LineSentence`` and ``corpus_file``) and the
faster counts. Reported as a user waits: wall time from process start (imports included) and
of the first call (vocabulary, the kernel loaded from numba's cache or compiled, training;
``--warm`` adds a second call in the same process beside it), corpus words per second (words x
epochs / first-call time), peak memory (VmHWM above the RSS at the start of the call, the mark
reset there; both libraries imported before, numba for tokenvec; what loading tokenvec's
compiled kernel adds, once a process, is measured apart and the peak without it shown beside),
Google analogy accuracy
(restrict_vocab=30000) and WordSim353 Spearman, evaluated by tokenvec.evaluate.
"""

from __future__ import annotations

import argparse
import json
import lzma
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tokenvec.word2vec.corpus import builtin_corpus_path

CHILD = """
import time
T0 = time.perf_counter()  # the process starts: imports count, as a user waits for them
import json, sys
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
def hwm():
    return status("VmHWM:")
def start():
    # Reset the high-water mark to the current RSS (Linux clear_refs 5), so the peak counts
    # only what the training itself adds, not what imports or a warm-up left behind.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return status("VmRSS:")
import numpy as np
import tokenvec as tv
which, path, sg, epochs, threads, warm = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
kw = dict(vector_size=100, window=5, negative=5, min_count=5, sample=1e-3, epochs=epochs)
if which.startswith("gensim"):
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence
    def call():
        if which == "gensim-file":  # gensim's faster mode: it reads the file in C
            return Word2Vec(corpus_file=path, sg=sg, workers=threads, seed=1, **kw)
        return Word2Vec(LineSentence(path), sg=sg, workers=threads, seed=1, **kw)
    base = start()
    t = time.perf_counter()
    m = call()
    dt = time.perf_counter() - t
    fresh = time.perf_counter() - T0
    keys, mat = list(m.wv.index_to_key), m.wv.vectors
    cache = "-"
else:
    from tokenvec.word2vec import Word2Vec, Word2VecConfig
    from tokenvec.word2vec import _numba  # numba itself, as gensim.models brings its C code
    def call():
        return Word2Vec(Word2VecConfig(sg=bool(sg), threads=threads, seed=1, **kw)).train(path, progress=False)
    base = start()
    t = time.perf_counter()
    wv = call()  # the first call: loads the compiled kernel from numba's cache (or compiles it)
    dt = time.perf_counter() - t
    fresh = time.perf_counter() - T0
    keys, mat = wv.index_to_key, wv.vectors
    st = _numba.train_chunk.stats
    cache = "hit" if sum(st.cache_hits.values()) else "miss (compiled)"
peak = hwm() - base
warm_s = None
if warm:  # the same call again in this process, everything loaded: the warm figure, beside
    t = time.perf_counter()
    call()
    warm_s = time.perf_counter() - t
v = tv.Vectors(keys, np.asarray(mat))
words = sum(len(line.split()) for line in open(path))
acc = tv.evaluate.analogies(v, restrict_vocab=30000)
ws = tv.evaluate.word_pairs(v, "wordsim353")
print(json.dumps({"s": dt, "fresh": fresh, "warm_s": warm_s, "cache": cache,
                  "wps": words * epochs / dt, "peak": peak, "acc": acc.accuracy,
                  "questions": acc.total.total, "ws353": ws.spearman, "vocab": len(keys)}))
"""


LOAD_CHILD = """
import tokenvec as tv
from tokenvec.word2vec import Word2Vec, _numba
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
base = status("VmRSS:")
Word2Vec(min_count=1, vector_size=4, epochs=1, threads=1).train([["a", "b"]] * 5, progress=False)
print(status("VmHWM:") - base)
"""


def kernel_load_bytes() -> int:
    """What loading the compiled kernel adds to a process (numba's LLVM machinery reading its
    cache; gensim's C code is loaded by its import, before the peak's mark is reset)."""
    out = subprocess.run([sys.executable, "-c", LOAD_CHILD], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return int(out.stdout.split()[-1])


def run(which: str, path: Path, sg: int, epochs: int, threads: int, warm: bool) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            which,
            str(path),
            str(sg),
            str(epochs),
            str(threads),
            str(int(warm)),
        ],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_shapes(folder: Path, names: list[str]) -> dict[str, Path]:
    """The corpus shapes: the built-in corpus (a paragraph a line), one text8-style line of all
    its words, and a mixed one (its lines, with 40 runs of paragraphs glued into lines of
    10,000-20,000 words)."""
    text = lzma.decompress(builtin_corpus_path().read_bytes()).decode("utf-8")
    lines = text.splitlines()
    out: dict[str, Path] = {}
    for name in names:
        path = folder / f"{name}.txt"
        if name == "builtin":
            path.write_text(text, encoding="utf-8")
        elif name == "text8":
            path.write_text(" ".join(text.split()) + "\n", encoding="utf-8")
        elif name == "mixed":
            rng = random.Random(0)
            step, mixed, i = len(lines) // 40, [], 0
            while i < len(lines):
                if i % step == 0:
                    target, buf = rng.randint(10_000, 20_000), []
                    while i < len(lines) and len(buf) < target:
                        buf.extend(lines[i].split())
                        i += 1
                    mixed.append(" ".join(buf))
                else:
                    mixed.append(lines[i])
                    i += 1
            path.write_text("\n".join(mixed) + "\n", encoding="utf-8")
        else:
            raise SystemExit(f"unknown shape {name!r}: builtin, text8 or mixed")
        out[name] = path
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", choices=["sg", "cbow"])
    parser.add_argument("--shapes", nargs="+", default=["builtin", "text8", "mixed"])
    parser.add_argument(
        "--warm", action="store_true", help="also time a second call in the same process"
    )
    args = parser.parse_args()
    models = [(n, sg) for n, sg in (("sg", 1), ("cbow", 0)) if not args.only or args.only == n]
    print(
        f"{args.epochs} epochs; gensim: the faster of LineSentence and corpus_file; "
        f"words/s of the first call in a fresh process; peak = what the call adds"
    )
    load = kernel_load_bytes()
    print(
        f"loading tokenvec's compiled kernel adds {load / 2**20:.0f} MiB once per process; "
        "peak (load excluded) beside"
    )
    head = (
        f"{'shape':8} {'model':5} {'thr':>3} {'tokenvec w/s':>13} {'gensim w/s':>12} {'mode':>5} "
        f"{'ratio':>6} {'fresh':>6} {'warm':>6} {'peak':>14} {'analogy':>8} {'ws353':>11}"
    )
    scaling: dict[tuple[str, str], dict[int, float]] = {}
    with tempfile.TemporaryDirectory() as d:
        for shape, path in make_shapes(Path(d), args.shapes).items():
            n_words = sum(len(line.split()) for line in path.open())
            print(f"\n{shape}: {n_words:,} words in {sum(1 for _ in path.open()):,} lines")
            print(head)
            for name, sg in models:
                for threads in args.threads:
                    ours = run("tokenvec", path, sg, args.epochs, threads, args.warm)
                    line = run("gensim", path, sg, args.epochs, threads, args.warm)
                    file = run("gensim-file", path, sg, args.epochs, threads, args.warm)
                    theirs, mode = (file, "file") if file["s"] < line["s"] else (line, "line")
                    scaling.setdefault((shape, name), {})[threads] = ours["s"]
                    warm = (
                        f"{theirs['warm_s'] / ours['warm_s']:5.2f}x" if args.warm else f"{'-':>6}"
                    )
                    print(
                        f"{shape:8} {name:5} {threads:3d} {ours['wps']:13,.0f} "
                        f"{theirs['wps']:12,.0f} {mode:>5} {ours['wps'] / theirs['wps']:5.2f}x "
                        f"{theirs['fresh'] / ours['fresh']:5.2f}x {warm} "
                        f"{ours['peak'] / theirs['peak']:5.2f}x "
                        f"({(ours['peak'] - load) / theirs['peak']:4.2f}x) "
                        f"{100 * (ours['acc'] - theirs['acc']):+7.1f}pt "
                        f"{ours['ws353']:5.3f}/{theirs['ws353']:5.3f}"
                    )
            print(f"(tokenvec kernel: cache {ours['cache']})")
    print(
        "\nratio: words/s against gensim's faster mode (targets: skip-gram >= 1.5x, CBOW >= 2.0x);"
        " fresh: process start to trained; peak: target <= 1.2x; analogy: target >= -1 pt"
    )
    for (shape, name), t in scaling.items():
        if 1 in t and 2 in t:
            print(
                f"tokenvec {name} on {shape}: 2 threads {t[1] / t[2]:.2f}x one thread (target >= 1.8x)"
            )


if __name__ == "__main__":
    main()
