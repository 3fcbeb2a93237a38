"""The ``tokenvec`` command line. Commands map onto library functions and hold no logic."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

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


class Method(StrEnum):
    cosadd = "3cosadd"
    cosmul = "3cosmul"


class MapMethod(StrEnum):
    pca = "pca"
    tsne = "tsne"
    umap = "umap"


OVERWRITE_HELP = "Replace an existing output (a folder only if tokenvec wrote it)."
VECTORS_HELP = "A vectors file or folder, or a built-in name (glove-6b-50d, minilm-l6-tokens)."
DEFAULT_VECTORS = "glove-6b-50d"


def _vectors(name: str) -> Any:
    from tokenvec.builtin import load

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


@app.command()
def similar(
    words: list[str] = typer.Argument(..., help="One or more words (their mean is the query)."),
    vectors: str = typer.Option(DEFAULT_VECTORS, "--vectors", "-v", help=VECTORS_HELP),
    topn: int = typer.Option(10, help="How many neighbours."),
    restrict_vocab: int | None = typer.Option(None, help="Search only the first N keys."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Nearest neighbours of a word (or of the mean of several)."""
    v = _vectors(vectors)
    res = _scored(v.most_similar(positive=words, topn=topn, restrict_vocab=restrict_vocab))
    _emit(
        {"query": words, "neighbours": res},
        as_json,
        lambda d: _table(
            f"nearest to {' + '.join(words)}",
            ["rank", "word", "score"],
            [[i, r["word"], r["score"]] for i, r in enumerate(d["neighbours"], 1)],
        ),
    )


