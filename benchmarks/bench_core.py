"""The figures a change to tokenvec's shape must not slow: one fresh process each.

Run: ``python benchmarks/bench_core.py [--json]``; compare two versions by running it under
each (``PYTHONPATH=<other checkout>/src python benchmarks/bench_core.py``). Not a test.

- ``bin_load``: open a 200,000-word + 200,000-bucket x 100 fastText ``.bin`` (written once, in
  the page cache) and look one word up, s;
- ``most_similar_f32`` / ``most_similar_f16``: one query against 400,000 x 50 rows (median of
  30 after a warm-up), ms;
- ``lookup``: an embedding lookup of 64 x 512 ids from a 50,257 x 768 table (median of 30), ms;
- ``word2vec_wps`` / ``fasttext_wps``: training words/s on the built-in corpus, 1 epoch, 2
  threads, whole call (compilation included).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

# One query against 400,000 x 50 rows (FORM: how they are stored), median of 30.
QUERY = """
import time, numpy as np, tokenvec as tv
rng = np.random.default_rng(0)
v = tv.Vectors([f"w{i}" for i in range(400_000)],
               rng.standard_normal((400_000, 50), np.float32))FORM
v.most_similar("w1")
ts = []
for i in range(30):
    t = time.perf_counter(); v.most_similar(f"w{i}"); ts.append(time.perf_counter() - t)
print(1e3 * float(np.median(ts)))
"""

SETUP = {
    "bin_load": """
import time, tokenvec as tv
t = time.perf_counter()
v = tv.load_vectors(PATH)
v["w17"]; v["xyzzy"]
print(time.perf_counter() - t)
""",
    "most_similar_f32": QUERY.replace("FORM", ""),
    "most_similar_f16": QUERY.replace("FORM", '.quantize("float16")'),
    "lookup": """
import time, numpy as np, tokenvec as tv
emb = tv.Embedding(50_257, 768, seed=0)
ids = np.random.default_rng(0).integers(0, 50_257, (64, 512))
emb(ids)
ts = []
for _ in range(30):
    t = time.perf_counter(); emb(ids); ts.append(time.perf_counter() - t)
print(1e3 * float(np.median(ts)))
""",
    "word2vec_wps": """
import time, tokenvec as tv
from tokenvec.word2vec.corpus import builtin_corpus_path
import lzma
words = sum(len(line.split()) for line in lzma.open(builtin_corpus_path(), "rt", encoding="utf-8"))
t = time.perf_counter()
tv.train_word2vec(epochs=1, threads=2, seed=1, progress=False)
print(words / (time.perf_counter() - t))
""",
    "fasttext_wps": """
import time, tokenvec as tv
from tokenvec.word2vec.corpus import builtin_corpus_path
import lzma
words = sum(len(line.split()) for line in lzma.open(builtin_corpus_path(), "rt", encoding="utf-8"))
t = time.perf_counter()
tv.train_fasttext(epochs=1, threads=2, seed=1, bucket=200_000, progress=False)
print(words / (time.perf_counter() - t))
""",
}

MAKE_BIN = """
import sys, numpy as np
from tokenvec.io.fasttext_bin import FastTextArgs, FastTextModel, write_fasttext
rng = np.random.default_rng(0)
words = [f"w{i}" for i in range(200_000)]
args = FastTextArgs(dim=100, bucket=200_000, minn=3, maxn=6, model=2, loss=2)
m = FastTextModel.from_words(args, words, [w.encode() for w in words],
    counts=np.arange(200_000, 0, -1, dtype=np.int64),
    input=rng.standard_normal((400_000, 100), np.float32),
    output=rng.standard_normal((200_000, 100), np.float32), ntokens=10**7, prune=None)
write_fasttext(m, sys.argv[1])
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes a figure (best)")
    args = ap.parse_args()
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "m.bin")
        subprocess.run([sys.executable, "-c", MAKE_BIN, path], check=True)
        for name, code in SETUP.items():
            runs = []
            for _ in range(args.repeat):
                res = subprocess.run([sys.executable, "-c", code.replace("PATH", repr(path))],
                                     capture_output=True, text=True, check=True)  # fmt: skip
                runs.append(float(res.stdout.strip().splitlines()[-1]))
            out[name] = max(runs) if name.endswith("wps") else min(runs)
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k}: {v:,.4g}")


if __name__ == "__main__":
    main()
