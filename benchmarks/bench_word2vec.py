"""word2vec training: tokenvec against gensim on three corpus shapes, in one run.

Run: ``python benchmarks/bench_word2vec.py [--epochs 5] [--threads 1 2] [--only sg|cbow]
[--shapes builtin text8 mixed large] [--warm] [--seeds 3] [--repeats 3] [--steps default
exact]``, or ``--sizes 1 4 17 50 --plot docs/word2vec-sizes.png`` for words/s against corpus
size. tokenvec runs its default step (``batch=None``: skip-gram's batched step, CBOW's classic
one, in the code compiled for the vector size) and its exact one (``batch=False``: the classic
per-pair step in the code for any size); ``--repeats N`` runs every tool N times, in rounds (one
run of each tool at each thread count a round, so a slow spell of this machine falls on all of
them alike), and keeps each tool's median run; two threads' scaling is the median of the
rounds' ratios.
Not a test. Each training runs in a fresh process (so peak memory is its own); all read the same
corpus file, one sentence a line, with the same settings, on three shapes built from the
built-in corpus; gensim runs both its modes (``LineSentence`` and ``corpus_file``) and the
faster counts. Reported as a user waits: wall time from process start (imports included) and
of the first call (vocabulary, the kernel loaded from numba's cache or compiled, training;
``--warm`` adds a second call in the same process beside it), corpus words per second (words x
epochs / first-call time), peak memory (VmHWM above the RSS at the start of the call, the mark
reset there; both libraries imported before, numba for tokenvec; what loading tokenvec's
compiled kernel adds, once a process, is measured apart and the peak without it shown beside;
the process's whole peak, imports included, beside that), Google analogy accuracy
(restrict_vocab=30000) and WordSim353 Spearman, evaluated by tokenvec.vectors.evaluate.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
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
import json, os, sys
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
which, path, sg, epochs, threads, warm, seeds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
kw = dict(vector_size=100, window=5, negative=5, min_count=5, sample=1e-3, epochs=epochs)
secs = []  # tokenvec's epochs: the training loop alone, for its thread scaling
if which.startswith("gensim"):
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence
    def call(seed=1):
        if which == "gensim-file":  # gensim's faster mode: it reads the file in C
            m = Word2Vec(corpus_file=path, sg=sg, workers=threads, seed=seed, **kw)
        else:
            m = Word2Vec(LineSentence(path), sg=sg, workers=threads, seed=seed, **kw)
        return tv.Vectors(list(m.wv.index_to_key), np.asarray(m.wv.vectors))
    imports = hwm()
    base = start()
    t = time.perf_counter()
    v = call()
    dt = time.perf_counter() - t
    fresh = time.perf_counter() - T0
    cache = "-"
else:
    from tokenvec.word2vec import Word2Vec, Word2VecConfig
    from tokenvec.word2vec import _numba, _batched_numba  # numba itself, as gensim's C code
    batch = None if which == "tokenvec" else False  # the default step, or the exact one
    def call(seed=1, record=None):
        cbs = [lambda e: record.append(e.seconds)] if record is not None else []
        decay_by = os.environ.get("BENCH_DECAY_BY", "words")
        m = Word2Vec(Word2VecConfig(sg=bool(sg), threads=threads, seed=seed, batch=batch,
                                    decay_by=decay_by, **kw))
        return m.train(path, progress=False, callbacks=cbs)
    imports = hwm()
    base = start()
    t = time.perf_counter()
    v = call(record=secs)  # the first call: loads the kernel from numba's cache (or compiles)
    dt = time.perf_counter() - t
    fresh = time.perf_counter() - T0
    st = (_batched_numba.train_chunk_batched if sg and batch is None else _numba.train_chunk).stats
    cache = "hit" if sum(st.cache_hits.values()) else "miss (compiled)"
peak = hwm() - base
process_peak = max(imports, hwm())  # imports included: what `time -v` reports
warm_s = None
if warm:  # the same call again in this process, everything loaded: the warm figure, beside
    t = time.perf_counter()
    call()
    warm_s = time.perf_counter() - t
words = sum(len(line.split()) for line in open(path))
accs, wss = [], []
for seed in range(1, seeds + 1):  # more seeds: the mean accuracy, less of one draw's luck
    v = v if seed == 1 else call(seed)
    acc = tv.evaluate.analogies(v, restrict_vocab=30000)
    accs.append(acc.accuracy)
    wss.append(tv.evaluate.word_pairs(v, "wordsim353").spearman)
print(json.dumps({"s": dt, "fresh": fresh, "warm_s": warm_s, "cache": cache,
                  "wps": words * epochs / dt, "peak": peak, "process_peak": process_peak,
                  "loop_s": sum(secs) or None, "acc": float(np.mean(accs)),
                  "acc_sd": float(np.std(accs, ddof=1)) if seeds > 1 else None,
                  "questions": acc.total.total, "ws353": float(np.mean(wss)),
                  "ws353_sd": float(np.std(wss, ddof=1)) if seeds > 1 else None,
                  "vocab": len(v)}))
"""


