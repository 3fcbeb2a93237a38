"""The main job: a guided run through token embeddings on built-in defaults.

Each section is a function that returns plain data (so tests can check it) and a printer that
renders it with rich.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from tokenvec.embedding import Embedding, one_hot
from tokenvec.positional import InputEmbedding

GPT2_VOCAB = 50257
GPT2_DIM = 768
GPT2_CONTEXT = 1024
# "Hello, world!" in GPT-2's byte-level BPE.
HELLO_IDS = [15496, 11, 995, 0]


@dataclass(frozen=True)
class DemoConfig:
    """Sizes of the demo; the defaults are GPT-2 small's."""

    vocab_size: int = GPT2_VOCAB
    dim: int = GPT2_DIM
    max_len: int = GPT2_CONTEXT
    batch: int = 8
    timing_ids: int = 512
    seed: int = 0
    lm_seconds: float = 60.0


@dataclass(frozen=True)
class LookupResult:
    ids: list[int]
    lookup: np.ndarray  # (n, C)
    one_hot_product: np.ndarray  # (n, C)
    max_abs_diff: float


@dataclass(frozen=True)
class TimingResult:
    n_ids: int
    lookup_s: float
    one_hot_s: float

    @property
    def speedup(self) -> float:
        return self.one_hot_s / self.lookup_s


@dataclass(frozen=True)
class MeaningResult:
    """One-hot vectors against trained ones, for the same word pairs."""

    pairs: list[tuple[str, str]]
    one_hot_cosine: list[float]  # 0 for every pair of distinct words
    one_hot_distance: list[float]  # sqrt(2) for every pair
    trained_cosine: list[float] | None  # None without trained vectors


MEANING_PAIRS = [("cat", "kitten"), ("cat", "banana"), ("king", "queen"), ("king", "carrot")]


def one_hot_meaning(
    pairs: list[tuple[str, str]] = MEANING_PAIRS, trained: Any = None
) -> MeaningResult:
    """Cosine and distance of word pairs as one-hot vectors (over the pairs' own vocabulary)
    and, given trained ``Vectors``, their trained cosine.

    >>> r = one_hot_meaning([("cat", "kitten"), ("cat", "banana")])
    >>> r.one_hot_cosine, [round(d, 4) for d in r.one_hot_distance]
    ([0.0, 0.0], [1.4142, 1.4142])
    """
    words = sorted({w for pair in pairs for w in pair})
    index = {w: i for i, w in enumerate(words)}
    oh = one_hot(list(range(len(words))), len(words))  # (V, V): row i is word i

    def row(w: str) -> np.ndarray:
        return oh[index[w]]

    cos = [float(row(a) @ row(b)) for a, b in pairs]  # one-hot rows have unit length
    dist = [float(np.linalg.norm(row(a) - row(b))) for a, b in pairs]
    sims = [float(trained.similarity(a, b)) for a, b in pairs] if trained is not None else None
    return MeaningResult(list(pairs), cos, dist, sims)


def best_time(fn: object, repeat: int = 5) -> float:
    """Best wall time of ``repeat`` calls of ``fn`` (after one warm-up call)."""
    assert callable(fn)
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _fmt(row: np.ndarray) -> str:
    return " ".join(f"{v:+.4f}" for v in row)


def lookup_vs_one_hot(emb: Embedding, ids: list[int]) -> LookupResult:
    """Look ``ids`` up and compute one_hot(ids) @ W: the two must agree exactly."""
    looked = emb(ids)  # (n, C)
    product = one_hot(ids, emb.num_embeddings) @ emb.weight  # (n, V) @ (V, C) -> (n, C)
    diff = float(np.max(np.abs(looked - product))) if len(ids) else 0.0
    return LookupResult(list(ids), looked, product, diff)


def time_lookup_vs_one_hot(emb: Embedding, n_ids: int, seed: int = 0) -> TimingResult:
    """Time the lookup and the one-hot product on ``n_ids`` random ids."""
    ids = np.random.default_rng(seed).integers(0, emb.num_embeddings, size=n_ids)
    lookup_s = best_time(lambda: emb(ids), repeat=20)
    oh = one_hot(ids, emb.num_embeddings)  # (n, V), built once: time only the product
    one_hot_s = best_time(lambda: oh @ emb.weight, repeat=3)
    return TimingResult(n_ids, lookup_s, one_hot_s)


