"""Embedding lookup and backward at GPT-2 size, against memcpy, torch and the one-hot product.

Run: ``python benchmarks/bench_embedding.py [--batch 8] [--seq 1024]``. Not a test: it prints a
table and ratios. A lookup moves the same bytes as a memcpy of its output (read a row, write a
row), so memcpy is the bound; the one-hot product does vocab times more arithmetic.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import time
from collections.abc import Callable

import numpy as np

import tokenvec as tv


def best(fn: Callable[[int], object], repeat: int) -> float:
    """Best wall time over ``repeat`` calls; ``fn`` receives the repetition number."""
    fn(0)
    times = []
    for k in range(repeat):
        start = time.perf_counter()
        fn(k)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vocab", type=int, default=50257)
    parser.add_argument("--dim", type=int, default=768)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--onehot-ids", type=int, default=64, help="ids in the one-hot timing")
    parser.add_argument("--device", default="cpu", help="torch device for the torch rows")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    vocab, dim = args.vocab, args.dim
    n = args.batch * args.seq
    emb = tv.Embedding(vocab, dim, seed=0)
    W = emb.weight  # (V, C)
    ids = rng.integers(0, vocab, size=(args.batch, args.seq))
    out_bytes = n * dim * W.itemsize
    # Rotate the memcpy source through the matrix so it is read from memory, not cache.
    blocks = max(1, vocab // n)

    def memcpy(k: int) -> object:
        b = k % blocks
        return W[b * n : (b + 1) * n].copy()

    rows: list[tuple[str, float, float]] = []  # (name, seconds, scale)
    t_memcpy = best(memcpy, args.repeat)
    rows.append(("memcpy of the output bytes", t_memcpy, 1))
    from tokenvec._native import threads as _threads

    pool, workers = _threads.pool(), _threads.workers()

    def memcpy_threads(k: int) -> object:
        b = k % blocks
        src = W[b * n : (b + 1) * n]
        dst = np.empty_like(src)
        cuts = np.linspace(0, n, workers + 1).astype(int)
        futs = [
            pool.submit(np.copyto, dst[lo:hi], src[lo:hi]) for lo, hi in itertools.pairwise(cuts)
        ]
        for f in futs:
            f.result()
        return dst

    t_memcpy_mt = best(memcpy_threads, args.repeat)
    rows.append((f"memcpy of the output bytes, {workers} threads", t_memcpy_mt, 1))
    t_take = best(lambda k: np.take(W, ids, axis=0), args.repeat)
    rows.append(("numpy np.take(W, ids, axis=0)", t_take, 1))
    t_lookup = best(lambda k: emb(ids), args.repeat)
    rows.append(("tokenvec Embedding(ids) (checked)", t_lookup, 1))
    buf = emb(ids)  # one output, its pages mapped once, reused by every call
    t_lookup_out = best(lambda k: emb(ids, out=buf), args.repeat)
    rows.append(("tokenvec Embedding(ids, out=buf) (reused output)", t_lookup_out, 1))

    m = args.onehot_ids
    few = ids.reshape(-1)[:m]
    t_oh_np = best(lambda k: tv.one_hot(few, vocab) @ W, 3) * (n / m)
    rows.append((f"numpy one_hot(ids) @ W ({m} ids, scaled)", t_oh_np, n / m))

    g = rng.standard_normal((args.batch, args.seq, dim), dtype=np.float32)
    t_sparse = best(lambda k: emb.backward(ids, g), max(3, args.repeat // 3))
    rows.append(("tokenvec backward (sparse scatter-add)", t_sparse, 1))
    gm = g.reshape(-1, dim)[:m]
    t_dense = best(lambda k: tv.one_hot(few, vocab).T @ gm, 3) * (n / m)
    rows.append((f"numpy one_hot(ids).T @ grad ({m} ids, scaled)", t_dense, n / m))

    torch_rows = {}
    try:
        import torch
        import torch.nn.functional as F

        dev = torch.device(args.device)
        Wt = torch.from_numpy(W).to(dev)
        it = torch.from_numpy(ids).to(dev)
        sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

        def timed(fn: Callable[[], object]) -> Callable[[int], object]:
            def run(k: int) -> object:
                r = fn()
                sync()
                return r

            return run

        torch_rows["lookup"] = best(timed(lambda: F.embedding(it, Wt)), args.repeat)
        rows.append((f"torch F.embedding ({dev.type})", torch_rows["lookup"], 1))
        fit = it.reshape(-1)[:m]
        t_oh_t = best(timed(lambda: F.one_hot(fit, vocab).to(Wt.dtype) @ Wt), 3) * (n / m)
        rows.append((f"torch one_hot(ids) @ W ({m} ids, scaled, {dev.type})", t_oh_t, n / m))
        gt = torch.from_numpy(g).to(dev)
        torch_rows["backward"] = best(
            timed(lambda: torch.ops.aten.embedding_dense_backward(gt, it, vocab, -1, False)),
            max(3, args.repeat // 3),
        )
        rows.append((f"torch embedding backward (dense, {dev.type})", torch_rows["backward"], 1))
    except ImportError:
        print("torch is not installed: torch rows skipped")

    print(
        f"\nEmbedding {vocab} x {dim} float32, ids {args.batch} x {args.seq} = {n} "
        f"({out_bytes / 2**20:.1f} MiB out); {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, numpy {np.__version__}"
    )
    print(f"{'method':<52} {'time':>12} {'GB/s':>8}")
    for name, sec, _ in rows:
        gbs = 2 * out_bytes / sec / 1e9 if "backward" not in name else float("nan")
        print(f"{name:<52} {sec * 1e3:>9.3f} ms {gbs:>8.1f}")
    print("\nratios")
    print(f"  plain np.take / memcpy bandwidth          {t_memcpy / t_take:6.2f}")
    print(f"  tokenvec lookup / memcpy bandwidth        {t_memcpy / t_lookup:6.2f}")
    print(f"  reused output / 2-thread memcpy bandwidth {t_memcpy_mt / t_lookup_out:6.2f}")
    if "lookup" in torch_rows:
        print(f"  tokenvec lookup speed / torch F.embedding {torch_rows['lookup'] / t_lookup:6.2f}")
        print(
            f"  same, reused output / torch F.embedding   {torch_rows['lookup'] / t_lookup_out:6.2f}"
        )
    print(f"  one-hot @ W time / lookup time            {t_oh_np / t_lookup:8.0f}x")
    print(f"  dense backward / sparse backward          {t_dense / t_sparse:8.1f}x (target >= 20)")
    if "backward" in torch_rows:
        print(
            f"  torch backward / tokenvec backward        {torch_rows['backward'] / t_sparse:8.2f}"
        )


if __name__ == "__main__":
    main()
