"""word2vec's training loop: skip-gram and CBOW with negative sampling and/or hierarchical
softmax, compiled with numba (GIL released, so threads update shared weights as word2vec does),
beside a plain-Python reference of the same arithmetic and the same random stream.

The kernel only does arithmetic on index arrays; tokenvec.word2vec prepares them and validates.

Random numbers come from word2vec's own linear congruential generator
(``r = r * 25214903917 + 11``, 48 bits kept), drawn in the same order in kernel and reference,
so one chunk trained by both gives the same weights up to float rounding.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from tokenvec._native.jit import Constant, LazyKernel
from tokenvec.word2vec._constants import EXP_TABLE_SIZE, LCG_ADD, LCG_MUL, MASK48, MAX_EXP


def tables() -> tuple[np.ndarray, np.ndarray]:
    """sigmoid(x) and log(sigmoid(x)) on EXP_TABLE_SIZE points of [-MAX_EXP, MAX_EXP)."""
    x = (np.arange(EXP_TABLE_SIZE) / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP
    sig = 1 / (1 + np.exp(-x))
    return sig.astype(np.float32), np.log(sig).astype(np.float32)


class _TableFields(NamedTuple):
    sample_int: np.ndarray  # (V,) uint64: keep a word if a 32-bit random number is below
    cum_table: np.ndarray  # (V,) uint32: cumulative noise distribution, searched for negatives
    codes: np.ndarray  # (V, L) uint8: Huffman codes (hierarchical softmax)
    points: np.ndarray  # (V, L) int32: inner nodes on each word's path
    code_lens: np.ndarray  # (V,) int32: code length of each word
    sig: np.ndarray  # (EXP_TABLE_SIZE,) float32 sigmoid table
    log: np.ndarray  # (EXP_TABLE_SIZE,) float32 log-sigmoid table
    # Subword models: word i's input rows are sub_rows[sub_offsets[i]:sub_offsets[i + 1]]
    # (its own row, then its n-grams'); plain word2vec has one-element placeholders.
    sub_offsets: np.ndarray
    sub_rows: np.ndarray
    # Made from cum_table (see guide_table): where the kernel starts its search for a noise word.
    guide: np.ndarray
    guide_shift: int


class Tables(_TableFields):
    """What the kernels draw from, built once per run (by the trainer, and by the tests); the
    guide to the noise table is made here from ``cum_table``."""

    __slots__ = ()

    def __new__(
        cls,
        sample_int: np.ndarray,
        cum_table: np.ndarray,
        codes: np.ndarray,
        points: np.ndarray,
        code_lens: np.ndarray,
        sig: np.ndarray,
        log: np.ndarray,
        sub_offsets: np.ndarray | None = None,
        sub_rows: np.ndarray | None = None,
    ) -> Tables:
        guide, shift = guide_table(cum_table)
        offsets = np.zeros(1, np.int64) if sub_offsets is None else sub_offsets
        rows = np.zeros(1, np.int32) if sub_rows is None else sub_rows
        fields = (sample_int, cum_table, codes, points, code_lens, sig, log, offsets, rows)
        return super().__new__(cls, *fields, guide, shift)

    def with_subwords(self, sub_offsets: np.ndarray, sub_rows: np.ndarray) -> Tables:
        """These tables, with each word's input rows (fastText: its own and its n-grams')."""
        return self._replace(sub_offsets=sub_offsets, sub_rows=sub_rows)


def guide_table(cum_table: np.ndarray) -> tuple[np.ndarray, int]:
    """An index into the cumulative noise table (Chen's guide table): with 2**k >= V slots and
    ``shift = 31 - k``, ``guide[j]`` is the binary search's answer for ``x = j << shift``, the
    smallest x of slot j, so the answer for any x starts at ``guide[x >> shift]`` and is
    reached by a walk of about one step: the same noise word as the binary search (so the same
    random stream trains the same model), without its ~15 dependent, mispredicted loads.
    Needs ``cum_table[-1] < 2**31``, which ``Vocab.cum_table`` guarantees."""
    v = int(cum_table.shape[0])
    k = max(int(v - 1).bit_length(), 0)  # 2**k >= v
    shift = 31 - k
    if shift < 0:
        raise ValueError(f"a noise table of {v:,} words is larger than the kernel supports")
    starts = np.arange(1 << k, dtype=np.uint64) << np.uint64(shift)
    guide = np.searchsorted(cum_table, starts, side="right")
    return np.minimum(guide, max(v - 1, 0)).astype(np.int32), shift


class Mode(NamedTuple):
    """Which model trains: skip-gram or CBOW, negative sampling and/or hierarchical softmax."""

    sg: bool
    negative: int
    hs: bool
    window: int
    cbow_mean: bool
    subwords: bool = False  # inputs are the means of each word's rows in Tables.sub_rows

    def exact(self) -> Mode:
        """The same mode in the kernel's argument types (numba compiles one per set of types)."""
        return Mode(bool(self.sg), int(self.negative), bool(self.hs), int(self.window),
                    bool(self.cbow_mean), bool(self.subwords))  # fmt: skip


class Weights(NamedTuple):
    """The matrices a chunk trains, in place. ``hot_out`` (k, dim) holds output rows 0..k-1 in
    place of ``syn1neg``'s: a thread's private copy of the most frequent words' rows, which
    nearly every noise draw writes; shared, they bounce between the cores' caches (see
    ``trainer._HotRows``). Empty (0, dim) when there is none."""

    syn0: np.ndarray  # (rows, dim) float32: input rows (words, then n-grams with subwords)
    syn1neg: np.ndarray  # (V, dim) float32: output rows of negative sampling
    hot_out: np.ndarray  # (k, dim) float32
    syn1: np.ndarray  # (V - 1, dim) float32: the Huffman tree's inner nodes


class Chunk(NamedTuple):
    """The sentences ``words[bounds[s]:bounds[s + 1]]`` and how to train them: the learning
    rate falls linearly from alpha_start to alpha_end across their words; ``seed`` starts the
    random stream."""

    words: np.ndarray  # uint16 or int32 word ids
    bounds: np.ndarray  # int64
    alpha_start: float
    alpha_end: float
    seed: int

    def longest(self) -> int:
        """Words in the chunk's longest sentence (at least 1): what a kernel's buffer holds."""
        return max(int(np.diff(self.bounds).max(initial=0)), 1)

    def random_state(self) -> np.ndarray:
        """The kernels' random stream, started from ``seed``: (1,) uint64."""
        return np.array([self.seed & MASK48], dtype=np.uint64)


class Scratch(NamedTuple):
    """The compiled kernel's working memory for one chunk (see :func:`scratch`)."""

    negs: np.ndarray  # (2, n) int64: noise words drawn ahead (CBOW: this centre's, the next's)
    state: np.ndarray  # (1,) uint64: the random stream
    l1: np.ndarray  # (dim,) float32: the input of a prediction
    neu1e: np.ndarray  # (dim,) float32: its gradient
    kept: np.ndarray  # (longest sentence,) int32: a sentence's words after sub-sampling
    # CBOW over subwords: each position's sum of rows and the errors not yet added to them, in
    # a ring of slots (position % slots) that no two positions one window reaches share
    bag_sum: np.ndarray  # (slots, dim) float32
    bag_err: np.ndarray  # (slots, dim) float32
    bag_pos: np.ndarray  # (slots,) int64: the position in each slot, -1 if none
    bag_rows: np.ndarray  # (slots,) int64: how many rows that position's word has


def scratch(w: Weights, m: Mode, chunk: Chunk) -> Scratch:
    """Working memory for training ``chunk``. Noise words are drawn for a whole skip-gram
    centre before its predictions (the random stream is the same: nothing else draws in
    between), so their rows load in parallel; a centre needing more than ``negs`` holds draws
    before each prediction instead."""
    dim = w.syn0.shape[1]
    size = max(m.negative, min(2 * m.window * m.negative, 4096), 1)
    slots = 2 * m.window + 2
    return Scratch(
        np.empty((2, size), np.int64), chunk.random_state(), np.zeros(dim, np.float32),
        np.zeros(dim, np.float32), np.empty(chunk.longest(), np.int32),
        np.zeros((slots, dim), np.float32), np.zeros((slots, dim), np.float32),
        np.full(slots, -1, np.int64), np.zeros(slots, np.int64),
    )  # fmt: skip


def train_chunk(
    fn: Any,
    syn0: np.ndarray,
    syn1neg: np.ndarray,
    syn1: np.ndarray,
    words: np.ndarray,
    bounds: np.ndarray,
    tables: Tables,
    mode: Mode,
    alpha_start: float,
    alpha_end: float,
    seed: int,
    hot_out: np.ndarray | None = None,
) -> tuple[float, int, int]:
    """Run ``fn`` (the compiled :func:`kernel` or :func:`train_chunk_reference`) on one chunk,
    its arguments gathered into the records; returns (loss, pairs, words kept)."""
    none = np.empty((0, syn0.shape[1]), np.float32)
    weights = Weights(syn0, syn1neg, none if hot_out is None else hot_out, syn1)
    chunk = Chunk(words, bounds, float(alpha_start), float(alpha_end), int(seed))
    m = mode.exact()
    loss, pairs, kept = fn(weights, tables, m, chunk, scratch(weights, m, chunk))
    return float(loss), int(pairs), int(kept)


# --- plain-Python reference ---------------------------------------------------------------------


class Rng:
    """word2vec's linear congruential generator, as the kernels draw from it."""

    def __init__(self, seed: int) -> None:
        self.r = seed & MASK48

    def next(self) -> int:
        """Advance and return the 32 random bits word2vec uses."""
        self.r = (self.r * LCG_MUL + LCG_ADD) & MASK48
        return (self.r >> 16) & 0xFFFFFFFF


def _sig(f: float, sig_table: np.ndarray) -> float:
    return float(sig_table[int((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))])


def _logsig(f: float, log_table: np.ndarray) -> float:
    if f >= MAX_EXP:
        return 0.0
    if f <= -MAX_EXP:
        return f
    return float(log_table[int((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))])


def _update(
    l1: np.ndarray,
    row: np.ndarray,
    label: float,
    alpha: float,
    neu1e: np.ndarray,
    sig_table: np.ndarray,
    log_table: np.ndarray,
) -> float:
    """One logistic prediction of ``label`` from ``l1 . row``: update ``row`` in place,
    accumulate the input's gradient in ``neu1e``, return the loss."""
    f = float(np.dot(l1, row))
    s = 1.0 if f >= MAX_EXP else 0.0 if f <= -MAX_EXP else _sig(f, sig_table)
    g = np.float32((label - s) * alpha)
    neu1e += g * row
    row += g * l1
    return -_logsig(f if label == 1.0 else -f, log_table)


class _Rows:
    """The rows of a weight matrix, the first ``len(hot)`` of them kept in ``hot``."""

    def __init__(self, mat: np.ndarray, hot: np.ndarray) -> None:
        self.mat, self.hot = mat, hot

    def __getitem__(self, t: int) -> np.ndarray:
        return self.hot[t] if t < len(self.hot) else self.mat[t]

    def __setitem__(self, t: int, row: np.ndarray) -> None:
        if t < len(self.hot):
            self.hot[t] = row
        else:
            self.mat[t] = row


class _Reference:
    """One chunk's training, a centre at a time, as :func:`train_chunk_reference` states it."""

    def __init__(self, w: Weights, t: Tables, m: Mode, rng: Rng) -> None:
        self.w, self.t, self.m, self.rng = w, t, m, rng
        self.inp = w.syn0  # a word's own input row (not its subword rows)
        self.out = _Rows(w.syn1neg, w.hot_out)
        self.dim = w.syn0.shape[1]
        self.bag_sums: dict[int, np.ndarray] = {}  # CBOW over subwords: position -> its rows' sum
        self.bag_errors: dict[int, np.ndarray] = {}  # ... and the errors not yet added to them

    def rows_of(self, word: int) -> list[int]:
        """A word's input rows (subwords: its own, then its n-grams')."""
        off, rows = self.t.sub_offsets, self.t.sub_rows
        return [int(r) for r in rows[off[word] : off[word + 1]]]

    def predict(self, l1: np.ndarray, target: int, neu1e: np.ndarray, alpha: float) -> float:
        """Update the output weights for predicting ``target`` from ``l1``; accumulate the
        input's gradient in ``neu1e``; return the loss. Noise words are drawn here, one by one."""
        t, loss = self.t, 0.0
        if self.m.hs:
            for k in range(t.code_lens[target]):
                label = 1.0 - t.codes[target, k]
                row = self.w.syn1[t.points[target, k]]
                loss += _update(l1, row, label, alpha, neu1e, t.sig, t.log)
        for d in range(self.m.negative + 1 if self.m.negative else 0):
            if d == 0:
                word, label = target, 1.0
            else:
                x = self.rng.next() % t.cum_table[-1]
                word, label = int(np.searchsorted(t.cum_table, x, side="right")), 0.0
                if word == target:
                    continue
            loss += _update(l1, self.out[word], label, alpha, neu1e, t.sig, t.log)
        return loss

    def bag_predict(
        self, l1: np.ndarray, count: int, center: int, alpha: float
    ) -> tuple[float, np.ndarray]:
        """CBOW: predict ``center`` from the bag ``l1`` of ``count`` rows, their mean (the error
        then flows to each row whole) or their sum (the error spread over the rows, as gensim
        does); returns the loss and the error for each row."""
        inv = np.float32(1.0 / count)
        if self.m.cbow_mean:
            l1 *= inv
        neu1e = np.zeros(self.dim, dtype=np.float32)
        loss = self.predict(l1, center, neu1e, alpha)
        if not self.m.cbow_mean:
            neu1e *= inv
        return loss, neu1e

    def sg_centre(
        self, kept: list[int], i: int, lo: int, hi: int, alpha: float
    ) -> tuple[float, int]:
        """Skip-gram: each context word's row predicts the centre (subwords: the mean of the
        centre's rows predicts each context word, the errors summed and added to each of those
        rows once). Returns (loss, pairs)."""
        loss, pairs = 0.0, 0
        if self.m.subwords:
            rows = self.rows_of(kept[i])
            l1 = np.zeros(self.dim, dtype=np.float32)
            for r in rows:
                l1 += self.w.syn0[r]
            l1 *= np.float32(1.0 / len(rows))
            neu1e = np.zeros(self.dim, dtype=np.float32)
        for j in range(lo, hi):
            if j == i:
                continue
            if self.m.subwords:
                loss += self.predict(l1, kept[j], neu1e, alpha)
            else:
                neu1e = np.zeros(self.dim, dtype=np.float32)
                loss += self.predict(self.inp[kept[j]], kept[i], neu1e, alpha)
                self.inp[kept[j]] += neu1e
            pairs += 1
        if self.m.subwords:
            for r in rows:
                self.w.syn0[r] += neu1e
        return loss, pairs

    def cbow_centre(
        self, kept: list[int], i: int, lo: int, hi: int, alpha: float
    ) -> tuple[float, int]:
        """CBOW: the sum (or mean) of the context rows predicts the centre; the error goes to
        each of them. Returns (loss, pairs)."""
        ctx_at = [j for j in range(lo, hi) if j != i]
        if not ctx_at:
            return 0.0, 0
        l1 = np.zeros(self.dim, dtype=np.float32)
        count = 0
        for j in ctx_at:  # in order, as the kernel sums
            l1 += self.bag_sum(kept, j) if self.m.subwords else self.inp[kept[j]]
            count += len(self.rows_of(kept[j])) if self.m.subwords else 1
        loss, neu1e = self.bag_predict(l1, count, kept[i], alpha)
        for j in ctx_at:
            if self.m.subwords:
                self.bag_errors[j] += neu1e
                self.bag_sums[j] += np.float32(len(self.rows_of(kept[j]))) * neu1e
            else:
                self.inp[kept[j]] += neu1e
        return loss, 1

    def bag_sum(self, kept: list[int], j: int) -> np.ndarray:
        """CBOW over subwords: position j's sum of rows, read when a window first needs it."""
        if j not in self.bag_sums:
            u = np.zeros(self.dim, dtype=np.float32)
            for r in self.rows_of(kept[j]):  # in order, as the kernel sums
                u += self.w.syn0[r]
            self.bag_sums[j] = u
            self.bag_errors[j] = np.zeros(self.dim, dtype=np.float32)
        return self.bag_sums[j]

    def flush(self, kept: list[int], before: int) -> None:
        """Add the errors of the positions below ``before`` to their rows."""
        for p in sorted(p for p in self.bag_sums if p < before):
            for r in self.rows_of(kept[p]):
                self.w.syn0[r] += self.bag_errors[p]
            del self.bag_sums[p], self.bag_errors[p]


def train_chunk_reference(
    w: Weights, t: Tables, m: Mode, chunk: Chunk, x: Scratch | None = None
) -> tuple[float, int, int]:
    """Train on sentences ``words[bounds[i]:bounds[i+1]]``; returns (loss, pairs, words kept).

    ``alpha`` falls linearly from alpha_start to alpha_end across the chunk's words. With
    ``subwords`` (fastText), a word's input is the mean of its rows ``sub_rows[...]``: in
    skip-gram the centre's rows predict each context word of its window (their errors summed,
    then added to each row once), in CBOW the bag of all the context words' rows predicts the
    centre, and the error is added to every row used.

    CBOW over subwords reads and writes each position's rows once, not once for every centre
    whose window holds it (about ten times as many rows of a 2M-row table): a position's sum
    of rows is read when a window first needs it and kept up to date with the errors it
    receives (each of its k rows gets the error, so the sum gets k times it); the errors
    collect beside it and are added to its rows when no later window can reach it (a
    position more than ``window`` before the centre) or the sentence ends. The rows end with
    the same total updates; what differs is only when a row shared by two positions of one
    window (a repeated word, a common n-gram) shows the other's error: as a row updated by
    another thread shows it, a few centres later.

    Random numbers, in order: a sentence's sub-sampling draws; then per centre its window
    draw and the noise words of each prediction as it is made. (``x``, the compiled kernel's
    working memory, is not used.)
    """
    rng = Rng(chunk.seed)
    ref = _Reference(w, t, m, rng)
    bounds = chunk.bounds
    total = int(bounds[-1] - bounds[0])
    loss, pairs, kept_total, seen = 0.0, 0, 0, 0
    for s in range(len(bounds) - 1):
        sent = chunk.words[bounds[s] : bounds[s + 1]]
        alpha = chunk.alpha_start + (chunk.alpha_end - chunk.alpha_start) * (seen / max(total, 1))
        seen += len(sent)
        kept = [int(word) for word in sent if t.sample_int[word] >= rng.next()]
        kept_total += len(kept)
        for i in range(len(kept)):
            b = rng.next() % m.window
            lo, hi = max(0, i - m.window + b), min(len(kept), i + m.window + 1 - b)
            if m.sg:
                c_loss, c_pairs = ref.sg_centre(kept, i, lo, hi, alpha)
            else:
                ref.flush(kept, i - m.window)
                c_loss, c_pairs = ref.cbow_centre(kept, i, lo, hi, alpha)
            loss += c_loss
            pairs += c_pairs
        ref.flush(kept, len(kept))  # the sentence's last positions
    return loss, pairs, kept_total


# --- compiled kernel ----------------------------------------------------------------------------


# Widths the default step has machine code of its own for (numba compiles it on first use,
# then caches it on disk): the row's length known, LLVM lays each loop over a row out whole
# instead of a 64-float vector loop with a 36-float remainder. At 100, the default (one
# thread, this project's AMD EPYC): CBOW 1.17x and batched skip-gram 1.10x faster, as for
# AVX2 code (NUMBA_CPU_NAME=haswell: 1.17x); Intel's AVX-512 code gains nothing (0.98x).
# At 50, 200 and 300 it was slower (0.87x-0.96x: LLVM unrolls a 50-term dot product into a
# chain of scalar adds), so they keep the code for any width, as does ``batch=False``.
FIXED_DIMS = (100,)


def width(dim: int, fixed: bool) -> int:
    """The kernels' ``dim`` argument: a compile-time :class:`Constant` for a width of
    ``FIXED_DIMS`` when ``fixed``, else the plain int (code for any width)."""
    return Constant(dim) if fixed and dim in FIXED_DIMS else int(dim)


def _build() -> object:
    from tokenvec.word2vec import _numba  # imports numba; compiled on first call, then cached

    return _numba.train_chunk


_kernel = LazyKernel(_build)  # type: ignore[arg-type]


def _any_width(w: Weights, t: Tables, m: Mode, chunk: Chunk, x: Scratch) -> Any:
    return _kernel.get()(w, t, m, chunk, x, width(w.syn0.shape[1], False))


def _fixed_width(w: Weights, t: Tables, m: Mode, chunk: Chunk, x: Scratch) -> Any:
    return _kernel.get()(w, t, m, chunk, x, width(w.syn0.shape[1], True))


def kernel(fixed: bool = False) -> Any:
    """The compiled chunk trainer, with the reference's arguments (compiled on first use,
    cached on disk by numba). ``fixed``: the code compiled for the rows' width when it is
    one of ``FIXED_DIMS`` (faster; a dot product's terms added in another order); else the
    code for any width, the exact step."""
    return _fixed_width if fixed else _any_width


def warm(words_dtype: Any = np.uint16, fn: Any = None, dim: int = 1, fixed: bool = False) -> None:
    """Load the compiled chunk trainer for corpora encoded as ``words_dtype`` and rows of
    ``dim`` by training a tiny chunk with the argument types a run uses: numba's import and
    its disk cache take ~0.4 s in a fresh process, which a trainer spends in a thread while
    it counts words."""
    syn0, syn1neg, syn1 = (np.zeros((2, dim), np.float32) for _ in range(3))
    mode = Mode(sg=False, negative=1, hs=False, window=1, cbow_mean=True)
    words, bounds = np.array([0, 1], words_dtype), np.array([0, 2], np.int64)
    train_chunk(fn or kernel(fixed), syn0, syn1neg, syn1, words, bounds, two_word_tables(), mode,
                0.0, 0.0, 1)  # fmt: skip


def two_word_tables() -> Tables:
    """Tables of a two-word vocabulary (nothing sub-sampled), for loading a kernel."""
    sig, log = tables()
    return Tables(
        sample_int=np.full(2, 2**32, np.uint64), cum_table=np.array([1, 2], np.uint32),
        codes=np.zeros((1, 1), np.uint8), points=np.zeros((1, 1), np.int32),
        code_lens=np.zeros(2, np.int32), sig=sig, log=log,
    )  # fmt: skip


def seed_for(seed: int, epoch: int, chunk: int) -> int:
    """A 48-bit seed for one chunk, fixed by (seed, epoch, chunk): resumable, thread-order free."""
    h = (seed * 1_000_003 + epoch) * 1_000_033 + chunk
    h = (h * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & ((1 << 64) - 1)
    h ^= h >> 29
    return (h & MASK48) or 1


__all__ = [
    "FIXED_DIMS",
    "Chunk",
    "Mode",
    "Scratch",
    "Tables",
    "Weights",
    "kernel",
    "seed_for",
    "tables",
    "train_chunk",
    "train_chunk_reference",
    "two_word_tables",
    "warm",
    "width",
]
