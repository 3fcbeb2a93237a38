"""word2vec training: tokenvec against gensim on the built-in corpus, in one run.

Run: ``python benchmarks/bench_word2vec.py [--epochs 5] [--threads 2] [--only sg|cbow] [--warm]``.
Not a test. Each training runs in a fresh process (so peak memory is its own); both read the
same decompressed corpus file, one sentence a line, with the same settings. Reported, as a user
waits: wall time from process start (imports included) and of the first call (vocabulary, the
kernel loaded from numba's cache or compiled, training; ``--warm`` adds a second call in the
same process beside it), corpus words per second (words x epochs / first-call time), peak
memory (VmHWM above the RSS at the start of the call, the mark reset there; both libraries
imported before, numba's for tokenvec), Google analogy
accuracy (restrict_vocab=30000) and WordSim353 Spearman, evaluated by tokenvec.evaluate.
"""

from __future__ import annotations

import argparse
import json
import lzma
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
if which == "gensim":
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence
    def call():
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", choices=["sg", "cbow"])
    parser.add_argument(
        "--warm", action="store_true", help="also time a second call in the same process"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "corpus.txt"
        path.write_bytes(lzma.decompress(builtin_corpus_path().read_bytes()))
        n_words = sum(len(line.split()) for line in path.open())
        print(f"built-in corpus: {n_words:,} words; {args.epochs} epochs, {args.threads} threads")
        for name, sg in (("sg", 1), ("cbow", 0)):
            if args.only and args.only != name:
                continue
            ours = run("tokenvec", path, sg, args.epochs, args.threads, args.warm)
            theirs = run("gensim", path, sg, args.epochs, args.threads, args.warm)
            print(
                f"\n{name.upper()}      {'tokenvec':>12} {'gensim':>12} {'ratio':>8}   (tokenvec kernel: cache {ours['cache']})"
            )
            print(
                f"fresh s   {ours['fresh']:12.1f} {theirs['fresh']:12.1f} {theirs['fresh'] / ours['fresh']:8.2f}x (process start to trained: imports, vocabulary, kernel, training)"
            )
            print(
                f"call s    {ours['s']:12.1f} {theirs['s']:12.1f} {theirs['s'] / ours['s']:8.2f}x (the first call: vocabulary, kernel, training)"
            )
            print(
                f"words/s   {ours['wps']:12,.0f} {theirs['wps']:12,.0f} {ours['wps'] / theirs['wps']:8.2f}x (first call; target >= 1.0, aim 1.5)"
            )
            if args.warm:
                print(
                    f"warm s    {ours['warm_s']:12.1f} {theirs['warm_s']:12.1f} {theirs['warm_s'] / ours['warm_s']:8.2f}x (the same call again in the process)"
                )
            print(
                f"peak MiB  {ours['peak'] / 2**20:12.0f} {theirs['peak'] / 2**20:12.0f} {ours['peak'] / theirs['peak']:8.2f}x (target <= 1.2)"
            )
            print(
                f"analogy   {ours['acc']:12.3%} {theirs['acc']:12.3%} {100 * (ours['acc'] - theirs['acc']):+7.1f} pt (target >= -1 pt; {ours['questions']} questions)"
            )
            print(f"ws353 rho {ours['ws353']:12.3f} {theirs['ws353']:12.3f}")


if __name__ == "__main__":
    main()
