"""word2vec's training loop: skip-gram and CBOW with negative sampling and/or hierarchical
softmax, compiled with numba (GIL released, so threads update shared weights as word2vec does),
beside a plain-Python reference of the same arithmetic and the same random stream.

The kernel only does arithmetic on index arrays; tokenvec.word2vec prepares them and validates.

Random numbers come from word2vec's own linear congruential generator
(``r = r * 25214903917 + 11``, 48 bits kept), drawn in the same order in kernel and reference,
so one chunk trained by both gives the same weights up to float rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tokenvec._native.jit import LazyKernel
from tokenvec.word2vec._constants import EXP_TABLE_SIZE, LCG_ADD, LCG_MUL, MASK48, MAX_EXP


def tables() -> tuple[np.ndarray, np.ndarray]:
    """sigmoid(x) and log(sigmoid(x)) on EXP_TABLE_SIZE points of [-MAX_EXP, MAX_EXP)."""
    x = (np.arange(EXP_TABLE_SIZE) / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP
    sig = 1 / (1 + np.exp(-x))
    return sig.astype(np.float32), np.log(sig).astype(np.float32)


@dataclass(frozen=True)
class Tables:
    """What the kernel draws from, built once per run (by the trainer, and by the tests)."""

    sample_int: np.ndarray  # (V,) uint64: keep a word if a 32-bit random number is below
    cum_table: np.ndarray  # (V,) uint32: cumulative noise distribution, searched for negatives
    codes: np.ndarray  # (V, L) uint8: Huffman codes (hierarchical softmax)
    points: np.ndarray  # (V, L) int32: inner nodes on each word's path
    code_lens: np.ndarray  # (V,) int32: code length of each word
    sig: np.ndarray  # (EXP_TABLE_SIZE,) float32 sigmoid table
    log: np.ndarray  # (EXP_TABLE_SIZE,) float32 log-sigmoid table
    # Subword models: word i's input rows are sub_rows[sub_offsets[i]:sub_offsets[i + 1]]
    # (its own row, then its n-grams'); plain word2vec passes one-element placeholders.
    sub_offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    sub_rows: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int32))
    # Made from cum_table (see guide_table): where the kernel starts its search for a noise word.
    guide: np.ndarray = field(init=False, repr=False)
    guide_shift: int = field(init=False)

    def __post_init__(self) -> None:
        guide, shift = guide_table(self.cum_table)
        object.__setattr__(self, "guide", guide)
        object.__setattr__(self, "guide_shift", shift)


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


@dataclass(frozen=True)
class Mode:
    """Which model trains: skip-gram or CBOW, negative sampling and/or hierarchical softmax."""

    sg: bool
    negative: int
    hs: bool
    window: int
    cbow_mean: bool
    subwords: bool = False  # inputs are the means of each word's rows in Tables.sub_rows


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
    hot_in: np.ndarray | None = None,
    hot_out: np.ndarray | None = None,
) -> tuple[float, int, int]:
    """Run ``fn`` (the compiled :func:`kernel` or :func:`train_chunk_reference`) on one chunk:
    the one place that spells out their long positional signature.

    ``hot_in`` (k, dim), if given, holds input rows 0..k-1 in place of ``syn0``'s (not with
    subwords), ``hot_out`` output rows in place of ``syn1neg``'s: a thread's private copies of
    the most frequent words' rows, which nearly every window and noise draw writes; shared,
    they bounce between the cores' caches (see ``trainer._HotRows``)."""
    none = np.empty((0, syn0.shape[1]), np.float32)
    hot_in = none if hot_in is None else hot_in
    hot_out = none if hot_out is None else hot_out
    loss, pairs, kept = fn(
        syn0, hot_in, syn1neg, hot_out, syn1, words, bounds, tables.sample_int,
        tables.cum_table, tables.codes, tables.points, tables.code_lens, bool(mode.sg),
        int(mode.negative), bool(mode.hs), int(mode.window), bool(mode.cbow_mean),
        float(alpha_start), float(alpha_end), seed,
        tables.sig, tables.log, bool(mode.subwords), tables.sub_offsets, tables.sub_rows,
        tables.guide, int(tables.guide_shift),
    )  # fmt: skip
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


