"""Tokenising and training on tokens: tokenvec's GPT-2 path against tiktoken used directly.

Run: ``python benchmarks/bench_tokens.py [--lm-steps 30]``. Not a test. Prints tokens/s of
tokenvec.tokenizers.gpt2() and of a bare tiktoken Encoding built from the same files (ids must
be identical), the sliding-window dataset build time, and small-GPT training tokens/s on CPU.
"""

from __future__ import annotations

import argparse
import lzma
import tempfile
import time
from pathlib import Path

import numpy as np

from tokenvec.tokenizers import GPT2_DIR, GPT2_PATTERN, gpt2
from tokenvec.windows import sliding_windows, tokenize_file
from tokenvec.word2vec.corpus import builtin_corpus_path


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lm-steps", type=int, default=30)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    import tiktoken
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks

    text = lzma.decompress(builtin_corpus_path().read_bytes()).decode("utf-8")
    ref = tiktoken.Encoding(
        name="gpt2-direct",
        pat_str=GPT2_PATTERN,
        mergeable_ranks=data_gym_to_mergeable_bpe_ranks(
            str(GPT2_DIR / "vocab.bpe"), str(GPT2_DIR / "encoder.json")
        ),
        special_tokens={"<|endoftext|>": 50256},
    )
    tok = gpt2()
    ours_ids = tok.encode(text)
    ref_ids = ref.encode(text)
    assert ours_ids == ref_ids, "ids differ from tiktoken's"
    n = len(ours_ids)
    t_ours = best(lambda: tok.encode(text))
    t_ref = best(lambda: ref.encode(text))
    lines = text.splitlines()
    t_ours_b = best(lambda: tok.encode_batch(lines))
    t_ref_b = best(lambda: ref.encode_ordinary_batch(lines))
    print(f"built-in corpus: {len(text):,} characters -> {n:,} GPT-2 tokens (ids identical)")
    print(
        f"encode, one string:   tokenvec {n / t_ours:12,.0f} tokens/s   tiktoken {n / t_ref:12,.0f}"
        f"   ratio {t_ref / t_ours:.2f} (target >= 0.9)"
    )
    print(
        f"encode_batch (lines): tokenvec {n / t_ours_b:12,.0f} tokens/s   tiktoken {n / t_ref_b:12,.0f}"
        f"   ratio {t_ref_b / t_ours_b:.2f}"
    )
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "corpus.txt"
        src.write_text(text)
        t = time.perf_counter()
        ids = tokenize_file(src, tok, Path(d) / "ids.npy")
        t_file = time.perf_counter() - t
        print(f"tokenize_file to a uint16 memory map: {t_file:.2f} s ({n / t_file:,.0f} tokens/s)")
        t = time.perf_counter()
        x, _y = sliding_windows(ids, 1024, 512)
        t_win = time.perf_counter() - t
        print(
            f"sliding_windows(max_length=1024, stride=512): {x.shape[0]:,} windows in "
            f"{t_win * 1e6:.0f} us (views, no copy)"
        )
        try:
            import torch

            from tokenvec.nn import GPTConfig, TrainConfig, train_lm
        except ImportError:
            print("torch not installed: LM training skipped")
            return
        for cfg in (
            GPTConfig(block_size=64, n_layer=2, n_head=4, n_embd=64),
            GPTConfig(block_size=128, n_layer=4, n_head=4, n_embd=128),
        ):
            res = train_lm(
                np.asarray(ids),
                cfg,
                TrainConfig(
                    max_steps=args.lm_steps,
                    batch_size=16,
                    eval_interval=10**6,
                    track_every=10**6,
                    device=args.device,
                ),
                progress=False,
            )
            print(
                f"small GPT ({cfg.n_layer} layers, {cfg.n_embd} dims, context {cfg.block_size}, "
                f"batch 16) on {args.device} ({torch.get_num_threads()} threads): "
                f"{res.tokens_per_second:,.0f} tokens/s over {res.steps} steps"
            )


if __name__ == "__main__":
    main()
