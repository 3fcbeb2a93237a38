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
) -> None:
    """Walk through token embeddings on built-in defaults (GPT-2 sizes)."""
    from tokenvec.demo import DemoConfig, run

    run(DemoConfig(seed=seed))


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