RUNTIME_CHILD = """
import json, sys
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
out = {"python": rss()}
import numpy
out["numpy"] = rss()
if sys.argv[1] == "gensim":
    import gensim.models
    out["library"] = rss()
else:
    import tokenvec
    out["library"] = rss()
    import llvmlite.binding
    out["llvmlite"] = rss()
    from tokenvec.word2vec import Word2Vec, _numba
    out["numba"] = rss()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = rss()
    Word2Vec(min_count=1, vector_size=4, epochs=1, threads=1).train([["a", "b"]] * 5, progress=False)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            out["kernel"] = int(line.split()[1]) * 1024 - base
print(json.dumps(out))
"""


def warm_kernels() -> None:
    """Compile the training kernels the runs take (both steps; the code for any width and
    for 100) if numba's cache is stale (after an edit), so that no measured process pays for
    a compilation."""
    code = (
        "from tokenvec.word2vec import Word2Vec, Word2VecConfig\n"
        "for batch in (False, None):\n"
        "  for sg in (True, False):\n"
        "    cfg = Word2VecConfig(sg=sg, batch=batch, min_count=1, vector_size=100, epochs=1)\n"
        "    Word2Vec(cfg).train([['a', 'b']] * 5, progress=False)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def runtime_bytes(which: str) -> dict[str, int]:
    """What each library's runtime costs a process before any corpus: its imports (gensim's
    brings its C code and scipy); for tokenvec, llvmlite's LLVM library, numba, and what the
    first compiled kernel's load adds (numba's registries, and scipy where it is installed:
    numba imports it to look for BLAS). The peak column counts this kernel load, as it
    happens inside the call; gensim's C code loads before the mark."""
    out = subprocess.run(
        [sys.executable, "-c", RUNTIME_CHILD, which], capture_output=True, text=True
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def child_args(
    which: str, path: Path, sg: int, epochs: int, threads: int, warm: bool, seeds: int
) -> list[str]:
    """The command line of one measured process."""
    args = [which, str(path), sg, epochs, threads, int(warm), seeds]
    return [sys.executable, "-c", CHILD, *map(str, args)]


def result(code: int, stdout: str, stderr: str) -> dict[str, Any]:
    """A measured process's figures (its last line), or its error."""
    if code:
        raise RuntimeError(stderr[-2000:])
    return dict(json.loads(stdout.strip().splitlines()[-1]))


# Two one-thread processes at once (see ``run``): the ceiling two threads are measured against.
PAIR = 0


def run(
    which: str, path: Path, sg: int, epochs: int, threads: int, warm: bool, seeds: int = 1
) -> dict[str, Any]:
    """``which`` trained in a fresh process with ``threads`` threads; or, with ``threads`` =
    ``PAIR``, two one-thread processes started together: their mean time (what two threads
    could give at most on this machine, with nothing shared between them)."""
    if threads != PAIR:
        cmd = child_args(which, path, sg, epochs, threads, warm, seeds)
        out = subprocess.run(cmd, capture_output=True, text=True)
        return result(out.returncode, out.stdout, out.stderr)
    cmd = child_args(which, path, sg, epochs, 1, warm, seeds)
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]  # fmt: skip
    outs = [p.communicate() for p in procs]
    both = [result(p.returncode, *out) for p, out in zip(procs, outs, strict=True)]
    return {"s": sum(r["s"] for r in both) / 2, "loop_s": sum(r["loop_s"] for r in both) / 2}


Job = tuple[str, int]  # (tool, threads)


def timed(
    repeats: int, jobs: list[Job], path: Path, sg: int, epochs: int, warm: bool
) -> tuple[dict[Job, dict[str, Any]], dict[Job, list[dict[str, Any]]]]:
    """Each (tool, threads) of ``jobs`` trained on ``path`` in ``repeats`` rounds of fresh
    processes, one run of every job a round: each job's run of median time, and every run in
    round order. This machine runs whole minutes up to 2x slower (a busy neighbour), so one
    tool's runs all taken before the next's would measure the spell, not the tools (nor one
    thread count against another); interleaved, a spell slows all of them alike."""
    runs: dict[Job, list[dict[str, Any]]] = {j: [] for j in jobs}
    for _ in range(max(repeats, 1)):
        for tool, threads in jobs:
            runs[(tool, threads)].append(run(tool, path, sg, epochs, threads, warm))
    medians = {j: sorted(r, key=lambda x: x["s"])[len(r) // 2] for j, r in runs.items()}
    return medians, runs


def scaling_line(
    who: str, shape: str, one: list[dict[str, Any]], two: list[dict[str, Any]], pair: bool = False
) -> str:
    """Two threads against one (``pair``: two one-thread processes at once against one alone,
    counting both processes' work), from runs taken in the same rounds: the median of the
    rounds' ratios (whole call; tokenvec's training loop beside), their range."""
    times = 2.0 if pair else 1.0

    def median_ratio(key: str) -> tuple[float, float, float]:
        r = sorted(times * a[key] / b[key] for a, b in zip(one, two, strict=True))
        return r[len(r) // 2], r[0], r[-1]

    mid, lo, hi = median_ratio("s")
    what = "two one-thread processes at once" if pair else "2 threads"
    text = f"{who} on {shape}: {what} {mid:.2f}x one thread over the whole call"
    if len(one) > 1:
        text += f" (rounds {lo:.2f}x-{hi:.2f}x)"
    if pair:
        text += " (the machine's ceiling for two threads of this work: nothing shared)"
    elif one[0]["loop_s"] is not None:
        text += " (target >= 1.8x)"
    if one[0]["loop_s"] is not None:
        text += f", {median_ratio('loop_s')[0]:.2f}x in the training loop"
    return text


LARGE_WORDS = 20_000_000
SEEDED = ("acc", "acc_sd", "ws353", "ws353_sd")  # the figures a run over several seeds gives


def write_words(path: Path, lines: list[str], words: int) -> None:
    """``lines`` again and again (the last copy cut at a line) until ``words`` words."""
    n = 0
    with path.open("w", encoding="utf-8") as f:
        while n < words:
            for line in lines:
                f.write(line + "\n")
                n += len(line.split())
                if n >= words:
                    break


def make_shapes(folder: Path, names: list[str]) -> dict[str, Path]:
    """The corpus shapes: the built-in corpus (a paragraph a line), one text8-style line of all
    its words, a mixed one (its lines, with 40 runs of paragraphs glued into lines of
    10,000-20,000 words), and a large one (its lines repeated to 20M words, for scaling and
    memory)."""
    text = lzma.decompress(builtin_corpus_path().read_bytes()).decode("utf-8")
    lines = text.splitlines()
    out: dict[str, Path] = {}
    for name in names:
        path = folder / f"{name}.txt"
        if name == "builtin":
            path.write_text(text, encoding="utf-8")
        elif name == "text8":
            path.write_text(" ".join(text.split()) + "\n", encoding="utf-8")
        elif name == "large":  # the built-in lines again and again: >= 20M words
            write_words(path, lines, LARGE_WORDS)
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
            raise SystemExit(f"unknown shape {name!r}: builtin, text8, mixed or large")
        out[name] = path
    return out


def report(shape: str, name: str, step: str, threads: int, ours: dict[str, Any],
           theirs: dict[str, Any], mode: str, path: Path, sg: int, args: argparse.Namespace,
           load: int) -> dict[str, Any]:  # fmt: skip
    """Print tokenvec's line (``ours``, its ``step``; accuracy over more seeds run here)
    against gensim's figures."""
    which = "tokenvec" if step == "default" else "tokenvec-exact"
    if args.seeds > 1:
        ours = {**ours, **{k: v for k, v in run(which, path, sg, args.epochs, threads, False,
                                                 args.seeds).items() if k in SEEDED}}  # fmt: skip
    warm = f"{theirs['warm_s'] / ours['warm_s']:5.2f}x" if args.warm else f"{'-':>6}"
    print(
        f"{shape:8} {name:5} {step:7} {threads:3d} {ours['wps']:13,.0f} "
        f"{theirs['wps']:12,.0f} {mode:>5} {ours['wps'] / theirs['wps']:5.2f}x "
        f"{theirs['fresh'] / ours['fresh']:5.2f}x {warm} "
        f"{ours['peak'] / theirs['peak']:5.2f}x "
        f"({(ours['peak'] - load) / theirs['peak']:4.2f}x) "
        f"{ours['process_peak'] / theirs['process_peak']:7.2f}x "
        f"{100 * (ours['acc'] - theirs['acc']):+7.1f}pt "
        f"{ours['ws353']:5.3f}/{theirs['ws353']:5.3f}"
    )
    if args.seeds > 1:  # the spread over the seeds, on a line of its own
        print(
            f"{'':8} {name:5} {step:7} {threads:3d} {args.seeds} seeds, mean +- sd: analogy "
            f"{100 * ours['acc']:.2f} +- {100 * ours['acc_sd']:.2f}% (gensim "
            f"{100 * theirs['acc']:.2f} +- {100 * theirs['acc_sd']:.2f}%); WordSim353 "
            f"{ours['ws353']:.3f} +- {ours['ws353_sd']:.3f} (gensim {theirs['ws353']:.3f} +- "
            f"{theirs['ws353_sd']:.3f})"
        )
    return ours


def sizes(args: argparse.Namespace) -> None:
    """Words/s against corpus size: the built-in lines cut or repeated to each size (millions
    of words), skip-gram, 2 threads; gensim in its ``corpus_file`` mode (the faster one in
    every shape above); a plot of the three curves to ``--plot``."""
    warm_kernels()
    text = lzma.decompress(builtin_corpus_path().read_bytes()).decode("utf-8")
    lines = text.splitlines()
    runners = [("gensim corpus_file", "gensim-file"), ("tokenvec exact", "tokenvec-exact"),
               ("tokenvec default", "tokenvec")]  # fmt: skip
    rates: dict[str, list[float]] = {name: [] for name, _ in runners}
    print(f"skip-gram, {args.epochs} epochs, {args.threads[-1]} threads; words/s of the first"
          " call in a fresh process")  # fmt: skip
    print(f"{'words':>6} " + " ".join(f"{name:>19}" for name, _ in runners) + "  default/gensim")
    with tempfile.TemporaryDirectory() as d:
        for m in args.sizes:
            path = Path(d) / f"{m}M.txt"
            write_words(path, lines, int(m * 1_000_000))
            for name, which in runners:
                rates[name].append(run(which, path, 1, args.epochs, args.threads[-1], False)["wps"])
            path.unlink()
            row = " ".join(f"{rates[name][-1]:>19,.0f}" for name, _ in runners)
            ratio = rates["tokenvec default"][-1] / rates["gensim corpus_file"][-1]
            print(f"{m:>5}M {row}  {ratio:5.2f}x")
    if args.plot:
        plot_sizes(args.sizes, rates, args.threads[-1], args.epochs, args.plot)
        print(f"plot: {args.plot}")


def plot_sizes(
    sizes: list[float], rates: dict[str, list[float]], threads: int, epochs: int, path: str
) -> None:
    """The words/s curves against corpus size, one per trainer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for name, rate in rates.items():
        ax.plot(sizes, [r / 1e6 for r in rate], marker="o", label=name)
    ax.set_xscale("log")
    ax.set_xticks(sizes, [f"{m:g}M" for m in sizes])
    ax.set_xlabel("corpus size (words)")
    ax.set_ylabel("million words / s (whole call)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"word2vec skip-gram, {threads} threads, {epochs} epoch{'s' * (epochs != 1)}")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", choices=["sg", "cbow"])
    parser.add_argument("--shapes", nargs="+", default=["builtin", "text8", "mixed"])
    parser.add_argument(
        "--warm", action="store_true", help="also time a second call in the same process"
    )
    parser.add_argument(
        "--seeds", type=int, default=1, help="accuracy: the mean over this many seeds"
    )
    parser.add_argument(
        "--repeats", type=int, default=1,
        help="speed: each tool's fresh-process run this many times, the median kept",
    )  # fmt: skip
    parser.add_argument(
        "--steps",
        nargs="+",
        choices=["default", "exact"],
        default=["default", "exact"],
        help="tokenvec's training steps to run: the default one (batch=None), the exact one "
        "(batch=False: the classic per-pair step in the code for any vector size)",
    )
    parser.add_argument(
        "--sizes", type=float, nargs="+", help="words/s against corpus size (millions of words)"
    )
    parser.add_argument("--plot", help="with --sizes: write the curves to this image")
    parser.add_argument(
        "--decay-by", choices=["words", "sentences"], default="words",
        help="tokenvec's learning-rate clock (gensim's, given the sentence count: sentences)",
    )  # fmt: skip
    args = parser.parse_args()
    os.environ["BENCH_DECAY_BY"] = args.decay_by  # read by the measured processes
    if args.sizes:
        sizes(args)
        return
    models = [(n, sg) for n, sg in (("sg", 1), ("cbow", 0)) if not args.only or args.only == n]
    print(
        f"{args.epochs} epochs; gensim: the faster of LineSentence and corpus_file; "
        f"words/s of the first call in a fresh process; peak = what the call adds; "
        f"tokenvec's learning rate falls with the {args.decay_by}"
    )
    warm_kernels()
    rt, g = runtime_bytes("tokenvec"), runtime_bytes("gensim")
    load = rt["kernel"]

    def mib(n: int) -> str:
        return f"{n / 2**20:.0f} MiB"

    print(
        f"runtime, before any corpus: gensim's import {mib(g['library'] - g['numpy'])}; "
        f"tokenvec's {mib(rt['library'] - rt['numpy'])} + llvmlite's LLVM library "
        f"{mib(rt['llvmlite'] - rt['library'])} + numba {mib(rt['numba'] - rt['llvmlite'])} "
        f"+ loading the first compiled kernel {mib(load)} (counted in the call's peak; "
        "the peak without it beside)"
    )
    head = (
        f"{'shape':8} {'model':5} {'step':7} {'thr':>3} {'tokenvec w/s':>13} {'gensim w/s':>12} {'mode':>5} "
        f"{'ratio':>6} {'fresh':>6} {'warm':>6} {'peak':>14} {'process':>8} {'analogy':>8} "
        f"{'ws353':>11}"
    )
    scaling: list[str] = []
    with tempfile.TemporaryDirectory() as d:
        for shape, path in make_shapes(Path(d), args.shapes).items():
            n_words = sum(len(line.split()) for line in path.open())
            print(f"\n{shape}: {n_words:,} words in {sum(1 for _ in path.open()):,} lines")
            print(head)
            for name, sg in models:
                steps = {"default": "tokenvec", "exact": "tokenvec-exact"}
                tools = ["gensim", "gensim-file"] + [steps[step] for step in args.steps]
                # Every thread count in the same rounds: their ratio is not a spell's.
                jobs = [(tool, threads) for threads in args.threads for tool in tools]
                both = 1 in args.threads and 2 in args.threads
                if both:  # and two one-thread processes at once: what two threads could give
                    jobs += [(steps[step], PAIR) for step in args.steps]
                got, runs = timed(args.repeats, jobs, path, sg, args.epochs, args.warm)
                for threads in args.threads:
                    line, file = got[("gensim", threads)], got[("gensim-file", threads)]
                    theirs, mode = (file, "file") if file["s"] < line["s"] else (line, "line")
                    if args.seeds > 1:  # accuracy over several seeds, in the faster mode
                        which = "gensim-file" if mode == "file" else "gensim"
                        more = run(which, path, sg, args.epochs, threads, False, args.seeds)
                        theirs = {**theirs, **{k: more[k] for k in SEEDED}}
                    for step in args.steps:
                        report(shape, name, step, threads, got[(steps[step], threads)], theirs,
                               mode, path, sg, args, load)  # fmt: skip
                if both:
                    for step in args.steps:
                        one, tool = runs[(steps[step], 1)], f"tokenvec {name} {step}"
                        scaling.append(scaling_line(tool, shape, one, runs[(steps[step], 2)]))
                        scaling.append(scaling_line(tool, shape, one, runs[(steps[step], PAIR)],
                                                    pair=True))  # fmt: skip
                    for tool in ("gensim-file", "gensim"):
                        one, two = runs[(tool, 1)], runs[(tool, 2)]
                        scaling.append(scaling_line(f"{tool} {name}", shape, one, two))
    print(
        "\nratio: words/s against gensim's faster mode (targets: skip-gram >= 2.5x, CBOW >= 3x);"
        " fresh: process start to trained; peak: what the call adds, target <= 1.2x; process:"
        " the process's peak, imports included; analogy: target within 0.5 pt (5 seeds)"
        f"{f' (mean of {args.seeds} seeds)' if args.seeds > 1 else ''}"
    )
    for text in scaling:
        print(text)


if __name__ == "__main__":
    main()
