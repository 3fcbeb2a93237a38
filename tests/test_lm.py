"""The small GPT: shapes, names, training that lowers the loss and organises the embeddings,
checkpoints, export to Vectors, and DistributedDataParallel across two CPU processes."""

from __future__ import annotations

import lzma
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tokenvec.nn import GPT, GPTConfig, TrainConfig, load_model, lr_at, token_vectors, train_lm  # noqa: E402
from tokenvec.tokenizers import gpt2  # noqa: E402
from tokenvec.word2vec.corpus import builtin_corpus_path  # noqa: E402

TINY = GPTConfig(vocab_size=300, block_size=16, n_layer=1, n_head=2, n_embd=16)


@pytest.fixture(scope="module")
def corpus_ids() -> np.ndarray:
    text = lzma.decompress(builtin_corpus_path().read_bytes()).decode()[:2_000_000]
    return np.array(gpt2().encode_ordinary(text), dtype=np.uint16)


def test_model_shapes_and_gpt2_names():
    model = GPT(GPTConfig(vocab_size=100, block_size=8, n_layer=2, n_head=2, n_embd=16))
    names = {n for n, _ in model.named_parameters()}
    assert {
        "transformer.wte.weight",
        "transformer.wpe.weight",
        "transformer.h.1.attn.c_attn.weight",
        "transformer.h.0.mlp.c_fc.weight",
        "transformer.ln_f.weight",
    } <= names
    assert model.lm_head.weight is model.transformer.wte.weight  # tied, as GPT-2
    logits, loss = model(torch.zeros(3, 8, dtype=torch.long), torch.zeros(3, 8, dtype=torch.long))
    assert logits.shape == (3, 8, 100) and loss.shape == ()
    # A fresh model predicts close to uniform: loss near log(vocab).
    assert abs(float(loss.detach()) - np.log(100)) < 0.5
    with pytest.raises(ValueError, match="exceeds block_size 8"):
        model(torch.zeros(1, 9, dtype=torch.long))
    sin = GPT(GPTConfig(vocab_size=100, block_size=8, n_head=2, n_embd=16, positional="sinusoidal"))
    assert "transformer.wpe.weight" not in {n for n, _ in sin.named_parameters()}


def test_lr_schedule():
    cfg = TrainConfig(max_steps=100, warmup_steps=10, lr=1.0, min_lr=0.1)
    assert lr_at(0, cfg) == pytest.approx(0.1) and lr_at(9, cfg) == pytest.approx(1.0)
    assert lr_at(55, cfg) == pytest.approx(0.55)
    assert lr_at(100, cfg) == pytest.approx(0.1)


PRONOUNS = [" he", " she", " they", " i", " we", " ye", " you", " it", " thou"]
NOUNS = [
    " king",
    " man",
    " land",
    " house",
    " son",
    " sons",
    " people",
    " hand",
    " lord",
    " god",
    " day",
    " days",
    " place",
    " city",
    " men",
    " children",
    " father",
    " heart",
    " time",
    " earth",
    " name",
    " word",
    " way",
]


def group_hits(weight, tok, candidates):
    """How many of the 5 nearest neighbours of 4 pronouns and 6 nouns share their group."""
    from tokenvec.nn import embedding_snapshot

    snap = embedding_snapshot(
        weight, tok, 0, tokens=PRONOUNS[:4] + NOUNS[:6], candidates=candidates
    )
    return sum(n in PRONOUNS for t in PRONOUNS[:4] for n in snap.neighbours[t]) + sum(
        n in NOUNS for t in NOUNS[:6] for n in snap.neighbours[t]
    )


@pytest.mark.slow
def test_training_lowers_loss_and_organises_embeddings(corpus_ids):
    tok = gpt2()
    cfg = GPTConfig(block_size=32, n_layer=1, n_head=2, n_embd=32)
    tcfg = TrainConfig(
        max_steps=150, batch_size=16, lr=1e-2, min_lr=1e-3, eval_interval=75, track_every=75, seed=0
    )
    torch.manual_seed(0)
    initial = GPT(cfg).wte.weight.detach().numpy()
    res = train_lm(corpus_ids, cfg, tcfg, tokenizer=tok, progress=False)
    first = np.mean([loss for _, loss in res.train_losses[:5]])
    last = np.mean([loss for _, loss in res.train_losses[-5:]])
    assert last < first - 2.0  # from about ln(50257) = 10.8 down by more than 2 nats
    assert res.val_losses[-1][1] < res.val_losses[0][1]
    assert [s.step for s in res.snapshots] == [0, 75, 150]
    # Neighbours move from random toward meaningful: among ~8,000 candidate tokens a random
    # neighbour lands in a 9- or 23-token group well under once in 50 draws; after 150 steps
    # seeds 0-2 gave 10-11 hits out of 50.
    cand = np.unique(corpus_ids[:200_000])
    assert group_hits(initial, tok, cand) <= 2
    assert group_hits(res.model.wte.weight.detach().numpy(), tok, cand) >= 5
    vecs = token_vectors(res.model, tok, ids=cand)
    assert " the" in vecs and vecs.vector_size == 32


