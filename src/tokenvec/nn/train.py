"""Training the small GPT: AdamW with warm-up and cosine decay, validation, checkpoints,
and snapshots of how the token embeddings organise.

Runs on one CPU, one GPU, or several processes under ``torchrun`` (DistributedDataParallel;
gloo on CPU, nccl on GPU), and records how the token-embedding matrix changes: neighbours of
chosen tokens and the cosine of related versus random token pairs.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from tokenvec._checks import check_float, check_int
from tokenvec.io.files import check_replaceable
from tokenvec.nn.gpt import GPT, GPTConfig
from tokenvec.tokenizers import Tokenizer

# --- tracking the token embeddings -------------------------------------------------------

# Tokens that play the same grammatical role end up close; random pairs do not.
RELATED_PAIRS: tuple[tuple[str, str], ...] = (
    (" he", " she"), (" his", " her"), (" the", " a"), (" and", " or"), (" was", " is"),
    (" him", " them"), (" my", " your"), (" in", " on"), (" said", " saith"), (" be", " have"),
    (" king", " lord"), (" man", " woman"), (" day", " night"), (" father", " mother"),
)  # fmt: skip
TRACK_TOKENS: tuple[str, ...] = (" he", " the", " king", " said", " love")


@dataclass
class Snapshot:
    """The token embeddings at one training step."""

    step: int
    neighbours: dict[str, list[str]]
    related_cosine: float  # mean cosine of RELATED_PAIRS
    random_cosine: float  # mean cosine of the same tokens paired wrongly


def embedding_snapshot(
    weight: np.ndarray,
    tokenizer: Tokenizer,
    step: int,
    *,
    tokens: Sequence[str] = TRACK_TOKENS,
    pairs: Sequence[tuple[str, str]] = RELATED_PAIRS,
    candidates: np.ndarray | None = None,
    seed: int = 0,
) -> Snapshot:
    """Neighbours of ``tokens`` among ``candidates`` (token ids), and pair cosines.

    Vectors are centred on the candidates' mean first: training pushes all embeddings along a
    shared direction, which raises every cosine alike and would hide which pairs grew closer.
    """
    cand = np.arange(len(weight)) if candidates is None else np.asarray(candidates)
    centred = weight - weight[cand].mean(axis=0)  # (V, C)
    unit = centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)  # (V, C)

    def single(text: str) -> int | None:
        ids = tokenizer.encode_ordinary(text)
        return ids[0] if len(ids) == 1 else None

    neighbours = {}
    for tok in tokens:
        i = single(tok)
        if i is None:
            continue
        scores = unit[cand] @ unit[i]
        order = cand[np.argsort(-scores)]
        neighbours[tok] = [tokenizer.token_text(int(j)) for j in order if j != i][:5]
    ids = [(single(a), single(b)) for a, b in pairs]
    ids = [(a, b) for a, b in ids if a is not None and b is not None]
    related = float(np.mean([unit[a] @ unit[b] for a, b in ids])) if ids else float("nan")
    # The control uses the same tokens, paired wrongly (he/night, his/mother...): frequent tokens
    # share a direction of their own, so random rare tokens would be an unfair baseline.
    mismatched = [
        unit[a] @ unit[b2]
        for i, (a, _) in enumerate(ids)
        for j, (_, b2) in enumerate(ids)
        if i != j
    ]
    randoms = float(np.mean(mismatched)) if mismatched else float("nan")
    return Snapshot(step, neighbours, related, randoms)


# --- training ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainConfig:
    """Every knob of an LM training run."""

    max_steps: int = 300
    batch_size: int = 16
    lr: float = 3e-3
    min_lr: float = 3e-4
    warmup_steps: int = 20
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0
    eval_interval: int = 50
    eval_batches: int = 8
    val_fraction: float = 0.05
    track_every: int = 50
    max_seconds: float | None = None  # stop early after this much wall time ...
    min_steps: int = 0  # ... but not before this many steps of this run
    checkpoint_every: int = 100  # steps
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        for name in (
            "max_steps",
            "batch_size",
            "eval_interval",
            "eval_batches",
            "track_every",
            "checkpoint_every",
        ):
            check_int(getattr(self, name), name, 1, None)
        check_int(self.warmup_steps, "warmup_steps", 0, None)
        check_int(self.min_steps, "min_steps", 0, None)
        check_int(self.seed, "seed", 0, 2**63 - 1)
        check_float(self.lr, "lr", 0.0, None, low_open=True)
        check_float(self.min_lr, "min_lr", 0.0, self.lr)
        check_float(self.weight_decay, "weight_decay", 0.0, None)
        check_float(self.beta1, "beta1", 0.0, 1.0)
        check_float(self.beta2, "beta2", 0.0, 1.0)
        check_float(self.grad_clip, "grad_clip", 0.0, None)
        if self.max_seconds is not None:
            check_float(self.max_seconds, "max_seconds", 0.0, None, low_open=True)
        if not 0 < check_float(self.val_fraction, "val_fraction") < 1:
            raise ValueError("val_fraction must lie in (0, 1)")


@dataclass
class TrainResult:
    model: GPT
    steps: int
    train_losses: list[tuple[int, float]] = field(default_factory=list)
    val_losses: list[tuple[int, float]] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    tokens_per_second: float = 0.0


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay from lr to min_lr at max_steps.

    >>> round(lr_at(0, TrainConfig(warmup_steps=10, lr=1.0)), 2)
    0.1
    """
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    ratio = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps))
    return cfg.min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (cfg.lr - cfg.min_lr)