def run(config: DemoConfig = DemoConfig()) -> None:
    """Print the demo to the terminal."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    tokens(console)
    console.rule("[bold]tokenvec demo: the token embedding layer")

    start = time.perf_counter()
    layer = InputEmbedding(config.vocab_size, config.dim, max_len=config.max_len, seed=config.seed)
    emb = layer.wte
    mib = emb.weight.nbytes / 2**20
    console.print(
        f"Token embedding matrix W: [bold]{emb.weight.shape[0]:,} x {emb.weight.shape[1]}[/] "
        f"{emb.weight.dtype} ({mib:.0f} MiB), N(0, 0.02²) init, "
        f"std {emb.weight.std():.4f}, built in {time.perf_counter() - start:.2f} s"
    )

    ids = [i for i in HELLO_IDS if i < config.vocab_size] or [0]
    res = lookup_vs_one_hot(emb, ids)
    table = Table(title='Lookup of "Hello, world!" ids = one_hot(ids) @ W')
    table.add_column("id", justify="right")
    table.add_column(escape("W[id][:4] (lookup)"))
    table.add_column(escape("(one_hot(id) @ W)[:4]"))
    for row, i in enumerate(res.ids):
        table.add_row(
            str(i),
            _fmt(res.lookup[row, :4]),
            _fmt(res.one_hot_product[row, :4]),
        )
    console.print(table)
    console.print(f"max |lookup - one_hot @ W| = [bold]{res.max_abs_diff:g}[/]")

    timing = time_lookup_vs_one_hot(emb, config.timing_ids, seed=config.seed)
    t = Table(title=f"{timing.n_ids} ids at {config.vocab_size:,} x {config.dim}")
    t.add_column("method")
    t.add_column("time", justify="right")
    t.add_column("relative", justify="right")
    t.add_row(escape("lookup W[ids]"), f"{timing.lookup_s * 1e3:.3f} ms", "1x")
    t.add_row("one_hot(ids) @ W", f"{timing.one_hot_s * 1e3:.1f} ms", f"{timing.speedup:,.0f}x")
    console.print(t)

    batch_ids = np.random.default_rng(config.seed).integers(
        0, config.vocab_size, size=(config.batch, config.max_len)
    )
    x = layer(batch_ids)  # (B, T, C)
    s = Table(title="Input embedding = token embedding + learned positional embedding")
    s.add_column("tensor")
    s.add_column("shape")
    s.add_row("token ids", str(batch_ids.shape))
    s.add_row("wte(ids)", str((*batch_ids.shape, config.dim)))
    s.add_row("wpe(positions)", str(layer.wpe.positions(config.max_len).shape))
    s.add_row("wte(ids) + wpe(positions)", str(x.shape))
    console.print(s)

    glove = semantics(console)
    training(console, glove)
    language_model(console, seconds=config.lm_seconds)


SENTENCE = "Every token of a language model starts as a row of the embedding matrix."


def tokens(console: Any) -> None:
    """Text -> GPT-2 token ids -> sliding windows -> token + position embeddings."""
    from rich.markup import escape
    from rich.table import Table

    from tokenvec.tokenizers import gpt2
    from tokenvec.windows import sliding_windows

    console.rule("[bold]From text to token ids: GPT-2's byte-level BPE")
    tok = gpt2()
    ids = tok.encode(SENTENCE)
    console.print(f"text: {SENTENCE!r}")
    t = Table(title=f"{len(ids)} GPT-2 tokens (vocabulary {tok.vocab_size:,})")
    t.add_column("position", justify="right")
    t.add_column("token id", justify="right")
    t.add_column("token")
    for pos, i in enumerate(ids):
        t.add_row(str(pos), str(i), escape(repr(tok.token_text(i))))
    console.print(t)
    x, y = sliding_windows(np.array(ids), max_length=4, stride=4)
    console.print(
        f"sliding windows, max_length 4, stride 4: inputs {x.shape}, targets {y.shape} "
        f"(targets are the inputs shifted by one token)"
    )
    console.print(f"  inputs[0]  = {x[0].tolist()} -> {escape(repr(tok.decode(x[0].tolist())))}")
    console.print(f"  targets[0] = {y[0].tolist()} -> {escape(repr(tok.decode(y[0].tolist())))}")
    layer = InputEmbedding(tok.vocab_size, 768, max_len=1024, seed=0)
    out = layer(x)
    console.print(
        f"token embedding wte {layer.wte.shape} + position embedding wpe "
        f"{layer.wpe.weight.shape} -> input embeddings {out.shape} (batch, seq, dim)"
    )


def language_model(console: Any, seconds: float = 60.0) -> None:
    """Train a small GPT on the built-in corpus and show its token embeddings organise."""
    from rich.table import Table

    try:
        from tokenvec.nn import GPTConfig, TrainConfig, train_lm
    except ImportError as exc:
        console.rule("[bold]A small GPT learns its token embeddings")
        console.print(f"[yellow]skipped:[/] {exc}")
        return
    from tokenvec.tokenizers import gpt2
    from tokenvec.windows import builtin_corpus_ids

    console.rule("[bold]A small GPT learns its token embeddings (GPT-2 BPE, built-in corpus)")
    tok = gpt2()
    ids = builtin_corpus_ids(tok)
    mcfg = GPTConfig(block_size=64, n_layer=2, n_head=4, n_embd=64)
    tcfg = TrainConfig(
        # ~150 steps fill a minute on 2 CPU cores, so the learning-rate schedule runs its
        # course; max_seconds stops slower machines (and short test runs) on time.
        max_steps=150, batch_size=16, lr=1e-2, min_lr=1e-3, eval_interval=50,
        track_every=1000, max_seconds=seconds,
    )  # fmt: skip
    console.print(
        f"{len(ids):,} tokens; GPT with {mcfg.n_layer} layers, {mcfg.n_embd} dimensions, "
        f"context {mcfg.block_size}, tied 50,257 x {mcfg.n_embd} token embeddings; "
        f"training for about {seconds:.0f} s"
    )
    res = train_lm(ids, mcfg, tcfg, tokenizer=tok, progress=True)
    before, after = res.snapshots[0], res.snapshots[-1]
    t = Table(title=f"Nearest tokens before training and after {res.steps} steps")
    t.add_column("token")
    t.add_column("random init")
    t.add_column(f"step {res.steps}")
    for token in after.neighbours:
        t.add_row(repr(token), ", ".join(map(repr, before.neighbours.get(token, []))),
                  ", ".join(map(repr, after.neighbours[token])))  # fmt: skip
    console.print(t)
    first, last = res.train_losses[0][1], res.train_losses[-1][1]
    console.print(
        f"loss {first:.2f} -> {last:.2f} (validation {res.val_losses[-1][1]:.2f}); "
        f"{res.tokens_per_second:,.0f} tokens/s"
    )


SIMILARITY_PAIRS = [
    ("woman", "man"),
    ("king", "queen"),
    ("uncle", "aunt"),
    ("boy", "girl"),
    ("nephew", "niece"),
    ("paper", "water"),
]
UNRELATED_PAIRS = [("king", "banana"), ("boy", "volcano"), ("paper", "water")]
MINILM_TOKENS = ["king", "paris", "happy", "##ing"]


def semantics(console: Any) -> Any:
    """The semantic half: real GloVe vectors and a real transformer's token embeddings."""
    from rich.table import Table

    from tokenvec.builtin import load

    console.rule("[bold]Trained vectors carry meaning: GloVe 6B 50d")
    try:
        start = time.perf_counter()
        glove = load("glove-6b-50d")
    except ModuleNotFoundError as exc:
        console.print(f"[yellow]skipped:[/] {exc}")
        return None
    console.print(f"loaded {glove!r} in {time.perf_counter() - start:.2f} s")

    meaning = one_hot_meaning(trained=glove)
    t = Table(title="One-hot vectors carry no meaning; trained vectors do")
    t.add_column("pair")
    t.add_column("one-hot cosine", justify="right")
    t.add_column("one-hot ||a - b||", justify="right")
    t.add_column("GloVe cosine", justify="right")
    for (a, b), c, d, g in zip(
        meaning.pairs,
        meaning.one_hot_cosine,
        meaning.one_hot_distance,
        meaning.trained_cosine or [],
        strict=True,
    ):
        t.add_row(f"{a} / {b}", f"{c:.0f}", f"{d:.4f}", f"{g:.3f}")
    console.print(t)

    t = Table(title="king - man + woman = ?")
    t.add_column("rank", justify="right")
    t.add_column("word")
    t.add_column("cosine", justify="right")
    for i, (word, score) in enumerate(glove.most_similar(["king", "woman"], ["man"], topn=5), 1):
        t.add_row(str(i), word, f"{score:.3f}")
    console.print(t)

    t = Table(title="Similar words lie close: cosine similarity and distance ||a - b||")
    t.add_column("pair")
    t.add_column("cosine", justify="right")
    t.add_column("||a - b||", justify="right")
    for a, b in SIMILARITY_PAIRS:
        t.add_row(f"{a} / {b}", f"{glove.similarity(a, b):.3f}", f"{glove.norm_distance(a, b):.2f}")
    console.print(t)
    rel = np.mean([glove.norm_distance(a, b) for a, b in SIMILARITY_PAIRS[:-1]])
    unrel = np.mean([glove.norm_distance(a, b) for a, b in UNRELATED_PAIRS])
    console.print(f"mean ||a - b||: related pairs {rel:.2f}, unrelated pairs {unrel:.2f}")

    near = ", ".join(f"{w} ({s:.2f})" for w, s in glove.most_similar("tower", topn=8))
    console.print(f"most_similar('tower'): {near}")

    console.rule("[bold]A transformer's token embeddings: all-MiniLM-L6-v2 (30,522 x 384)")
    try:
        minilm = load("minilm-l6-tokens")
    except ModuleNotFoundError as exc:
        console.print(f"[yellow]skipped:[/] {exc}")
        return glove
    t = Table(title="Nearest WordPiece tokens")
    t.add_column("token")
    t.add_column("neighbours")
    for tok in MINILM_TOKENS:
        t.add_row(tok, ", ".join(w for w, _ in minilm.most_similar(tok, topn=6)))
    console.print(t)
    return glove