def test_checkpoint_and_resume(tmp_path):
    ids = np.random.default_rng(0).integers(0, 300, 5000).astype(np.uint16)
    tcfg = TrainConfig(
        max_steps=6, batch_size=4, eval_interval=3, track_every=3, checkpoint_every=3
    )
    full = train_lm(ids, TINY, tcfg, progress=False)
    ckpt = tmp_path / "lm.pt"
    train_lm(
        ids, TINY, TrainConfig(**{**tcfg.__dict__, "max_steps": 3}), checkpoint=ckpt, progress=False
    )
    resumed = train_lm(ids, TINY, tcfg, checkpoint=ckpt, resume=True, progress=False)
    assert resumed.steps == 6
    # Same batches, same optimizer state: the resumed run ends where the uninterrupted one does.
    for (n, a), (_, b) in zip(
        full.model.state_dict().items(), resumed.model.state_dict().items(), strict=True
    ):
        torch.testing.assert_close(a, b, msg=n)
    loaded = load_model(ckpt)
    torch.testing.assert_close(
        loaded.state_dict()["transformer.wte.weight"], resumed.model.wte.weight.detach()
    )


def test_bad_input():
    with pytest.raises(ValueError, match="does not fit the model's vocab_size 300"):
        train_lm(np.array([1, 2, 999] * 100), TINY, progress=False)
    with pytest.raises(ValueError, match="too few"):
        train_lm(np.arange(20), TINY, progress=False)
    with pytest.raises(ValueError, match="multiple of n_head"):
        GPTConfig(n_embd=10, n_head=3)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_ddp_two_cpu_processes_end_with_identical_weights(tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(
        textwrap.dedent(f"""
        import sys, numpy as np, torch
        from tokenvec.nn import GPTConfig, TrainConfig, train_lm
        torch.set_num_threads(1)
        ids = np.random.default_rng(0).integers(0, 300, 8000).astype(np.uint16)
        cfg = GPTConfig(vocab_size=300, block_size=16, n_layer=1, n_head=2, n_embd=16)
        res = train_lm(ids, cfg, TrainConfig(max_steps=5, batch_size=4, eval_interval=5,
                       track_every=5, device="cpu"), progress=False)
        rank = torch.distributed.get_rank()
        torch.save(res.model.state_dict(), "{tmp_path}/rank%d.pt" % rank)
        torch.distributed.destroy_process_group()
    """)
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node=2",
            "--nnodes=1",
            "--master_addr=127.0.0.1",
            f"--master_port={_free_port()}",
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    a = torch.load(tmp_path / "rank0.pt", weights_only=True)
    b = torch.load(tmp_path / "rank1.pt", weights_only=True)
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)
    # The ranks drew different batches, so the result differs from one process alone.
    single = train_lm(
        np.random.default_rng(0).integers(0, 300, 8000).astype(np.uint16),
        TINY,
        TrainConfig(max_steps=5, batch_size=4, eval_interval=5, track_every=5, device="cpu"),
        progress=False,
    )
    assert not torch.equal(single.model.wte.weight.detach(), a["transformer.wte.weight"])


def test_gpt_configs_and_resume_without_checkpoint(tmp_path):
    pytest.importorskip("torch")
    import tokenvec.nn as lm

    with pytest.raises(ValueError, match="n_head must be between 1"):
        lm.GPTConfig(n_head=0)
    with pytest.raises(ValueError, match="checkpoint_every must be >= 1"):
        lm.TrainConfig(checkpoint_every=0)
    with pytest.raises(TypeError, match="max_steps must be an integer"):
        lm.TrainConfig(max_steps=1.5)
    ids = np.arange(2000) % 50
    cfg = lm.GPTConfig(vocab_size=50, block_size=8, n_layer=1, n_head=1, n_embd=8)
    with pytest.raises(FileNotFoundError, match="cannot resume: no checkpoint"):
        lm.train_lm(ids, cfg, lm.TrainConfig(max_steps=1), checkpoint=tmp_path / "no.pt",
                    resume=True, progress=False)  # fmt: skip
    (tmp_path / "mine.pt").write_bytes(b"user data")
    with pytest.raises(FileExistsError, match="mine.pt exists"):
        lm.train_lm(ids, cfg, lm.TrainConfig(max_steps=1), checkpoint=tmp_path / "mine.pt",
                    progress=False)  # fmt: skip
    assert (tmp_path / "mine.pt").read_bytes() == b"user data"


@pytest.mark.slow
def test_the_docs_torchrun_recipe_runs_twice_in_a_row(tmp_path):
    # Before, the second run failed on the checkpoint the first one wrote (40 lines of
    # torchrun traceback). The line is run as the tour shows it.
    import shlex
    from pathlib import Path

    tour = (Path(__file__).resolve().parents[1] / "docs" / "tour.md").read_text("utf-8")
    line = next(ln for ln in tour.splitlines() if ln.startswith("torchrun "))
    argv = shlex.split(line.split("#")[0])
    runner = Path(sys.executable).parent / "torchrun"
    argv[:1] = [str(runner)] if runner.exists() else [sys.executable, "-m", "torch.distributed.run"]
    for _ in range(2):
        out = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
    assert load_model(tmp_path / "lm-ddp.pt").config.vocab_size == 50257
