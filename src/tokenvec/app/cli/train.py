"""Commands that train: word2vec and the small GPT."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from tokenvec.app.cli.base import (
    FORMAT_HELP,
    OVERWRITE_HELP,
    DecayBy,
    VectorFormat,
    _check_output,
    _emit,
    app,
    flag,
    output_format,
)
from tokenvec.word2vec.config import Word2VecConfig as W2V  # flags take the config's defaults
from tokenvec.word2vec.fasttext import FastTextConfig as FT


def _checkpoint_model(folder: Path) -> str:
    """Which trainer wrote a checkpoint (its state.json names it); word2vec if unreadable (the
    loader then says what is wrong)."""
    import json

    try:
        return str(json.loads((folder / "state.json").read_text("utf-8")).get("model"))
    except (OSError, ValueError, AttributeError):
        return "word2vec"


def _given(ctx: typer.Context) -> set[str]:
    """The parameters the user set on the command line (not left at their default)."""
    given = set()
    for name in ctx.params:
        source = ctx.get_parameter_source(name)  # click's ParameterSource (typer vendors it)
        if source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP"):
            given.add(name)
    return given


BATCH_HELP = (
    "The batched step: one draw of noise words per skip-gram window (--sg, negative sampling, "
    "word vectors only). Default: on wherever it applies, and code compiled for the vector "
    "size where it has its own (100); --no-batch trains with the classic per-pair step in the "
    "code for any size, which reproduces runs made before either existed."
)
DECAY_HELP = (
    "What the learning rate falls with: the words trained (word2vec.c) or the sentences "
    "(gensim, given its sentence count). They differ where line lengths change along the corpus."
)
LOWERCASE_HELP = (
    "Lowercase and keep only words (letters, digits, an inner apostrophe), as gensim's "
    "simple_preprocess does. Default: split on whitespace only ('ruled.' and 'The' stay words "
    "of their own)."
)


def _flag(name: str, value: Any) -> str:
    """How the user spells ``name=value`` on the command line."""
    pairs = {"sg": ("--sg", "--cbow"), "hs": ("--hs", "--no-hs"),
             "cbow_mean": ("--cbow-mean", "--cbow-sum"), "batch": ("--batch", "--no-batch"),
             "subwords": ("--subwords", "--no-subwords")}  # fmt: skip
    if name in pairs:
        return pairs[name][0 if value else 1]
    return f"--{name.replace('_', '-')} {value}"


def _continue_overrides(model: Any, given: set[str], values: dict[str, Any]) -> dict[str, Any]:
    """The flags given with --continue as update overrides; a flag that would change what
    the checkpoint's model is (its shape, its objective, its vocabulary rule) is refused."""
    from dataclasses import fields

    subwords_now = model.MODEL != "word2vec"
    if "subwords" in given and values["subwords"] != subwords_now:
        raise typer.BadParameter(
            f"{_flag('subwords', values['subwords'])} cannot be used with --continue: the "
            f"checkpoint holds a {model.MODEL} model"
        )
    overrides: dict[str, Any] = {}
    for f in fields(model.config):
        if f.name not in given:
            continue
        value, now = values[f.name], getattr(model.config, f.name)
        if f.name in model.UPDATABLE:
            overrides[f.name] = value
        elif value != now:
            allowed = ", ".join(_flag(n, "").strip() for n in model.UPDATABLE)
            raise typer.BadParameter(
                f"{_flag(f.name, value)} cannot be used with --continue: the checkpoint was "
                f"trained with {_flag(f.name, now)}, and an update keeps it (only {allowed} "
                f"may change)"
            )
    return overrides


