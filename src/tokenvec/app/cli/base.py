"""The typer app, the choices and the helpers every command uses (no command logic)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from tokenvec import __version__


class _HelpFlag:
    """Shows ``--help`` (and every other flag) as the flag it is: typer lists its type
    (``<bool>``) as if it took a value."""

    def get_params(self, ctx: Any) -> Any:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:  # --help, and the group's shell-completion flags
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params


class Command(_HelpFlag, TyperCommand):
    """Every tokenvec command (set on each by :func:`tokenvec.app.cli.main`'s app)."""


class Group(_HelpFlag, TyperGroup):
    """The ``tokenvec`` group."""


app = typer.Typer(
    name="tokenvec",
    cls=Group,
    help="Token embeddings: the lookup layer, pretrained vectors, training and tools.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def flag(default: bool | None, *names: str, **options: Any) -> Any:
    """A boolean option: a flag (the command classes show it without a value in the help)."""
    return typer.Option(default, *names, **options)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tokenvec {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = flag(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """tokenvec command line."""


class EncodingErrors(StrEnum):
    strict = "strict"
    replace = "replace"
    ignore = "ignore"


class VectorFormat(StrEnum):
    native = "native"
    word2vec = "word2vec"
    word2vec_text = "word2vec-text"
    fasttext = "fasttext"
    glove = "glove"
    fasttext_bin = "fasttext-bin"


class DecayBy(StrEnum):
    words = "words"
    sentences = "sentences"


class Method(StrEnum):
    cosadd = "3cosadd"
    cosmul = "3cosmul"


class Quantize(StrEnum):
    float16 = "float16"
    int8 = "int8"
    int8_unit = "int8-unit"
    pq = "pq"
    rq = "rq"


class Pooling(StrEnum):
    mean = "mean"
    sif = "sif"
    max = "max"


class MapMethod(StrEnum):
    pca = "pca"
    tsne = "tsne"
    umap = "umap"


OVERWRITE_HELP = "Replace an existing output (a folder only if tokenvec wrote it)."
VECTORS_HELP = (
    "A vectors file (word2vec, GloVe, fastText .vec or .bin), a folder (tokenvec's own or a "
    "Hugging Face model's), or a built-in name (tokenvec list shows them)."
)
DEFAULT_VECTORS = "glove-6b-50d"


def _vectors(name: str) -> Any:
    from tokenvec._progress import status
    from tokenvec.builtin import BUILTIN, load

    with status(
        f"loading {name}" + (" (made on first use, then cached)" if name in BUILTIN else "")
    ):
        return load(name)


def _emit(data: Any, as_json: bool, render: Any) -> None:
    """Print ``data`` as JSON, or through ``render`` (a function of the data) for people."""
    if as_json:
        import json

        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        render(data)


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=escape(title))  # user text is printed literally, never as markup
    for c in columns:
        t.add_column(c, justify="right" if c in ("score", "cosine", "rank") else "left")
    for r in rows:
        t.add_row(*[escape(f"{x:.4f}" if isinstance(x, float) else str(x)) for x in r])
    Console().print(t)


def _scored(pairs: list[tuple[str, float]]) -> list[dict[str, Any]]:
    return [{"word": w, "score": round(float(s), 6)} for w, s in pairs]


# The format an output's extension names (no extension, or any other: tokenvec's own folder).
EXTENSIONS = {".vec": VectorFormat.fasttext, ".txt": VectorFormat.word2vec_text,
              ".bin": VectorFormat.word2vec, ".tvec": VectorFormat.native}  # fmt: skip
FORMAT_HELP = (
    "Output format; by default from the extension: .vec fastText text, .txt word2vec text, "
    ".bin word2vec binary (fastText's .bin for --subwords), .tvec or none tokenvec's folder."
)


def output_format(path: Path, given: VectorFormat | None, subwords: bool = False) -> VectorFormat:
    """``given``, or the format ``path``'s extension names (``.bin`` of subword vectors:
    fastText's model format, which keeps the n-grams).

    >>> output_format(Path("v.vec"), None).value, output_format(Path("m.bin"), None, True).value
    ('fasttext', 'fasttext-bin')
    """
    if given is not None:
        return given
    fmt = EXTENSIONS.get(path.suffix.lower(), VectorFormat.native)
    if subwords and fmt is VectorFormat.word2vec:
        return VectorFormat.fasttext_bin
    return fmt


def _check_output(path: Path, fmt: str, overwrite: bool) -> None:
    """Refuse, before a long job, an output that its save would refuse at the end."""
    from tokenvec.io.files import check_replaceable
    from tokenvec.io.formats import NATIVE_KIND

    kind = NATIVE_KIND if fmt == "native" else None
    check_replaceable(path, overwrite=overwrite, kind=kind, hint="pass --overwrite to replace it")