TRAIN_WORDS = ["king", "woman", "ship", "love", "sword"]


def training(console: Any, glove: Any, epochs: int = 3) -> None:
    """Train word2vec (CBOW) on the built-in corpus and show random vectors becoming meaningful."""
    from rich.table import Table

    from tokenvec.word2vec import Word2Vec, Word2VecConfig

    console.rule("[bold]Learning embeddings: word2vec on the built-in corpus")
    model = Word2Vec(Word2VecConfig(sg=False, epochs=epochs))
    vocab = model.build_vocab()
    console.print(
        f"corpus: {vocab.raw_words:,} words, vocabulary {len(vocab):,} words (min_count 5); "
        f"CBOW, {model.config.vector_size} dimensions, {epochs} epochs"
    )
    before = {w: [k for k, _ in model.wv.most_similar(w, topn=4)] for w in TRAIN_WORDS}  # type: ignore[union-attr]
    wv = model.train(progress=True)
    t = Table(title="Nearest neighbours: random init -> trained here -> GloVe (6B tokens)")
    t.add_column("word")
    t.add_column("random init")
    t.add_column(f"after {epochs} epochs")
    if glove is not None:
        t.add_column("GloVe 6B 50d")
    for w in TRAIN_WORDS:
        row = [w, ", ".join(before[w]), ", ".join(k for k, _ in wv.most_similar(w, topn=4))]
        if glove is not None:
            row.append(", ".join(k for k, _ in glove.most_similar(w, topn=4)))
        t.add_row(*row)
    console.print(t)
