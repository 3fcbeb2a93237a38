"""Commands over vectors: queries, evaluation, conversion, plots and the playground."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tokenvec.app.cli.base import (
    DEFAULT_VECTORS,
    FORMAT_HELP,
    OVERWRITE_HELP,
    VECTORS_HELP,
    EncodingErrors,
    MapMethod,
    Method,
    Quantize,
    VectorFormat,
    _emit,
    _scored,
    _table,
    _vectors,
    app,
    flag,
    output_format,
)


@app.command()
def similar(
    words: list[str] | None = typer.Argument(
        None, help="One or more words (their mean is the query)."
    ),
    text: str | None = typer.Option(
        None, "--text", "-t", help="A sentence instead: its text vector is the query."
    ),
    vectors: str = typer.Option(DEFAULT_VECTORS, "--vectors", "-v", help=VECTORS_HELP),
    topn: int = typer.Option(10, min=1, help="How many neighbours."),
    restrict_vocab: int | None = typer.Option(None, help="Search only the first N keys."),
    as_json: bool = flag(False, "--json", help="Machine-readable output."),
) -> None:
    """Nearest neighbours of a word (or of the mean of several, or of a sentence's vector)."""
    if bool(words) == (text is not None):
        raise typer.BadParameter("give words or --text, not both and not neither")
    v = _vectors(vectors)
    query: Any = words
    if text is not None:
        from tokenvec.vectors.text import encode

        enc = encode(v, [text])
        if not enc.words[0]:
            raise ValueError(f"no word of the text {text!r} has a vector")
        query = [enc.vectors[0]]
    shown: list[str] = words or [text or ""]
    res = _scored(v.most_similar(positive=query, topn=topn, restrict_vocab=restrict_vocab))
    _emit(
        {"query": shown, "neighbours": res},
        as_json,
        lambda d: _table(
            f"nearest to {' + '.join(map(str, shown))}",
            ["rank", "word", "score"],
            [[i, r["word"], r["score"]] for i, r in enumerate(d["neighbours"], 1)],
        ),
    )


@app.command(context_settings={"ignore_unknown_options": True})
def analogy(
    expression: list[str] = typer.Argument(
        ...,
        help="a b c (a : b :: c : ?, as plot analogy and the playground take it), or "
        "arithmetic: king - man + woman",
    ),
    vectors: str = typer.Option(DEFAULT_VECTORS, "--vectors", "-v", help=VECTORS_HELP),
    topn: int = typer.Option(5, min=1, help="How many answers."),
    method: Method = typer.Option(Method.cosadd, help="3cosadd or 3cosmul.", case_sensitive=False),
    as_json: bool = flag(False, "--json", help="Machine-readable output."),
) -> None:
    """Solve an analogy: tokenvec analogy man king woman, or tokenvec analogy king - man + woman."""
    from tokenvec.vectors.base import parse_analogy

    try:
        positive, negative = parse_analogy(expression)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="EXPRESSION") from None
    v = _vectors(vectors)
    fn = v.most_similar if method is Method.cosadd else v.most_similar_cosmul
    res = _scored(fn(positive=positive, negative=negative, topn=topn))
    _emit(
        {"positive": positive, "negative": negative, "answers": res},
        as_json,
        lambda d: _table(
            " ".join(expression) + " = ?",
            ["rank", "word", "score"],
            [[i, r["word"], r["score"]] for i, r in enumerate(d["answers"], 1)],
        ),
    )


@app.command()
def distance(
    a: str = typer.Argument(..., help="First word."),
    b: str = typer.Argument(..., help="Second word."),
    vectors: str = typer.Option(DEFAULT_VECTORS, "--vectors", "-v", help=VECTORS_HELP),
    as_json: bool = flag(False, "--json", help="Machine-readable output."),
) -> None:
    """Cosine similarity, cosine distance and Euclidean distance of two words."""
    v = _vectors(vectors)
    data = {
        "a": a,
        "b": b,
        "cosine_similarity": round(v.similarity(a, b), 6),
        "cosine_distance": round(v.distance(a, b), 6),
        "euclidean_distance": round(v.norm_distance(a, b), 6),
        "rank_of_b_among_neighbours_of_a": v.rank(a, b),
    }
    rows = [[k, val] for k, val in data.items() if k not in ("a", "b")]
    _emit(data, as_json, lambda d: _table(f"{a} / {b}", ["measure", "value"], rows))


