"""The ``tokenvec`` command line. Commands map onto library functions and hold no logic."""

from __future__ import annotations

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


def main() -> None:
    """Entry point of the ``tokenvec`` script."""
    app()


if __name__ == "__main__":
    main()
