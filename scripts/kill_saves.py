"""SIGKILL saves at random moments and check that the target is never lost.

Run: ``python scripts/kill_saves.py [--kills 300] [--seed 0]``. For each writer (a word2vec
checkpoint folder; vectors as native folders of float32, float16, int8, PQ and RQ tables, and
as word2vec binary and text, GloVe and fastText .bin files) a child process
replaces the target again and again with ``overwrite=True``, alternating two versions, and is
killed with SIGKILL after a random delay. After every kill the target must load completely
and equal one of the two versions (never missing, never half-written), and temporaries left
by killed saves must not pile up: the next save removes them.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import tokenvec as tv
from tokenvec.word2vec import Word2Vec

# Every writer: a kind names how the two versions are made and saved.
FORMATS = {"native": "native", "word2vec": "word2vec", "word2vec-text": "word2vec-text",
           "glove": "glove", "fasttext-bin": "fasttext-bin", "float16": "native",
           "int8": "native", "pq": "native", "rq": "native", "subwords": "native",
           "subwords-pq": "native"}  # fmt: skip
KINDS = ["checkpoint", *FORMATS]

CHILD = r"""
import sys, numpy as np, tokenvec as tv
from tokenvec.word2vec import Word2Vec
kind, fmt, target, src = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
if kind == "checkpoint":
    model = Word2Vec.load_checkpoint(src)
else:
    versions = [tv.load_vectors(f"{src}-{k}") for k in (0, 1)]  # made by the parent
print("ready", flush=True)
i = 0
while True:
    k = i % 2
    if kind == "checkpoint":
        model.syn0[0, 0] = k
        model.save_checkpoint(target, overwrite=True)
    else:
        versions[k].save(target, format=fmt, overwrite=True)
    i += 1
"""


def _version(vec: tv.Vectors, kind: str, k: int) -> tv.Vectors:
    """Version ``k`` of the vectors in the form ``kind`` saves (its first value tells it)."""
    m = np.array(vec.vectors)
    m[0, 0] = 3.0 * k - 1.5
    v = tv.Vectors(vec.index_to_key, m)
    if kind.startswith("subwords"):  # a fastText model: its word rows and 20,000 n-gram rows
        from tokenvec.io.fasttext_bin import FastTextArgs, FastTextModel

        words = vec.index_to_key
        rows = np.concatenate([m, np.random.default_rng(1).standard_normal((20_000, m.shape[1]))])
        model = FastTextModel.from_words(
            FastTextArgs(dim=m.shape[1], bucket=20_000, minn=3, maxn=6, model=2, loss=2),
            words, [w.encode() for w in words], counts=np.ones(len(words), np.int64),
            input=rows.astype(np.float32), output=None, ntokens=len(words), prune=None,
        )  # fmt: skip
        sv = tv.SubwordVectors.from_model(model)
        return sv.quantize("pq", sample=2_000, iterations=2) if kind == "subwords-pq" else sv
    if kind in ("float16", "int8", "pq", "rq"):
        opts = {"sample": 2_000, "iterations": 2} if kind in ("pq", "rq") else {}
        return v.quantize(kind, **opts)  # type: ignore[arg-type]
    return v


def _first_value(kind: str, target: Path) -> float:
    """Load the target completely and return the value that tells the versions apart."""
    if kind == "checkpoint":
        return float(Word2Vec.load_checkpoint(target).syn0[0, 0])
    v = tv.load_vectors(target, format=FORMATS[kind])  # type: ignore[arg-type]
    np.asarray(v.vectors).sum()  # touch every value
    return float(v[v.index_to_key[0]][0])


def _temporaries(target: Path) -> list[str]:
    return [p.name for p in target.parent.iterdir() if p.name.startswith(f".{target.name}.")]


def run(kind: str, kills: int, rng: random.Random, workdir: Path) -> dict[str, int]:
    """Kill ``kills`` saves of one kind of target; counts of what was found after each."""
    src = workdir / f"{kind}-src"
    target = workdir / f"{kind}-target"
    words = [f"w{i}" for i in range(20_000)]
    vec = tv.Vectors(words, np.random.default_rng(0).standard_normal((20_000, 100), np.float32))
    if kind == "checkpoint":
        model = Word2Vec(min_count=1, vector_size=100, epochs=1, threads=1)
        model.build_vocab([words])
        model.syn0[0, 0] = 0
        model.save_checkpoint(src)
        model.save_checkpoint(target)
        expected = {0.0, 1.0}
    else:
        for k in (0, 1):  # both versions, saved as the child will save them
            _version(vec, kind, k).save(f"{src}-{k}")
        _version(vec, kind, 0).save(target, format=FORMATS[kind])
        expected = {_first_value(kind, target)}
        one = workdir / "one"
        _version(vec, kind, 1).save(one, format=FORMATS[kind])
        expected.add(_first_value(kind, one))
    counts = {"kills": 0, "old or new": 0, "missing": 0, "broken": 0, "max temporaries": 0}
    for _ in range(kills):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, kind, FORMATS.get(kind, ""), str(target), str(src)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert child.stdout is not None
        child.stdout.readline()  # "ready": the saves start now
        time.sleep(rng.uniform(0, 0.3))
        child.send_signal(signal.SIGKILL)
        child.wait()
        counts["kills"] += 1
        if not target.exists():
            counts["missing"] += 1
            continue
        try:
            value = _first_value(kind, target)
        except Exception:
            counts["broken"] += 1
            continue
        counts["old or new" if value in expected else "broken"] += 1
        counts["max temporaries"] = max(counts["max temporaries"], len(_temporaries(target)))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=300, help="kills per kind of target")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", nargs="+", default=KINDS, choices=KINDS)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    failed = False
    with tempfile.TemporaryDirectory() as d:
        for kind in args.kinds:
            work = Path(d) / kind
            work.mkdir()
            counts = run(kind, args.kills, rng, work)
            print(f"{kind}: " + ", ".join(f"{k} {v}" for k, v in counts.items()), flush=True)
            # A killed save leaves at most its own temporary; the next save removes it.
            failed |= counts["missing"] > 0 or counts["broken"] > 0
            failed |= counts["max temporaries"] > 2
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
