"""Reading a corpus file into word ids: the compiled scan on one and several threads, against
the plain-Python scanner and gensim's vocabulary scan, in one run.

Run: ``python benchmarks/bench_scan.py [--shapes builtin text8 large] [--threads 1 2]
[--repeats 3]``. Not a test.

Training starts with one pass over the corpus file: every word mapped to a number, the
counts and the sentences kept (``Corpus.scan``). With several threads the blocks of the file
are looked up at once in the table of the words known so far, and the words not yet known get
their numbers in order after (:mod:`tokenvec.word2vec._words_numba`). Each figure is a fresh
process (numba's first load included, as a user waits for it; the same call again in that
process beside it), the median of ``--repeats``; gensim's ``build_vocab(corpus_file=...)``
is the peer. Every scan is checked against the one-thread scan's words, ids and sentences.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_word2vec import make_shapes

CHILD = """
import hashlib, json, sys, time
which, path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
import numpy as np
if which == "gensim":
    from gensim.models import Word2Vec
    def call():
        Word2Vec(vector_size=100, min_count=5, workers=threads).build_vocab(corpus_file=path)
        return "-"
else:
    import numba  # imported before the clock, as gensim's compiled code is
    from tokenvec.word2vec.corpus import Corpus, _Scanner, read_ids
    def call():
        corpus = Corpus(path)
        if which == "reference":
            scanner = _Scanner(corpus.max_sentence_length)
            for kind, text in corpus._blocks(corpus.paths[0]):
                scanner.piece(text) if kind == "piece" else scanner.lines(text)
            scan = scanner.result()
        else:
            scan = corpus.scan(threads)
        h = hashlib.sha256("\\n".join(scan.index).encode())
        h.update(read_ids(scan.ids, 0, scan.ids.size).tobytes())
        h.update(np.asarray(scan.starts).tobytes())
        return h.hexdigest()[:16]
t = time.perf_counter()
digest = call()
first = time.perf_counter() - t
t = time.perf_counter()
call()
warm = time.perf_counter() - t
print(json.dumps({"first": first, "warm": warm, "digest": digest}))
"""


def run(which: str, path: Path, threads: int) -> dict[str, float | str]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, which, str(path), str(threads)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shapes", nargs="+", default=["builtin", "text8", "large"])
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-reference", action="store_true", help="skip the Python scanner")
    args = parser.parse_args()
    try:
        import gensim  # noqa: F401

        peer = True
    except ImportError:
        peer = False
    with tempfile.TemporaryDirectory() as tmp:
        shapes = make_shapes(Path(tmp), args.shapes)
        print(
            "shape    tool                 threads  first call (median)  warm   vs 1 thread  vs gensim"
        )
        for name, path in shapes.items():
            runners = [("tokenvec", t) for t in args.threads]
            if not args.no_reference:
                runners.append(("reference", 1))
            if peer:
                runners += [("gensim", t) for t in args.threads]
            digest = None
            for _ in range(args.repeats):  # alternate the tools: the machine's noise is shared
                for which, t in runners:
                    r = run(which, path, t)
                    if which != "gensim":
                        digest = digest or r["digest"]
                        if r["digest"] != digest:
                            raise SystemExit(f"{which} with {t} threads scanned {name} otherwise")
                    _RUNS.setdefault((name, which, t), []).append(r)
            for which, t in runners:
                runs_ = _RUNS[(name, which, t)]
                first = statistics.median(float(r["first"]) for r in runs_)
                warm = statistics.median(float(r["warm"]) for r in runs_)
                one = statistics.median(float(r["first"]) for r in _RUNS[(name, which, 1)]) \
                    if (name, which, 1) in _RUNS else first  # fmt: skip
                gen = _RUNS.get((name, "gensim", t))
                vs = f"{statistics.median(float(r['first']) for r in gen) / first:.2f}x" \
                    if gen and which != "gensim" else "-"  # fmt: skip
                print(f"{name:8s} {which:20s} {t:7d}  {first:18.3f} s  {warm:5.3f}  "
                      f"{one / first:10.2f}x  {vs:>8s}")  # fmt: skip
    print(
        "vs 1 thread: the same tool's one-thread first call over this one; vs gensim: "
        "gensim's first call with as many threads over tokenvec's"
    )


_RUNS: dict[tuple[str, str, int], list[dict[str, float | str]]] = {}

if __name__ == "__main__":
    main()