@app.command()
def evaluate(
    vectors: str = typer.Option(DEFAULT_VECTORS, "--vectors", "-v", help=VECTORS_HELP),
    analogies: Path | None = typer.Option(None, help="Analogy questions (default: Google's)."),
    pairs: list[str] = typer.Option(
        ["wordsim353", "simlex999"], help="Word-pair sets: names or paths."
    ),
    restrict_vocab: int = typer.Option(300_000, help="Use only the first N keys."),
    method: Method = typer.Option(Method.cosadd, help="3cosadd or 3cosmul.", case_sensitive=False),
    as_json: bool = flag(False, "--json", help="Machine-readable output."),
) -> None:
    """Analogy accuracy and word-pair correlations."""
    from tokenvec.vectors import evaluate as ev

    # Every named input is checked before the analogies run (minutes on large tables).
    for name in pairs:
        if name not in ev.PAIR_SETS and not Path(name).exists():
            raise typer.BadParameter(
                f"{name}: no such file, nor a word-pair set ({', '.join(ev.PAIR_SETS)})",
                param_hint="--pairs",
            )
    if analogies is not None and not analogies.exists():
        raise typer.BadParameter(f"{analogies}: no such file", param_hint="--analogies")
    from tokenvec._progress import status

    v = _vectors(vectors)
    # The library's bar says "analogy questions" on a terminal.
    r = ev.analogies(v, analogies, restrict_vocab=restrict_vocab, method=method.value)  # type: ignore[arg-type]
    data: dict[str, Any] = {
        "analogies": {
            "accuracy": round(r.accuracy, 6),
            "semantic": round(r.semantic.accuracy, 6),
            "syntactic": round(r.syntactic.accuracy, 6),
            "questions": r.questions,
            "answered": r.total.total,
            "sections": {s.name: round(s.accuracy, 6) for s in r.sections},
        },
        "pairs": {},
    }
    for name in pairs:
        with status(f"scoring the word pairs of {name}"):
            pr = ev.word_pairs(v, name, restrict_vocab=restrict_vocab)
        data["pairs"][name] = {
            "spearman": round(pr.spearman, 6),
            "pearson": round(pr.pearson, 6),
            "oov_percent": round(pr.oov_ratio, 3),
            "pairs": pr.pairs,
        }

    def render(d: dict[str, Any]) -> None:
        a = d["analogies"]
        rows = [["analogies (" + method.value + ")", f"{a['accuracy']:.1%}",
                 f"semantic {a['semantic']:.1%}, syntactic {a['syntactic']:.1%}, "
                 f"{a['answered']:,} of {a['questions']:,} answered"]]  # fmt: skip
        for n, p in d["pairs"].items():
            rows.append([n, f"{p['spearman']:.3f}", f"Spearman; Pearson {p['pearson']:.3f}, "
                         f"{p['oov_percent']:.1f}% out of vocabulary"])  # fmt: skip
        _table(f"evaluation of {vectors}", ["test", "score", "detail"], rows)

    _emit(data, as_json, render)