@app.command()
def train(
    ctx: typer.Context,
    corpus: Path | None = typer.Argument(
        None, help="Text file or folder (.gz/.bz2/.xz too); default: the built-in corpus."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the vectors."),
    format: VectorFormat | None = typer.Option(
        None, "--format", help=FORMAT_HELP, case_sensitive=False
    ),
    sg: bool = flag(W2V.sg, "--sg/--cbow", help="Skip-gram or CBOW."),
    vector_size: int = typer.Option(W2V.vector_size, help="Dimensions."),
    window: int = typer.Option(W2V.window, help="Maximum context distance."),
    min_count: int = typer.Option(W2V.min_count, help="Ignore rarer words."),
    max_vocab_size: int | None = typer.Option(
        W2V.max_vocab_size, help="Keep at most this many words."
    ),
    sample: float = typer.Option(W2V.sample, help="Sub-sampling threshold (0: off)."),
    negative: int = typer.Option(W2V.negative, help="Noise words per prediction (0: off)."),
    hs: bool = flag(W2V.hs, "--hs/--no-hs", help="Hierarchical softmax."),
    ns_exponent: float = typer.Option(W2V.ns_exponent, help="Noise distribution exponent."),
    cbow_mean: bool = flag(W2V.cbow_mean, "--cbow-mean/--cbow-sum", help="CBOW context."),
    batch: bool | None = flag(W2V.batch, "--batch/--no-batch", help=BATCH_HELP),
    alpha: float | None = typer.Option(
        None, help=f"Initial learning rate [word2vec {W2V.alpha}, subwords {FT.alpha}]."
    ),
    min_alpha: float = typer.Option(W2V.min_alpha, help="Final learning rate."),
    decay_by: DecayBy = typer.Option(DecayBy(W2V.decay_by), help=DECAY_HELP),
    epochs: int = typer.Option(W2V.epochs, help="Passes over the corpus."),
    threads: int = typer.Option(W2V.threads, help="Worker threads (0: one per core)."),
    seed: int = typer.Option(W2V.seed, help="Random seed (threads=1 runs are reproducible)."),
    max_sentence_length: int = typer.Option(W2V.max_sentence_length, help="Longer lines are cut."),
    chunk_words: int = typer.Option(W2V.chunk_words, help="Words per work unit."),
    subwords: bool = flag(
        False, "--subwords/--no-subwords", help="fastText: vectors from character n-grams too."
    ),
    min_n: int = typer.Option(FT.min_n, help="Subwords: shortest n-gram (characters)."),
    max_n: int = typer.Option(FT.max_n, help="Subwords: longest n-gram (0: none)."),
    bucket: int = typer.Option(FT.bucket, help="Subwords: n-gram hash buckets (rows)."),
    checkpoint: Path | None = typer.Option(None, help="Checkpoint folder (saved atomically)."),
    checkpoint_every: float = typer.Option(10.0, help="Minutes (not steps) between checkpoints."),
    resume: bool = flag(False, help="Continue from --checkpoint."),
    continue_from: Path | None = typer.Option(
        None, "--continue", help="A checkpoint to update with CORPUS (new words join)."
    ),
    lowercase: bool = flag(False, "--lowercase", help=LOWERCASE_HELP),
    token_pattern: str | None = typer.Option(
        None,
        "--token-pattern",
        help="A regular expression whose matches are the words (after --lowercase, if given).",
    ),
    overwrite: bool = flag(False, "--overwrite", help=OVERWRITE_HELP),
    progress: bool = flag(True, "--progress/--no-progress", help="Progress bar."),
    as_json: bool = flag(False, "--json", help="Machine-readable summary."),
) -> None:
    """Train word2vec embeddings (or, with --subwords, fastText's) and save them.

    Subword vectors answer words outside the vocabulary; a .bin (fastText's format) or
    tokenvec's folder keeps the n-grams (other formats keep the vocabulary's vectors).
    """
    from tokenvec.word2vec import FastText, FastTextConfig, Word2Vec, Word2VecConfig

    source = _corpus(corpus, lowercase, token_pattern, max_sentence_length)
    common: dict[str, Any] = dict(
        sg=sg, vector_size=vector_size, window=window, min_count=min_count,
        max_vocab_size=max_vocab_size, sample=sample, negative=negative, hs=hs,
        ns_exponent=ns_exponent, cbow_mean=cbow_mean, min_alpha=min_alpha, batch=batch,
        decay_by=decay_by.value,
        epochs=epochs, threads=threads, seed=seed, max_sentence_length=max_sentence_length,
        chunk_words=chunk_words, **({} if alpha is None else {"alpha": alpha}),
    )  # fmt: skip
    trainer: type[Word2Vec] = FastText if subwords else Word2Vec
    config: Word2VecConfig = (
        FastTextConfig(**common, min_n=min_n, max_n=max_n, bucket=bucket)
        if subwords
        else Word2VecConfig(**common)
    )
    fmt = output_format(output, format, subwords)
    # Refuse an output that may not be replaced before training, not after it.
    _check_output(output, fmt.value, overwrite)
    run: dict[str, Any] = dict(progress=progress, checkpoint=checkpoint,
                               checkpoint_every=checkpoint_every, overwrite=overwrite)  # fmt: skip
    if continue_from is not None:
        if resume:
            raise typer.BadParameter("--continue and --resume exclude each other")
        values = {**common, "subwords": subwords, "min_n": min_n, "max_n": max_n,
                  "bucket": bucket, "alpha": alpha}  # fmt: skip
        model, wv = _continue(continue_from, source, run, _given(ctx), values)
    elif resume:
        if checkpoint is None:
            raise typer.BadParameter("--resume needs --checkpoint", param_hint="--resume")
        model, wv = trainer.resume(
            checkpoint, source, progress=progress, checkpoint_every=checkpoint_every
        )
    else:
        model = trainer(config)
        wv = model.train(source, **run)
    _save(model, wv, output, fmt, overwrite, as_json)


def _save(model: Any, wv: Any, output: Path, fmt: VectorFormat, overwrite: bool,
          as_json: bool) -> None:  # fmt: skip
    """Save trained vectors and say what was written (and the trainer's notes, on stderr)."""
    for note in model.notes:
        typer.echo(f"note: {note}", err=True)
    path = wv.save(output, format=fmt.value, overwrite=overwrite)
    data = {"path": str(path), "format": fmt.value, "count": len(wv), "dim": wv.vector_size,
            "losses": model.progress.losses, "notes": model.notes}  # fmt: skip
    losses = ", ".join(f"{x:.3f}" for x in model.progress.losses)
    line = (f"saved {len(wv):,} x {wv.vector_size} vectors to {path} ({fmt.value}; loss by "
            f"epoch: {losses})")  # fmt: skip
    _emit(data, as_json, lambda d: typer.echo(line))


def _continue(checkpoint: Path, source: Any, run: dict[str, Any], given: set[str],
              values: dict[str, Any]) -> tuple[Any, Any]:  # fmt: skip
    """(model, vectors) of a checkpoint updated with ``source`` (--continue), the flags the
    command line gave checked against what the checkpoint allows to change."""
    from tokenvec.word2vec import FastText, Word2Vec

    kind = FastText if _checkpoint_model(checkpoint) == FastText.MODEL else Word2Vec
    model = kind.load_checkpoint(checkpoint)
    changes = _continue_overrides(model, given, values)
    return model, model.update(source, **run, **changes)


def _corpus(corpus: Path | None, lowercase: bool, pattern: str | None, longest: int) -> Any:
    """The corpus to train on: the path (None: the built-in corpus), split on whitespace, or
    read through a word pattern when --lowercase or --token-pattern asks for one."""
    from tokenvec.tokenizers import DEFAULT_PATTERN, WordTokenizer
    from tokenvec.word2vec.corpus import as_corpus

    if not lowercase and pattern is None:
        return corpus
    try:
        words = WordTokenizer(pattern or DEFAULT_PATTERN, lowercase)
    except re.error as exc:
        raise typer.BadParameter(
            f"not a regular expression: {exc}", param_hint="--token-pattern"
        ) from None
    return as_corpus(corpus, max_sentence_length=longest, tokenizer=words)


@app.command("train-lm")
def train_lm_command(
    corpus: Path | None = typer.Argument(None, help="UTF-8 text file; default: built-in corpus."),
    checkpoint: Path = typer.Option(..., "--checkpoint", "-o", help="Checkpoint file to write."),
    vectors: Path | None = typer.Option(
        None, "--save-vectors", help="Also save the learned token embeddings here (an output)."
    ),
    # None: the default of GPTConfig / TrainConfig (tokenvec.nn), the one source of defaults.
    max_steps: int | None = typer.Option(None, help="Optimizer steps [TrainConfig: 300]."),
    batch_size: int | None = typer.Option(None, help="Sequences per step per process [16]."),
    block_size: int | None = typer.Option(None, help="Context length [GPTConfig: 64]."),
    n_layer: int | None = typer.Option(None, help="Transformer blocks [2]."),
    n_head: int | None = typer.Option(None, help="Attention heads [4]."),
    n_embd: int | None = typer.Option(None, help="Embedding dimensions [128]."),
    lr: float | None = typer.Option(None, help="Peak learning rate [3e-3]."),
    min_lr: float | None = typer.Option(None, help="Final learning rate [3e-4]."),
    warmup_steps: int | None = typer.Option(None, help="Linear warm-up steps [20]."),
    max_seconds: float | None = typer.Option(None, help="Stop after this much wall time."),
    eval_interval: int | None = typer.Option(None, help="Steps between validation losses [50]."),
    device: str | None = typer.Option(None, help="auto, cpu, cuda, cuda:1... [auto]."),
    seed: int | None = typer.Option(None, help="Random seed [0]."),
    resume: bool = flag(False, help="Continue from --checkpoint."),
    continue_from: Path | None = typer.Option(
        None, "--continue", help="A checkpoint to update with CORPUS (new words join)."
    ),
    overwrite: bool = flag(False, "--overwrite", help=OVERWRITE_HELP),
    progress: bool = flag(True, "--progress/--no-progress", help="Progress bar."),
    as_json: bool = flag(False, "--json", help="Machine-readable summary."),
) -> None:
    """Train a small GPT whose token embeddings you can then query (torchrun works too)."""
    import numpy as np

    from tokenvec._optional import require

    require("torch", "torch")  # one line naming the install, not a traceback
    if vectors is not None:
        _check_output(vectors, "native", overwrite)

    from tokenvec.nn import GPTConfig, TrainConfig, token_vectors, train_lm
    from tokenvec.tokenizers import gpt2
    from tokenvec.windows import builtin_corpus_ids, tokenize_file

    tok = gpt2()
    if corpus is None:
        ids = builtin_corpus_ids(tok)
    else:
        ids = tokenize_file(
            corpus,
            tok,
            checkpoint.with_name(checkpoint.name + ".ids.npy"),
            overwrite=overwrite or resume,
        )
    res = train_lm(
        ids,
        GPTConfig(**_set_flags(block_size=block_size, n_layer=n_layer, n_head=n_head,
                           n_embd=n_embd)),
        TrainConfig(**_set_flags(
            max_steps=max_steps, batch_size=batch_size, lr=lr, min_lr=min_lr,
            warmup_steps=warmup_steps, max_seconds=max_seconds, eval_interval=eval_interval,
            device=device, seed=seed,
        )),
        tokenizer=tok, checkpoint=checkpoint, resume=resume, overwrite=overwrite,
        progress=progress,
    )  # fmt: skip
    import os

    if int(os.environ.get("RANK", "0")) != 0:
        return
    if vectors is not None:
        token_vectors(res.model, tok, ids=np.unique(np.asarray(ids)).tolist()).save(
            vectors, overwrite=overwrite
        )
    val = res.val_losses[-1][1] if res.val_losses else float("nan")
    data = {
        "steps": res.steps,
        "val_loss": val,
        "tokens_per_second": res.tokens_per_second,
        "checkpoint": str(checkpoint),
        "vectors": str(vectors) if vectors else None,
    }
    _emit(data, as_json, lambda d: typer.echo(
        f"{res.steps} steps, validation loss {val:.3f}, {res.tokens_per_second:,.0f} tokens/s; "
        f"checkpoint {checkpoint}"))  # fmt: skip


def _set_flags(**flags: Any) -> dict[str, Any]:
    """The flags the user gave: the others keep the config dataclass's default."""
    return {k: v for k, v in flags.items() if v is not None}
