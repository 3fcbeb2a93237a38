"""SIGKILL saves at random moments and check that the target is never lost.

Run: ``python scripts/kill_saves.py [--kills 300] [--seed 0]``. For each kind of target (a
native vectors folder, a word2vec checkpoint folder, a word2vec binary file) a child process
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

CHILD = r"""
import sys, numpy as np, tokenvec as tv
from tokenvec.word2vec import Word2Vec
kind, target, src = sys.argv[1], sys.argv[2], sys.argv[3]
versions = []
if kind == "checkpoint":
    model = Word2Vec.load_checkpoint(src)
else:
    base = tv.load_vectors(src)
    for k in (0, 1):
        m = np.array(base.vectors)
        m[0, 0] = k
        versions.append(tv.Vectors(base.index_to_key, m))
print("ready", flush=True)
i = 0
while True:
    k = i % 2
    if kind == "checkpoint":
        model.syn0[0, 0] = k
        model.save_checkpoint(target, overwrite=True)
    elif kind == "native":
        versions[k].save(target, overwrite=True)
    else:
        versions[k].save(target, format="word2vec", overwrite=True)
    i += 1
"""


def _first_value(kind: str, target: Path) -> float:
    """Load the target completely and return the value that tells the versions apart."""
    if kind == "checkpoint":
        return float(Word2Vec.load_checkpoint(target).syn0[0, 0])
    v = tv.load_vectors(target, format="native" if kind == "native" else "word2vec")
    np.asarray(v.vectors).sum()  # touch every value
    return float(v.vectors[0, 0])


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
    else:
        vec.vectors[0, 0] = 0
        vec.save(src)
        vec.save(target, format="native" if kind == "native" else "word2vec")
    counts = {"kills": 0, "old or new": 0, "missing": 0, "broken": 0, "max temporaries": 0}
    for _ in range(kills):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, kind, str(target), str(src)],
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
        counts["old or new" if value in (0.0, 1.0) else "broken"] += 1
        counts["max temporaries"] = max(counts["max temporaries"], len(_temporaries(target)))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=300, help="kills per kind of target")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", nargs="+", default=["native", "checkpoint", "word2vec"])
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