@app.command()
def convert(
    source: str = typer.Argument(..., help=VECTORS_HELP),
    target: Path = typer.Argument(..., help="Where to write."),
    to: VectorFormat | None = typer.Option(None, "--to", help=FORMAT_HELP, case_sensitive=False),
    limit: int | None = typer.Option(None, help="Only the first N vectors."),
    reduce: int | None = typer.Option(None, help="Keep DIMS principal axes (PCA)."),
    quantize: Quantize | None = typer.Option(
        None,
        help="Store smaller: float16, int8, int8-unit (no lengths), pq (product "
        "quantization, a byte per 2 dimensions) or rq (residual quantization, a byte per 5: "
        "better rows for the bytes, slower to make); all but float16 in tokenvec's folder only.",
        case_sensitive=False,
    ),
    encoding_errors: EncodingErrors = typer.Option(
        EncodingErrors.strict, help="Non-UTF-8 keys: strict, replace, ignore.", case_sensitive=False
    ),
    overwrite: bool = flag(False, "--overwrite", help=OVERWRITE_HELP),
    as_json: bool = flag(False, "--json", help="Machine-readable output."),
) -> None:
    """Convert vectors between formats, optionally reduced or quantized (writes atomically)."""
    from tokenvec._progress import status
    from tokenvec.builtin import load
    from tokenvec.vectors.subwords import SubwordVectors

    fmt = output_format(target, to)
    if quantize not in (None, Quantize.float16) and fmt is not VectorFormat.native:
        assert quantize is not None
        raise typer.BadParameter(
            f"{quantize.value} tables are kept in tokenvec's folder only (--to native, or a "
            f"target without an extension; {target.name} names {fmt.value})",
            param_hint="--quantize",
        )
    with status(f"loading {source}"):
        v = load(source, limit=limit, encoding_errors=encoding_errors.value)
    model = isinstance(v, SubwordVectors) and v.model is not None
    fmt = output_format(target, to, subwords=model and quantize is None and reduce is None)
    if reduce is not None:
        with status(f"reducing {len(v):,} vectors to {reduce} dimensions"):
            v = v.reduce(reduce)
    if quantize is not None:
        unit = quantize is Quantize.int8_unit
        form: Any = "int8" if unit else quantize.value
        with status(f"quantizing {len(v):,} vectors ({quantize.value})"):
            v = v.quantize(form, **({"keep_norms": False} if unit else {}))
    with status(f"writing {target}"):
        path = v.save(target, format=fmt.value, overwrite=overwrite)
    shown = v.storage.describe()
    data = {"path": str(path), "format": fmt.value, "count": len(v), "dim": v.vector_size,
            "form": shown}  # fmt: skip
    _emit(data, as_json, lambda d: typer.echo(f"wrote {d['count']:,} x {d['dim']} vectors to "
                                              f"{d['path']} ({fmt.value}, {shown})"))  # fmt: skip


@app.command()
def info(
    path: str = typer.Argument(..., help=VECTORS_HELP),
    as_json: bool = flag(False, "--json", help="Machine-readable output."),
) -> None:
    """Format, size, count, dimension and a sample of vectors (a file is read only in part)."""
    from tokenvec.builtin import BUILTIN
    from tokenvec.io import hub
    from tokenvec.io.formats import describe

    if path in BUILTIN or hub.is_model_folder(Path(path)):
        v = _vectors(path)
        d = {"path": path, "format": "built-in" if path in BUILTIN else "transformer",
             "bytes": v.nbytes, "count": len(v), "dim": v.vector_size,
             "dtype": str(v.storage.stored.dtype), "form": v.storage.describe(),
             "bytes_per_vector": round(v.nbytes / len(v), 1) if len(v) else 0,
             "sample": v.index_to_key[:5]}  # fmt: skip
    else:
        d = describe(path)
    _emit(d, as_json, lambda d: _table(path, ["field", "value"], [[k, v] for k, v in d.items()]))


@app.command("list")
def list_builtins(
    as_json: bool = flag(False, "--json", help="Machine-readable output."),
) -> None:
    """The built-in vectors: size, what they are, and what they need installed."""
    from tokenvec.builtin import catalog

    rows = catalog()
    _emit(rows, as_json, lambda rows: _table("built-in vectors (-v NAME)",
          ["name", "size", "about", "installed", "install with"],
          [[r["name"], r["size"], r["about"], "yes" if r["installed"] else "no", r["install"]]
           for r in rows]))  # fmt: skip


