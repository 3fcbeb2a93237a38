"""The ``tokenvec`` command line. Commands map onto library functions and hold no logic;
``base`` holds the app and shared helpers, the other modules its commands by concern."""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.core import TyperCommand

from tokenvec.app.cli import text, tokens, train, vectors  # noqa: F401  (they register the commands)
from tokenvec.app.cli.base import Command, app

__all__ = ["app", "main"]

for _info in app.registered_commands:  # typer's default class, unless a command chose its own
    if _info.cls in (None, TyperCommand):
        _info.cls = Command


def main() -> None:
    """Entry point of the ``tokenvec`` script: user mistakes print one line, not a traceback."""
    import sys

    from tokenvec.io.files import VectorFormatError
    from tokenvec.word2vec import TrainingError
    from tokenvec.word2vec.corpus import CorpusError

    try:
        code = app(standalone_mode=False)
    except _CLICK_ERROR as exc:  # usage errors: one line, status 2
        exc.show()
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except (
        CorpusError,
        VectorFormatError,
        TrainingError,
        ValueError,
        KeyError,
        OSError,
        ImportError,
        MemoryError,
    ) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        typer.echo(f"error: {as_typed(in_cli_words(str(msg)), sys.argv[1:])}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


# Library advice in the words of the command line (the flags that do the same).
_CLI_WORDS = [
    (re.compile(r"pass overwrite=True \(CLI: --overwrite\)"), "pass --overwrite"),
    (re.compile(r"continue it with Word2Vec\.resume or pass overwrite=True"),
     "continue it with --resume or pass --overwrite"),
    (re.compile(r"\boverwrite=True\b"), "--overwrite"),
    (re.compile(r"\bresume=True\b"), "--resume"),
    (re.compile(r"encoding_errors='replace' or 'ignore'"),
     "--encoding-errors replace (or ignore)"),
    (re.compile(r"\bencoding_errors='replace'"), "--encoding-errors replace"),
    (re.compile(r"\bpass limit=(\d+)"), r"pass --limit \1"),
]  # fmt: skip


def in_cli_words(message: str) -> str:
    """``message`` with the library's keyword advice (``overwrite=True``) in flags
    (``--overwrite``), as a user of the command line would type it."""
    for pattern, words in _CLI_WORDS:
        message = pattern.sub(words, message)
    return message


def typed_options(argv: list[str]) -> dict[str, str]:
    """Each option of the command in ``argv`` that the user typed: its keyword (``vector_size``)
    -> the spelling on the command line (``--vector-size``, or ``-s`` if that was typed)."""
    from typer.main import get_command

    group: Any = get_command(app)
    command = next((group.commands.get(a) for a in argv if a in group.commands), None)
    if command is None:
        return {}
    words = {a.split("=", 1)[0] for a in argv if a.startswith("-")}
    out = {}
    for param in command.params:
        typed = [o for o in (*param.opts, *getattr(param, "secondary_opts", ())) if o in words]
        if typed and param.name:
            out[param.name] = typed[0]
    return out


def as_typed(message: str, argv: list[str]) -> str:
    """``message`` with the library's keywords for options the user typed (``vector_size must
    be ...``) spelt as they were typed (``--vector-size must be ...``).

    >>> as_typed("window must be between 1 and 10,000, got 0", ["train", "--window", "0"])
    '--window must be between 1 and 10,000, got 0'
    """
    for name, typed in typed_options(argv).items():
        # A keyword with an underscore anywhere; a plain word only where it names the value
        # ("epochs must be ..."), not in prose ("not a GPT checkpoint").
        after = r"(?![\w-])" if "_" in name else r"(?=\s+must\b|=)"
        message = re.sub(rf"(?<![\w-]){re.escape(name)}{after}", typed, message)
    return message


# typer vendors click; its ClickException is the base of typer.BadParameter.
_CLICK_ERROR: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


if __name__ == "__main__":
    main()