def _predict(
    l1: np.ndarray,
    target: int,
    neu1e: np.ndarray,
    syn1neg: _Rows,
    syn1: np.ndarray,
    codes: np.ndarray,
    points: np.ndarray,
    code_lens: np.ndarray,
    cum_table: np.ndarray,
    negative: int,
    hs: bool,
    alpha: float,
    rng: Rng,
    sig_table: np.ndarray,
    log_table: np.ndarray,
) -> float:
    """Update the output weights for predicting ``target`` from ``l1``; accumulate neu1e."""
    loss = 0.0
    if hs:
        for k in range(code_lens[target]):
            node = points[target, k]
            loss += _update(
                l1, syn1[node], 1.0 - codes[target, k], alpha, neu1e, sig_table, log_table
            )
    if negative:
        for d in range(negative + 1):
            if d == 0:
                t, label = target, 1.0
            else:
                t = int(np.searchsorted(cum_table, rng.next() % cum_table[-1], side="right"))
                if t == target:
                    continue
                label = 0.0
            loss += _update(l1, syn1neg[t], label, alpha, neu1e, sig_table, log_table)
    return loss


def _bag_predict(
    l1: np.ndarray,
    count: int,
    cbow_mean: bool,
    center: int,
    syn1neg: _Rows,
    syn1: np.ndarray,
    codes: np.ndarray,
    points: np.ndarray,
    code_lens: np.ndarray,
    cum_table: np.ndarray,
    negative: int,
    hs: bool,
    alpha: float,
    rng: Rng,
    sig_table: np.ndarray,
    log_table: np.ndarray,
) -> tuple[float, np.ndarray]:
    """CBOW: predict ``center`` from the bag ``l1`` of ``count`` rows, their mean (the error
    then flows to each row whole) or their sum (the error spread over the rows, as gensim
    does); returns the loss and the error for each row."""
    inv = np.float32(1.0 / count)
    if cbow_mean:
        l1 *= inv
    neu1e = np.zeros(l1.shape[0], dtype=np.float32)
    loss = _predict(
        l1, center, neu1e, syn1neg, syn1, codes, points, code_lens,
        cum_table, negative, hs, alpha, rng, sig_table, log_table,
    )  # fmt: skip
    if not cbow_mean:
        neu1e *= inv
    return loss, neu1e