@app.command()
def plot(
    kind: str = typer.Argument(..., help="map, analogy, heatmap or curves."),
    words: list[str] = typer.Argument(None, help="Words (analogy: a b c, as a : b :: c : ?)."),
    output: Path = typer.Option(..., "--output", "-o", help="A .png, .svg or .pdf file."),
    vectors: str = typer.Option(DEFAULT_VECTORS, "--vectors", "-v", help=VECTORS_HELP),
    around: str | None = typer.Option(None, help="map: a word and its neighbourhood."),
    topn: int = typer.Option(20, min=1, help="map --around: how many neighbours."),
    method: MapMethod = typer.Option(
        MapMethod.pca, help="map: pca, tsne or umap.", case_sensitive=False
    ),
    checkpoint: Path | None = typer.Option(None, help="curves: a word2vec or GPT checkpoint."),
    overwrite: bool = flag(False, "--overwrite", help=OVERWRITE_HELP),
    as_json: bool = flag(False, "--json", help="Machine-readable output."),
) -> None:
    """Draw a 2-D map, an analogy parallelogram, a similarity heatmap or training curves."""
    from tokenvec.app import viz

    words = list(words or [])
    if kind == "curves":
        if checkpoint is None:
            raise typer.BadParameter("curves need --checkpoint", param_hint="--checkpoint")
        curves, labels = _curves(checkpoint)
        fig = viz.plot_curves(curves, **labels)
    else:
        v = _vectors(vectors)
        if kind == "map":
            fig = viz.plot_map(v, words or None, around=around, topn=topn, method=method.value)
        elif kind == "analogy":
            from tokenvec.vectors.base import analogy_triple

            try:
                a, b, c = analogy_triple(words)
            except ValueError as exc:
                raise typer.BadParameter(str(exc), param_hint="WORDS") from None
            fig = viz.plot_analogy(v, a, b, c)
        elif kind == "heatmap":
            fig = viz.plot_heatmap(v, words)
        else:
            raise typer.BadParameter("choose map, analogy, heatmap or curves", param_hint="KIND")
    path = viz.save(fig, output, overwrite=overwrite)
    _emit({"path": str(path), "kind": kind}, as_json, lambda d: typer.echo(f"wrote {d['path']}"))


def _curves(checkpoint: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Loss curves stored in a word2vec checkpoint folder or a GPT checkpoint file."""
    if checkpoint.is_dir():
        from tokenvec.word2vec import Word2Vec

        losses = Word2Vec.load_checkpoint(checkpoint).progress.losses
        return {"word2vec loss": losses}, {"xlabel": "epoch", "title": "word2vec training"}
    from tokenvec.nn import loss_curves

    curves = loss_curves(checkpoint)
    return curves, {"xlabel": "step", "title": "small GPT training"}


@app.command()
def serve(
    vectors: str = typer.Option(DEFAULT_VECTORS, "--vectors", "-v", help=VECTORS_HELP),
    host: str = typer.Option("127.0.0.1", help="Address to bind (loopback unless told)."),
    port: int = typer.Option(8000, help="Port."),
    allowed_host: list[str] = typer.Option(
        [], "--allowed-host", help="Another Host header to answer (a name the server has)."
    ),
) -> None:
    """Serve the web playground for these vectors."""
    from tokenvec._optional import require

    require("uvicorn", "web")
    from tokenvec.app.web import bind
    from tokenvec.app.web import serve as run_server

    sock = bind(host, port)  # a port in use or out of range: one line, before any announcement
    v = _vectors(vectors)
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"warning: serving on {host}: reachable from other machines", err=True)
    typer.echo(f"tokenvec playground for {vectors} ({len(v):,} words) on http://{host}:{port}/")
    run_server(v, name=vectors, host=host, port=port, allowed_hosts=allowed_host, sock=sock)