def _distributed() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment; (0, 1, 0) otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, 0
    return int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0"))


def device_for(name: str, local_rank: int = 0) -> torch.device:
    """The torch device ``name`` names; "auto": this process's CUDA device if any, else CPU."""
    if name == "auto":
        name = f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def _batch(
    data: np.ndarray, block: int, batch: int, gen: np.random.Generator, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    starts = gen.integers(0, len(data) - block - 1, size=batch)
    x = np.stack([data[s : s + block] for s in starts]).astype(np.int64)  # (B, T)
    y = np.stack([data[s + 1 : s + 1 + block] for s in starts]).astype(np.int64)  # (B, T)
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)


def _split(data: np.ndarray, mcfg: GPTConfig, tcfg: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Check the ids against the model and cut off the validation tail."""
    if data.ndim != 1 or data.dtype.kind not in "iu":
        raise ValueError(f"ids must be a 1-D integer array, got {data.dtype} {data.shape}")
    if data.size and int(data.max()) >= mcfg.vocab_size:
        raise ValueError(
            f"token id {int(data.max())} does not fit the model's vocab_size {mcfg.vocab_size}: "
            f"the tokenizer and the embedding disagree"
        )
    n_val = max(mcfg.block_size + 2, int(len(data) * tcfg.val_fraction))
    if len(data) - n_val < mcfg.block_size + 2:
        raise ValueError(
            f"{len(data)} tokens are too few for block_size {mcfg.block_size} plus a "
            f"validation split; use more text or a shorter block_size"
        )
    return data[:-n_val], data[-n_val:]


def _check_checkpoint(checkpoint: Path | None, resume: bool, overwrite: bool) -> None:
    """Refuse, before training, a checkpoint target the run could not use or write."""
    if resume and checkpoint is None:
        raise ValueError("resume=True needs checkpoint=PATH")
    if checkpoint is None:
        return
    if resume and not checkpoint.is_file():
        raise FileNotFoundError(f"cannot resume: no checkpoint file at {checkpoint}")
    if not resume:
        check_replaceable(
            checkpoint,
            overwrite=overwrite,
            hint="pass resume=True to continue it or overwrite=True to replace it",
        )


def _start_processes(tcfg: TrainConfig) -> tuple[int, int, torch.device]:
    """(rank, world size, device), joining torchrun's process group when there is one."""
    rank, world, local_rank = _distributed()
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() and tcfg.device != "cpu" else "gloo"
        torch.distributed.init_process_group(backend=backend)
    device = device_for(tcfg.device, local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return rank, world, device


@dataclass
class _Run:
    """The state of one training run that a checkpoint holds."""

    model: GPT
    optim: torch.optim.Optimizer
    gen: np.random.Generator  # draws the training batches
    mcfg: GPTConfig
    tcfg: TrainConfig
    result: TrainResult
    step: int = 0

    def save(self, path: Path) -> None:
        """Write the whole state atomically (the target was checked before training)."""
        from tokenvec.io.files import atomic_path

        state = {
            "model": self.model.state_dict(),
            "optim": self.optim.state_dict(),
            "step": self.step,
            "gen": self.gen.bit_generator.state,
            "model_config": asdict(self.mcfg),
            "train_config": asdict(self.tcfg),
            "train_losses": self.result.train_losses,
            "val_losses": self.result.val_losses,
        }
        with atomic_path(path, overwrite=True) as tmp:
            torch.save(state, tmp)

    def snapshot(self, tokenizer: Tokenizer, candidates: np.ndarray) -> None:
        """Record where the token embeddings stand now."""
        w = self.model.wte.weight.detach().float().cpu().numpy()
        snap = embedding_snapshot(w, tokenizer, self.step, candidates=candidates)
        self.result.snapshots.append(snap)

    def restore(self, path: Path, device: torch.device) -> None:
        """Continue from a checkpoint of the same model configuration."""
        state = read_checkpoint(path, device)
        if state["model_config"] != asdict(self.mcfg):
            raise ValueError(f"{path} was saved for another model configuration")
        self.model.load_state_dict(state["model"])
        self.optim.load_state_dict(state["optim"])
        self.step = int(state["step"])
        self.gen.bit_generator.state = state["gen"]
        self.result.train_losses = [tuple(x) for x in state["train_losses"]]  # type: ignore[misc]
        self.result.val_losses = [tuple(x) for x in state["val_losses"]]  # type: ignore[misc]


@torch.no_grad()
def validation_loss(
    model: GPT, val_data: np.ndarray, tcfg: TrainConfig, device: torch.device
) -> float:
    """Mean loss over ``tcfg.eval_batches`` batches drawn with a fixed seed (comparable across
    steps and runs)."""
    model.eval()
    g = np.random.default_rng(12345)
    block = model.config.block_size
    losses = [
        float(model(*_batch(val_data, block, tcfg.batch_size, g, device))[1])
        for _ in range(tcfg.eval_batches)
    ]
    model.train()
    return float(np.mean(losses))


def _train_step(net: nn.Module, run: _Run, train_data: np.ndarray, device: torch.device) -> float:
    """One optimizer step at the scheduled learning rate; returns the batch loss."""
    tcfg = run.tcfg
    for group in run.optim.param_groups:
        group["lr"] = lr_at(run.step, tcfg)
    x, y = _batch(train_data, run.mcfg.block_size, tcfg.batch_size, run.gen, device)
    _, loss = net(x, y)
    run.optim.zero_grad(set_to_none=True)
    loss.backward()
    if tcfg.grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(run.model.parameters(), tcfg.grad_clip)
    run.optim.step()
    run.step += 1
    lv = float(loss.detach())
    if not math.isfinite(lv):
        raise FloatingPointError(f"the loss became {lv} at step {run.step}; lower lr")
    return lv


def train_lm(
    ids: Any,
    model_config: GPTConfig | None = None,
    train_config: TrainConfig | None = None,
    *,
    tokenizer: Tokenizer | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    on_eval: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Train a GPT on token ``ids`` (1-D, e.g. a memory-mapped file) to predict the next token.

    With ``checkpoint`` set, the state is saved there atomically every
    ``checkpoint_every`` steps and at the end. An existing checkpoint is continued with
    ``resume=True`` or replaced with ``overwrite=True``; ``resume=True`` without one is an error.

    Under ``torchrun`` each process trains on its own batches and DistributedDataParallel
    averages the gradients, so all ranks hold the same weights; rank 0 reports and saves.
    """
    mcfg = model_config or GPTConfig()
    tcfg = train_config or TrainConfig()
    train_data, val_data = _split(np.asarray(ids), mcfg, tcfg)
    ckpt = Path(checkpoint) if checkpoint is not None else None
    _check_checkpoint(ckpt, resume, overwrite)

    rank, world, device = _start_processes(tcfg)
    torch.manual_seed(tcfg.seed)  # the same initial weights on every rank
    model = GPT(mcfg).to(device)
    run = _Run(
        model=model,
        optim=model.configure_optimizers(tcfg.lr, tcfg.weight_decay, (tcfg.beta1, tcfg.beta2)),
        gen=np.random.default_rng([tcfg.seed, rank]),  # each rank draws its own batches
        mcfg=mcfg,
        tcfg=tcfg,
        result=TrainResult(model=model, steps=0),
    )
    if resume and ckpt is not None:
        run.restore(ckpt, device)
    net: nn.Module = model
    if world > 1:
        net = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    lead = rank == 0  # reports, snapshots and saves
    result = run.result
    candidates = np.unique(np.asarray(train_data[:200_000]))  # tokens seen in the text
    track = tokenizer if lead else None

    bar = _Bar(progress and lead, tcfg.max_steps, run.step)
    tokens_per_step = tcfg.batch_size * mcfg.block_size * world
    t0 = time.perf_counter()
    start_step = run.step
    if run.step == 0 and track is not None:
        run.snapshot(track, candidates)
    model.train()
    with bar:
        while run.step < tcfg.max_steps:
            timed_out = tcfg.max_seconds is not None and time.perf_counter() - t0 > tcfg.max_seconds
            if timed_out and run.step - start_step >= tcfg.min_steps:
                break
            lv = _train_step(net, run, train_data, device)
            step = run.step
            result.train_losses.append((step, lv))
            elapsed = time.perf_counter() - t0
            bar.update(step, lv, (step - start_step) * tokens_per_step / max(elapsed, 1e-9))
            if step % tcfg.eval_interval == 0 or step == tcfg.max_steps:
                vl = validation_loss(model, val_data, tcfg, device)
                result.val_losses.append((step, vl))
                bar.note(vl)
                if on_eval is not None and lead:
                    on_eval(step, vl)
            if step % tcfg.track_every == 0 and track is not None:
                run.snapshot(track, candidates)
            if step % tcfg.checkpoint_every == 0 and ckpt is not None and lead:
                run.save(ckpt)
    if not result.val_losses or result.val_losses[-1][0] != run.step:  # stopped by max_seconds
        result.val_losses.append((run.step, validation_loss(model, val_data, tcfg, device)))
    if track is not None and (not result.snapshots or result.snapshots[-1].step != run.step):
        run.snapshot(track, candidates)
    if ckpt is not None and lead:
        run.save(ckpt)
    result.steps = run.step
    result.tokens_per_second = (
        (run.step - start_step) * tokens_per_step / max(time.perf_counter() - t0, 1e-9)
    )
    return result


class _Bar:
    def __init__(self, show: bool, total: int, done: int) -> None:
        self.show, self.total, self.done = show, total, done
        self._p: Any = None
        self._val = "-"

    def __enter__(self) -> _Bar:
        if self.show:
            from rich.progress import BarColumn, TextColumn, TimeRemainingColumn

            from tokenvec._progress import bar

            self._p = bar(
                TextColumn("[bold]GPT[/] step {task.completed}/{task.total}"),
                BarColumn(),
                TextColumn("loss {task.fields[loss]}  val {task.fields[val]}"),
                TextColumn("{task.fields[tps]} tokens/s"),
                TimeRemainingColumn(),
            )
            self._p.__enter__()
            self._t = self._p.add_task(
                "lm", total=self.total, completed=self.done, loss="-", val="-", tps="-"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            self._p.__exit__(*exc)

    def update(self, step: int, loss: float, tps: float) -> None:
        if self._p is not None:
            self._p.update(self._t, completed=step, loss=f"{loss:.3f}", tps=f"{tps:,.0f}")

    def note(self, val: float) -> None:
        if self._p is not None:
            self._p.update(self._t, val=f"{val:.3f}")


_CHECKPOINT_KEYS = ("model", "optim", "step", "gen", "model_config", "train_losses", "val_losses")


def read_checkpoint(path: str | os.PathLike[str], device: Any = "cpu") -> dict[str, Any]:
    """The state dict of a checkpoint written by :func:`train_lm`; tensors and plain data only
    (``weights_only``: no pickled code runs). Anything else is a ``ValueError`` naming the file."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such checkpoint file: {p}")
    if not p.is_file():  # a folder, a device, a pipe: a checkpoint is a zip file, read twice
        what = "a folder" if p.is_dir() else "not a regular file"
        raise ValueError(f"{p} is {what}; a GPT checkpoint is a file written by train-lm")
    try:
        state = torch.load(p, map_location=device, weights_only=True)
    except Exception as exc:  # UnpicklingError, RuntimeError (not a zip), EOFError, ...
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"{p}: not a tokenvec GPT checkpoint ({reason})") from None
    if not isinstance(state, dict) or any(k not in state for k in _CHECKPOINT_KEYS):
        raise ValueError(f"{p}: not a tokenvec GPT checkpoint (its contents are not train_lm's)")
    return state


def loss_curves(path: str | os.PathLike[str]) -> dict[str, list[tuple[int, float]]]:
    """The training and validation losses (step, loss) recorded in a checkpoint."""
    state = read_checkpoint(path)
    return {
        "train": [(int(s), float(v)) for s, v in state["train_losses"]],
        "validation": [(int(s), float(v)) for s, v in state["val_losses"]],
    }


def load_model(path: str | os.PathLike[str], device: str = "cpu") -> GPT:
    """A GPT from a checkpoint written by :func:`train_lm` (tensors only: no pickle code runs)."""
    state = read_checkpoint(path, device)
    try:
        model = GPT(GPTConfig(**state["model_config"]))
        model.load_state_dict(state["model"])
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(f"{path}: the checkpoint does not describe a GPT ({exc})") from None
    return model