@app.command()
def analogy(
    expression: list[str] = typer.Argument(..., help="Free form: king - man + woman"),
    vectors: str = typer.Option(DEFAULT_VECTORS, "--vectors", "-v", help=VECTORS_HELP),
    topn: int = typer.Option(5, help="How many answers."),
    method: Method = typer.Option(Method.cosadd, help="3cosadd or 3cosmul."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Solve an analogy written as arithmetic: tokenvec analogy king - man + woman."""
    from tokenvec.vectors import parse_expression

    positive, negative = parse_expression(" ".join(expression))
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
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
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
    method: Method = typer.Option(Method.cosadd, help="3cosadd or 3cosmul."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Analogy accuracy and word-pair correlations."""
    from tokenvec import evaluate as ev

    v = _vectors(vectors)
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
        try:
            pr = ev.word_pairs(v, name, restrict_vocab=restrict_vocab)
        except (ModuleNotFoundError, FileNotFoundError) as exc:
            data["pairs"][name] = {"error": str(exc)}
            continue
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
            if "error" in p:
                rows.append([n, "-", p["error"]])
            else:
                rows.append([n, f"{p['spearman']:.3f}", f"Spearman; Pearson {p['pearson']:.3f}, "
                             f"{p['oov_percent']:.1f}% out of vocabulary"])  # fmt: skip
        _table(f"evaluation of {vectors}", ["test", "score", "detail"], rows)

    _emit(data, as_json, render)


@app.command()
def convert(
    source: Path = typer.Argument(..., help="Vectors to read (format detected)."),
    target: Path = typer.Argument(..., help="Where to write."),
    to: VectorFormat = typer.Option(VectorFormat.native, "--to", help="Output format."),
    limit: int | None = typer.Option(None, help="Only the first N vectors."),
    encoding_errors: EncodingErrors = typer.Option(
        EncodingErrors.strict, help="Non-UTF-8 keys: strict, replace, ignore."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Convert vectors between formats (writes atomically)."""
    from tokenvec.vectors import load_vectors

    v = load_vectors(source, limit=limit, encoding_errors=encoding_errors.value)
    path = v.save(target, format=to.value, overwrite=overwrite)
    data = {"path": str(path), "format": to.value, "count": len(v), "dim": v.vector_size}
    _emit(data, as_json, lambda d: typer.echo(
        f"wrote {d['count']:,} x {d['dim']} vectors to {d['path']} ({to.value})"))  # fmt: skip


@app.command()
def info(
    path: Path = typer.Argument(..., help="A vectors file or native folder."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Format, size, count, dimension and a sample of a vectors file."""
    from tokenvec.formats import describe

    d = describe(path)
    _emit(
        d, as_json, lambda d: _table(str(path), ["field", "value"], [[k, v] for k, v in d.items()])
    )


@app.command()
def tokenize(
    text: str = typer.Argument(..., help="Text to tokenise."),
    tokenizer: str = typer.Option("gpt2", help="gpt2, or a word-level tokenizer JSON file."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
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


@app.command()
def plot(
    kind: str = typer.Argument(..., help="map, analogy, heatmap or curves."),
    words: list[str] = typer.Argument(None, help="Words (analogy: a b c, as a : b :: c : ?)."),
    output: Path = typer.Option(..., "--output", "-o", help="A .png, .svg or .pdf file."),
    vectors: str = typer.Option(DEFAULT_VECTORS, "--vectors", "-v", help=VECTORS_HELP),
    around: str | None = typer.Option(None, help="map: a word and its neighbourhood."),
    topn: int = typer.Option(20, help="map --around: how many neighbours."),
    method: MapMethod = typer.Option(MapMethod.pca, help="map: pca, tsne or umap."),
    checkpoint: Path | None = typer.Option(None, help="curves: a word2vec or GPT checkpoint."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Draw a 2-D map, an analogy parallelogram, a similarity heatmap or training curves."""
    from tokenvec import viz

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
            if len(words) != 3:
                raise typer.BadParameter("analogy needs three words: a b c", param_hint="WORDS")
            fig = viz.plot_analogy(v, *words)
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
    from tokenvec._optional import require

    require("torch", "torch")
    from tokenvec.nn import read_checkpoint

    state = read_checkpoint(checkpoint)
    curves = {"train": [tuple(x) for x in state["train_losses"]],
              "validation": [tuple(x) for x in state["val_losses"]]}  # fmt: skip
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
    from tokenvec.web import serve as run_server

    v = _vectors(vectors)
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"warning: serving on {host}: reachable from other machines", err=True)
    typer.echo(f"tokenvec playground for {vectors} ({len(v):,} words) on http://{host}:{port}/")
    run_server(v, name=vectors, host=host, port=port, allowed_hosts=allowed_host)


@app.command()
def train(
    corpus: Path | None = typer.Argument(
        None, help="Text file or folder (.gz/.bz2/.xz too); default: the built-in corpus."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the vectors."),
    format: VectorFormat = typer.Option(VectorFormat.native, "--format", help="Output format."),
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
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable summary."),
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
    # Refuse an output that may not be replaced before training, not after it.
    _check_output(output, format.value, overwrite)
    if resume:
        if checkpoint is None:
            raise typer.BadParameter("--resume needs --checkpoint", param_hint="--resume")
        model, wv = Word2Vec.resume(
            checkpoint, corpus, progress=progress, checkpoint_every=checkpoint_every
        )
    else:
        model = Word2Vec(config)
        wv = model.train(
            corpus,
            progress=progress,
            checkpoint=checkpoint,
            checkpoint_every=checkpoint_every,
            overwrite=overwrite,
        )
    for note in model.notes:
        typer.echo(f"note: {note}", err=True)
    path = wv.save(output, format=format.value, overwrite=overwrite)
    data = {"path": str(path), "count": len(wv), "dim": wv.vector_size,
            "losses": model.progress.losses, "notes": model.notes}  # fmt: skip
    losses = ", ".join(f"{x:.3f}" for x in model.progress.losses)
    line = f"saved {len(wv):,} x {wv.vector_size} vectors to {path} (loss by epoch: {losses})"
    _emit(data, as_json, lambda d: typer.echo(line))


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
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable summary."),
) -> None:
    """Train a small GPT whose token embeddings you can then query (torchrun works too)."""
    import lzma

    import numpy as np

    from tokenvec._optional import require

    require("torch", "torch")  # one line naming the install, not a traceback
    if vectors is not None:
        _check_output(vectors, "native", overwrite)

    from tokenvec.nn import GPTConfig, TrainConfig, token_vectors, train_lm
    from tokenvec.tokenizers import gpt2
    from tokenvec.windows import tokenize_file
    from tokenvec.word2vec.corpus import builtin_corpus_path

    tok = gpt2()
    if corpus is None:
        text = lzma.decompress(builtin_corpus_path().read_bytes()).decode("utf-8")
        ids = np.array(tok.encode_ordinary(text), dtype=np.uint16)
    else:
        ids = tokenize_file(
            corpus,
            tok,
            checkpoint.with_name(checkpoint.name + ".ids.npy"),
            overwrite=overwrite or resume,
        )
    res = train_lm(
        ids,
        GPTConfig(block_size=block_size, n_layer=n_layer, n_head=n_head, n_embd=n_embd),
        TrainConfig(
            max_steps=max_steps, batch_size=batch_size, lr=lr, min_lr=min_lr,
            warmup_steps=warmup_steps, max_seconds=max_seconds, eval_interval=eval_interval,
            device=device, seed=seed,
        ),
        tokenizer=tok, checkpoint=checkpoint, resume=resume, overwrite=overwrite,
        progress=progress,
    )  # fmt: skip
    import os

    if int(os.environ.get("RANK", "0")) != 0:
        return
    if vectors is not None:
        token_vectors(res.model, tok, ids=np.unique(np.asarray(ids))).save(
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


def _check_output(path: Path, fmt: str, overwrite: bool) -> None:
    """Refuse, before a long job, an output that its save would refuse at the end."""
    import os

    if not os.path.lexists(path):
        return
    if fmt == "native":
        from tokenvec.formats import NATIVE_KIND

        if not path.is_dir():
            raise FileExistsError(f"{path} exists and is not a folder; it is left as it is")
        NATIVE_KIND.check(path)
    elif path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; a {fmt} file cannot replace it")
    if not overwrite:
        raise FileExistsError(f"{path} exists; pass --overwrite to replace it")


def main() -> None:
    """Entry point of the ``tokenvec`` script: user mistakes print one line, not a traceback."""
    import sys

    from tokenvec._files import VectorFormatError
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
        typer.echo(f"error: {msg}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


# typer vendors click; its ClickException is the base of typer.BadParameter.
_CLICK_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)


if __name__ == "__main__":
    main()
