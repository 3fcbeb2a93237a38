"""Commands about tokens and the guided demo."""

from __future__ import annotations

from typing import Any

import typer

from tokenvec.app.cli.base import _emit, _table, app, flag
from tokenvec.app.demo import DemoConfig


@app.command()
def demo(
    seed: int = typer.Option(0, help="Seed of the random initialisation."),
    word2vec_epochs: int = typer.Option(
        DemoConfig.word2vec_epochs, help="Epochs of word2vec on the built-in corpus."
    ),
    lm_seconds: float = typer.Option(
        DemoConfig.lm_seconds, help="Seconds of small-GPT training at the end."
    ),
) -> None:
    """Walk through token embeddings on built-in defaults (GPT-2 sizes)."""
    from tokenvec.app.demo import run

    run(DemoConfig(seed=seed, word2vec_epochs=word2vec_epochs, lm_seconds=lm_seconds))


@app.command()
def tokenize(
    text: str = typer.Argument(..., help="Text to tokenise."),
    tokenizer: str = typer.Option("gpt2", help="gpt2, or a word-level tokenizer JSON file."),
    as_json: bool = flag(False, "--json", help="Machine-readable output."),
) -> None:
    """Token ids and tokens of a text."""
    from tokenvec.tokenizers import WordLevel, gpt2

    if tokenizer == "gpt2":
        tok: Any = gpt2()
        ids = tok.encode(text)
        pieces = [tok.token_text(i) for i in ids]
    else:
        tok = WordLevel.load(tokenizer)
        ids = tok.encode(text)
        pieces = [tok.id_to_token(i) for i in ids]
    data = {"tokenizer": tokenizer, "ids": ids, "tokens": pieces}
    rows = [[i, t, repr(p)] for i, (t, p) in enumerate(zip(ids, pieces, strict=True))]
    _emit(data, as_json, lambda d: _table(f"{len(ids)} tokens", ["position", "id", "token"], rows))
