"""word2vec training: tokenvec against gensim on the built-in corpus, in one run.

Run: ``python benchmarks/bench_word2vec.py [--epochs 5] [--threads 2] [--only sg|cbow]``.
Not a test. Each training runs in a fresh process (so peak memory is its own); both read the
same decompressed corpus file, one sentence a line, with the same settings. Reported: wall
time (vocabulary + training), corpus words per second (words x epochs / time), peak memory
(VmHWM above the RSS at the start of the call, the mark reset there), Google analogy accuracy (restrict_vocab=30000) and
WordSim353 Spearman, all evaluated by tokenvec.evaluate (equal to gensim's figures).
"""

from __future__ import annotations

import argparse
import json
import lzma
import subprocess
import sys
import tempfile
from pathlib import Path

from tokenvec.word2vec.corpus import builtin_corpus_path

CHILD = """
import json, sys, time
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
which, path, sg, epochs, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
kw = dict(vector_size=100, window=5, negative=5, min_count=5, sample=1e-3, epochs=epochs)
if which == "gensim":
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence
    base = start()
    t = time.perf_counter()
    m = Word2Vec(LineSentence(path), sg=sg, workers=threads, seed=1, **kw)
    dt = time.perf_counter() - t
    keys, mat = list(m.wv.index_to_key), m.wv.vectors
else:
    from tokenvec.word2vec import Word2Vec, Word2VecConfig
    Word2Vec(Word2VecConfig(min_count=1, epochs=1, threads=1)).train([["a", "b"]] * 5, progress=False)  # compile
    base = start()
    t = time.perf_counter()
    wv = Word2Vec(Word2VecConfig(sg=bool(sg), threads=threads, seed=1, **kw)).train(path, progress=False)
    dt = time.perf_counter() - t
    keys, mat = wv.index_to_key, wv.vectors
peak = hwm() - base
v = tv.Vectors(keys, np.asarray(mat))
words = sum(len(line.split()) for line in open(path))
acc = tv.evaluate.analogies(v, restrict_vocab=30000)
ws = tv.evaluate.word_pairs(v, "wordsim353")
print(json.dumps({"s": dt, "wps": words * epochs / dt, "peak": peak, "acc": acc.accuracy,
                  "questions": acc.total.total, "ws353": ws.spearman, "vocab": len(keys)}))
"""


def run(which: str, path: Path, sg: int, epochs: int, threads: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, which, str(path), str(sg), str(epochs), str(threads)],
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "corpus.txt"
        path.write_bytes(lzma.decompress(builtin_corpus_path().read_bytes()))
        n_words = sum(len(line.split()) for line in path.open())
        print(f"built-in corpus: {n_words:,} words; {args.epochs} epochs, {args.threads} threads")
        for name, sg in (("sg", 1), ("cbow", 0)):
            if args.only and args.only != name:
                continue
            ours = run("tokenvec", path, sg, args.epochs, args.threads)
            theirs = run("gensim", path, sg, args.epochs, args.threads)
            print(f"\n{name.upper()}      {'tokenvec':>12} {'gensim':>12} {'ratio':>8}")
            print(
                f"time s    {ours['s']:12.1f} {theirs['s']:12.1f} {theirs['s'] / ours['s']:8.2f}x"
            )
            print(
                f"words/s   {ours['wps']:12,.0f} {theirs['wps']:12,.0f} {ours['wps'] / theirs['wps']:8.2f}x (target >= 1.0, aim 1.5)"
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