def train_chunk_reference(
    syn0: np.ndarray,
    hot_in: np.ndarray,
    syn1neg: np.ndarray,
    hot_out: np.ndarray,
    syn1: np.ndarray,
    words: np.ndarray,
    bounds: np.ndarray,
    sample_int: np.ndarray,
    cum_table: np.ndarray,
    codes: np.ndarray,
    points: np.ndarray,
    code_lens: np.ndarray,
    sg: bool,
    negative: int,
    hs: bool,
    window: int,
    cbow_mean: bool,
    alpha_start: float,
    alpha_end: float,
    seed: int,
    sig_table: np.ndarray,
    log_table: np.ndarray,
    subwords: bool = False,
    sub_offsets: np.ndarray | None = None,
    sub_rows: np.ndarray | None = None,
    guide: np.ndarray | None = None,  # the kernel's shortcut to the same noise words: unused
    guide_shift: int = 0,
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
    """

    def rows_of(w: int) -> list[int]:
        assert sub_offsets is not None and sub_rows is not None
        return [int(r) for r in sub_rows[sub_offsets[w] : sub_offsets[w + 1]]]

    rng = Rng(seed)
    inp = _Rows(syn0, hot_in)  # a word's own input row (its subword rows are not kept in it)
    out = _Rows(syn1neg, hot_out)
    dim = syn0.shape[1]
    total = int(bounds[-1] - bounds[0])
    loss, pairs, kept_total, seen = 0.0, 0, 0, 0
    bag_sums: dict[int, np.ndarray] = {}  # CBOW over subwords: position -> sum of its rows
    bag_errors: dict[int, np.ndarray] = {}  # ... and the errors not yet added to its rows

    def flush(positions: list[int], kept: list[int]) -> None:
        for p in positions:
            for r in rows_of(kept[p]):
                syn0[r] += bag_errors[p]
            del bag_sums[p], bag_errors[p]

    for s in range(len(bounds) - 1):
        sent = words[bounds[s] : bounds[s + 1]]
        alpha = alpha_start + (alpha_end - alpha_start) * (seen / max(total, 1))
        seen += len(sent)
        kept = [w for w in sent if sample_int[w] >= rng.next()]
        kept_total += len(kept)
        for i, center in enumerate(kept):
            b = rng.next() % window
            lo, hi = max(0, i - window + b), min(len(kept), i + window + 1 - b)
            if not sg and subwords:
                flush(sorted(p for p in bag_sums if p < i - window), kept)
                ctx_at = [j for j in range(lo, hi) if j != i]
                if not ctx_at:
                    continue
                for j in ctx_at:
                    if j not in bag_sums:
                        u = np.zeros(dim, dtype=np.float32)
                        for r in rows_of(kept[j]):  # in order, as the kernel sums
                            u += syn0[r]
                        bag_sums[j] = u
                        bag_errors[j] = np.zeros(dim, dtype=np.float32)
                l1 = np.zeros(dim, dtype=np.float32)
                count = 0
                for j in ctx_at:
                    l1 += bag_sums[j]
                    count += len(rows_of(kept[j]))
                bag_loss, neu1e = _bag_predict(
                    l1, count, cbow_mean, center, out, syn1, codes, points, code_lens,
                    cum_table, negative, hs, alpha, rng, sig_table, log_table,
                )  # fmt: skip
                loss += bag_loss
                for j in ctx_at:
                    bag_errors[j] += neu1e
                    bag_sums[j] += np.float32(len(rows_of(kept[j]))) * neu1e
                pairs += 1
                continue
            if sg and subwords:
                rows = rows_of(center)
                l1 = np.zeros(dim, dtype=np.float32)
                for r in rows:
                    l1 += syn0[r]
                l1 *= np.float32(1.0 / len(rows))
                neu1e = np.zeros(dim, dtype=np.float32)
                for j in range(lo, hi):
                    if j == i:
                        continue
                    loss += _predict(
                        l1, kept[j], neu1e, out, syn1, codes, points, code_lens,
                        cum_table, negative, hs, alpha, rng, sig_table, log_table,
                    )  # fmt: skip
                    pairs += 1
                for r in rows:
                    syn0[r] += neu1e
            elif sg:
                for j in range(lo, hi):
                    if j == i:
                        continue
                    l1 = inp[kept[j]]
                    neu1e = np.zeros(dim, dtype=np.float32)
                    loss += _predict(
                        l1, center, neu1e, out, syn1, codes, points, code_lens,
                        cum_table, negative, hs, alpha, rng, sig_table, log_table,
                    )  # fmt: skip
                    inp[kept[j]] += neu1e
                    pairs += 1
            else:
                ctx = [kept[j] for j in range(lo, hi) if j != i]
                if not ctx:
                    continue
                l1 = np.zeros(dim, dtype=np.float32)
                for c in ctx:  # in order, as the kernel sums
                    l1 += inp[c]
                bag_loss, neu1e = _bag_predict(
                    l1, len(ctx), cbow_mean, center, out, syn1, codes, points, code_lens,
                    cum_table, negative, hs, alpha, rng, sig_table, log_table,
                )  # fmt: skip
                loss += bag_loss
                for c in ctx:
                    inp[c] += neu1e
                pairs += 1
        flush(sorted(bag_sums), kept)  # the sentence's last positions
    return loss, pairs, kept_total


# --- compiled kernel ----------------------------------------------------------------------------


def _build() -> object:
    from tokenvec.word2vec import _numba  # imports numba; compiled on first call, then cached

    return _numba.train_chunk


_kernel = LazyKernel(_build)  # type: ignore[arg-type]


def kernel() -> Any:
    """The compiled chunk trainer (compiled on first use, cached on disk by numba)."""
    return _kernel.get()


def warm(words_dtype: Any = np.uint16, fn: Any = None) -> None:
    """Load the compiled chunk trainer for corpora encoded as ``words_dtype`` by training a
    tiny chunk with the argument types a run uses: numba's import and its disk cache take
    ~0.4 s in a fresh process, which a trainer spends in a thread while it counts words."""
    sig, log = tables()
    t = Tables(
        sample_int=np.full(2, 2**32, np.uint64), cum_table=np.array([1, 2], np.uint32),
        codes=np.zeros((1, 1), np.uint8), points=np.zeros((1, 1), np.int32),
        code_lens=np.zeros(2, np.int32), sig=sig, log=log,
    )  # fmt: skip
    syn0, syn1neg, syn1 = (np.zeros((2, 1), np.float32) for _ in range(3))
    mode = Mode(sg=False, negative=1, hs=False, window=1, cbow_mean=True)
    words, bounds = np.array([0, 1], words_dtype), np.array([0, 2], np.int64)
    train_chunk(fn or kernel(), syn0, syn1neg, syn1, words, bounds, t, mode, 0.0, 0.0, 1)


def seed_for(seed: int, epoch: int, chunk: int) -> int:
    """A 48-bit seed for one chunk, fixed by (seed, epoch, chunk): resumable, thread-order free."""
    h = (seed * 1_000_003 + epoch) * 1_000_033 + chunk
    h = (h * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & ((1 << 64) - 1)
    h ^= h >> 29
    return (h & MASK48) or 1


__all__ = [
    "Mode",
    "Tables",
    "kernel",
    "seed_for",
    "tables",
    "train_chunk",
    "train_chunk_reference",
    "warm",
]
