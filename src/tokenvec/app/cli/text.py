"""Commands from words to texts: sentence vectors, and static vectors distilled from a model."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import typer

from tokenvec.app.cli.base import (
    DEFAULT_VECTORS,
    OVERWRITE_HELP,
    VECTORS_HELP,
    Pooling,
    _check_output,
    _emit,
    _vectors,
    app,
    flag,
)


def _read_texts(source: str) -> list[str]:
    """One text per line of a UTF-8 file, or of stdin for ``-``."""
    if source == "-":
        return sys.stdin.read().splitlines()
    from tokenvec.io.files import iter_lines

    path = Path(source)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give a text file (one text a line)")
    return [line for _, line in iter_lines(path)]


@app.command()
def encode(
    texts: str = typer.Argument("-", help="A text file, one text a line; - reads stdin."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the .npy matrix."),
    vectors: str = typer.Option(DEFAULT_VECTORS, "--vectors", "-v", help=VECTORS_HELP),
    pooling: Pooling = typer.Option(
        Pooling.mean, help="mean, sif or max of the words' vectors.", case_sensitive=False
    ),
    normalize: bool = flag(True, help="Unit-length text vectors."),
    overwrite: bool = flag(False, "--overwrite", help=OVERWRITE_HELP),
    as_json: bool = flag(False, "--json", help="Machine-readable output."),
) -> None:
    """Text vectors of every line: an (n, dim) float32 .npy, written atomically."""
    import numpy as np

    from tokenvec.io.files import atomic_path, check_replaceable
    from tokenvec.vectors.text import encode as encode_texts

    check_replaceable(output, overwrite=overwrite, hint="pass --overwrite to replace it")
    lines = _read_texts(texts)
    v = _vectors(vectors)
    from tokenvec._progress import status

    t0 = time.perf_counter()
    with status(f"encoding {len(lines):,} texts"):
        enc = encode_texts(v, lines, pooling=pooling.value, normalize=normalize)
    seconds = time.perf_counter() - t0
    with atomic_path(output, overwrite=overwrite) as tmp, open(tmp, "wb") as f:
        np.save(f, enc.vectors, allow_pickle=False)
    data = {
        "path": str(output),
        "texts": len(lines),
        "dim": int(enc.vectors.shape[1]),
        "empty": int((enc.words == 0).sum()),
        "skipped_words": int(enc.unknown.sum()),
        "seconds": round(seconds, 3),
    }
    _emit(data, as_json, lambda d: typer.echo(
        f"wrote {d['texts']:,} x {d['dim']} text vectors to {d['path']} in {d['seconds']} s; "
        f"{d['empty']:,} texts had no known word (zero vectors), {d['skipped_words']:,} words "
        f"skipped"))  # fmt: skip


@app.command()
def distill(
    model: Path = typer.Argument(..., help="A local Hugging Face model folder (safetensors)."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the native folder."),
    dims: int = typer.Option(256, help="Dimensions kept by PCA."),
    corpus: Path | None = typer.Option(
        None, help="A text file whose token counts weight the rows (default: Zipf by token id)."
    ),
    precision: str = typer.Option(
        "auto", help="auto (bfloat16 where the CPU has AMX, else float32), float32 or bfloat16."
    ),
    threads: int | None = typer.Option(None, help="Threads of the teacher (default: torch's)."),
    overwrite: bool = flag(False, "--overwrite", help=OVERWRITE_HELP),
    as_json: bool = flag(False, "--json", help="Machine-readable output."),
) -> None:
    """Distill static token vectors from a transformer (model2vec's recipe, needs the distill
    extra); `tokenvec encode -v OUTPUT` then embeds texts without the model."""
    from tokenvec.distillation import distill as run

    _check_output(output, "native", overwrite)
    v: Any = run(model, dims, corpus=corpus, precision=precision,  # type: ignore[arg-type]
                 threads=threads, progress=not as_json and sys.stderr.isatty())  # fmt: skip
    v.save(output, overwrite=overwrite)
    data = {"path": str(output), "tokens": len(v), "dim": v.vector_size, **v.info}
    _emit(data, as_json, lambda d: typer.echo(
        f"distilled {d['tokens']:,} tokens x {d['dim']} from {model} in {d['seconds']} s "
        f"(weights: {d['weighting']}) into {d['path']}"))  # fmt: skip
