"""The ``tokenvec`` command line. Commands map onto library functions and hold no logic."""

from __future__ import annotations

from pathlib import Path

import typer

from tokenvec import __version__

app = typer.Typer(
    name="tokenvec",
    help="Token embeddings: the lookup layer, pretrained vectors, training and tools.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tokenvec {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """tokenvec command line."""


@app.command()
def demo(
    seed: int = typer.Option(0, help="Seed of the random initialisation."),
    lm_seconds: float = typer.Option(60.0, help="Seconds of small-GPT training at the end."),
) -> None:
    """Walk through token embeddings on built-in defaults (GPT-2 sizes)."""
    from tokenvec.demo import DemoConfig, run

    run(DemoConfig(seed=seed, lm_seconds=lm_seconds))


@app.command()
def train(
    corpus: Path | None = typer.Argument(
        None, help="Text file or folder (.gz/.bz2/.xz too); default: the built-in corpus."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the vectors."),
    format: str = typer.Option(
        "native", "--format", help="native, word2vec, word2vec-text, fasttext or glove."
    ),
    sg: bool = typer.Option(False, "--sg/--cbow", help="Skip-gram or CBOW."),
    vector_size: int = typer.Option(100, help="Dimensions."),
    window: int = typer.Option(5, help="Maximum context distance."),
    min_count: int = typer.Option(5, help="Ignore rarer words."),
    max_vocab_size: int | None = typer.Option(None, help="Keep at most this many words."),
    sample: float = typer.Option(1e-3, help="Sub-sampling threshold (0: off)."),
    negative: int = typer.Option(5, help="Noise words per prediction (0: off)."),
    hs: bool = typer.Option(False, "--hs/--no-hs", help="Hierarchical softmax."),
    ns_exponent: float = typer.Option(0.75, help="Noise distribution exponent."),
    cbow_mean: bool = typer.Option(True, "--cbow-mean/--cbow-sum", help="CBOW context."),
    alpha: float = typer.Option(0.025, help="Initial learning rate."),
    min_alpha: float = typer.Option(0.0001, help="Final learning rate."),
    epochs: int = typer.Option(5, help="Passes over the corpus."),
    threads: int = typer.Option(0, help="Worker threads (0: one per core)."),
    seed: int = typer.Option(1, help="Random seed (threads=1 runs are reproducible)."),
    max_sentence_length: int = typer.Option(10_000, help="Longer lines are cut."),
    chunk_words: int = typer.Option(10_000, help="Words per work unit."),
    checkpoint: Path | None = typer.Option(None, help="Checkpoint folder (saved atomically)."),
    checkpoint_every: float = typer.Option(10.0, help="Minutes between checkpoints."),
    resume: bool = typer.Option(False, help="Continue from --checkpoint."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar."),
) -> None:
    """Train word2vec embeddings and save them."""
    from tokenvec.word2vec import Word2Vec, Word2VecConfig

    config = Word2VecConfig(
        sg=sg, vector_size=vector_size, window=window, min_count=min_count,
        max_vocab_size=max_vocab_size, sample=sample, negative=negative, hs=hs,
        ns_exponent=ns_exponent, cbow_mean=cbow_mean, alpha=alpha, min_alpha=min_alpha,
        epochs=epochs, threads=threads, seed=seed, max_sentence_length=max_sentence_length,
        chunk_words=chunk_words,
    )  # fmt: skip
    if resume:
        if checkpoint is None:
            raise typer.BadParameter("--resume needs --checkpoint", param_hint="--resume")
        model, wv = Word2Vec.resume(
            checkpoint, corpus, progress=progress, checkpoint_every=checkpoint_every
        )
    else:
        model = Word2Vec(config)
        wv = model.train(
            corpus, progress=progress, checkpoint=checkpoint, checkpoint_every=checkpoint_every
        )
    for note in model.notes:
        typer.echo(f"note: {note}", err=True)
    path = wv.save(output, format=format)  # type: ignore[arg-type]
    losses = ", ".join(f"{x:.3f}" for x in model.progress.losses)
    typer.echo(f"saved {len(wv):,} x {wv.vector_size} vectors to {path} (loss by epoch: {losses})")


@app.command("train-lm")
def train_lm_command(
    corpus: Path | None = typer.Argument(None, help="UTF-8 text file; default: built-in corpus."),
    checkpoint: Path = typer.Option(..., "--checkpoint", "-o", help="Checkpoint file to write."),
    vectors: Path | None = typer.Option(None, help="Also save the token embeddings here."),
    max_steps: int = typer.Option(300, help="Optimizer steps."),
    batch_size: int = typer.Option(16, help="Sequences per step (per process)."),
    block_size: int = typer.Option(64, help="Context length."),
    n_layer: int = typer.Option(2, help="Transformer blocks."),
    n_head: int = typer.Option(4, help="Attention heads."),
    n_embd: int = typer.Option(64, help="Embedding dimensions."),
    lr: float = typer.Option(1e-2, help="Peak learning rate."),
    min_lr: float = typer.Option(1e-3, help="Final learning rate."),
    warmup_steps: int = typer.Option(20, help="Linear warm-up steps."),
    max_seconds: float | None = typer.Option(None, help="Stop after this much wall time."),
    eval_interval: int = typer.Option(50, help="Steps between validation losses."),
    device: str = typer.Option("auto", help="auto, cpu, cuda, cuda:1..."),
    seed: int = typer.Option(0, help="Random seed."),
    resume: bool = typer.Option(False, help="Continue from --checkpoint."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar."),
) -> None:
    """Train a small GPT whose token embeddings you can then query (torchrun works too)."""
    import lzma

    import numpy as np

    from tokenvec.corpus import builtin_corpus_path
    from tokenvec.data import tokenize_file
    from tokenvec.lm import GPTConfig, TrainConfig, token_vectors, train_lm
    from tokenvec.tokenizers import gpt2

    tok = gpt2()
    if corpus is None:
        text = lzma.decompress(builtin_corpus_path().read_bytes()).decode("utf-8")
        ids = np.array(tok.encode_ordinary(text), dtype=np.uint16)
    else:
        ids = tokenize_file(corpus, tok, checkpoint.with_name(checkpoint.name + ".ids.npy"))
    res = train_lm(
        ids,
        GPTConfig(block_size=block_size, n_layer=n_layer, n_head=n_head, n_embd=n_embd),
        TrainConfig(
            max_steps=max_steps, batch_size=batch_size, lr=lr, min_lr=min_lr,
            warmup_steps=warmup_steps, max_seconds=max_seconds, eval_interval=eval_interval,
            device=device, seed=seed,
        ),
        tokenizer=tok, checkpoint=checkpoint, resume=resume, progress=progress,
    )  # fmt: skip
    import os

    if int(os.environ.get("RANK", "0")) != 0:
        return
    if vectors is not None:
        token_vectors(res.model, tok, ids=np.unique(np.asarray(ids))).save(vectors)
    val = res.val_losses[-1][1] if res.val_losses else float("nan")
    typer.echo(
        f"{res.steps} steps, validation loss {val:.3f}, {res.tokens_per_second:,.0f} tokens/s; "
        f"checkpoint {checkpoint}"
    )


def main() -> None:
    """Entry point of the ``tokenvec`` script: user mistakes print one line, not a traceback."""
    import sys

    from tokenvec.corpus import CorpusError
    from tokenvec.io import VectorFormatError
    from tokenvec.word2vec import TrainingError

    try:
        code = app(standalone_mode=False)
    except _CLICK_ERROR as exc:  # usage errors: one line, status 2
        exc.show()
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except (CorpusError, VectorFormatError, TrainingError, ValueError, KeyError, OSError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        typer.echo(f"error: {msg}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


# typer vendors click; its ClickException is the base of typer.BadParameter.
_CLICK_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)


if __name__ == "__main__":
    main()
