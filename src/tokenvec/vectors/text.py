"""Text vectors from word vectors: one (dim,) vector per text, by mean, SIF or max pooling.

A text's vector is a bag of its words' vectors (:class:`tokenvec.EmbeddingBag`'s compiled
reduction): the mean, the max per dimension, or SIF (Arora, Liang and Ma, 2017): the mean of
the vectors weighted ``a / (a + p(w))`` by word probability, optionally minus the texts' first
principal component. Words without a vector are skipped and counted; subword vectors answer
them instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from tokenvec._native.pca import principal_axes

Pooling = Literal["mean", "sif", "max"]


@dataclass(frozen=True)
class Encoded:
    """Text vectors and what was left out making them."""

    vectors: np.ndarray  # (n, dim) float32
    unknown: np.ndarray  # (n,) words of each text without a vector (skipped)
    words: np.ndarray  # (n,) words of each text that have one


def zipf_probabilities(n: int, first_rank: int = 1) -> np.ndarray:
    """p(rank r) ∝ 1 / r for ranks ``first_rank .. first_rank + n - 1``: a word's probability
    estimated from its frequency rank (row order of most vector files), for tables that carry
    no counts."""
    ranks = np.arange(first_rank, first_rank + n, dtype=np.float64)
    return 1.0 / (ranks * np.sum(1.0 / ranks))


def encode(
    vectors: Any,
    texts: Iterable[str] | str,
    *,
    tokenizer: Callable[[str], list[str]] | None = None,
    pooling: Pooling = "mean",
    normalize: bool = True,
    sif_a: float = 1e-3,
    frequencies: Mapping[str, float] | None = None,
    remove_first_component: bool = False,
) -> Encoded:
    """Vectors of ``texts`` from the word vectors ``vectors`` (a :class:`tokenvec.Vectors`).

    ``tokenizer`` splits a text into words (default: lowercase words and numbers, as the
    word2vec corpus reader does). SIF takes its word probabilities from ``frequencies`` (word
    -> count or probability; :func:`tokenvec.corpus.word_counts` counts a corpus), else from
    the counts the vectors carry (trained or fastText vectors), else a Zipf estimate from each
    word's row.
    """
    from tokenvec.tokenizers import WordTokenizer

    if pooling not in ("mean", "sif", "max"):
        raise ValueError(f"pooling must be 'mean', 'sif' or 'max', got {pooling!r}")
    if not (np.isfinite(sif_a) and sif_a > 0):
        raise ValueError(f"sif_a must be a positive number, got {sif_a!r}")
    if remove_first_component and pooling != "sif":
        raise ValueError("remove_first_component belongs to SIF: use pooling='sif'")
    batch = [texts] if isinstance(texts, str) else list(texts)
    for i, t in enumerate(batch):
        if not isinstance(t, str):
            raise TypeError(f"text {i} is {type(t).__name__}, not str")
    rows_of_texts = getattr(vectors, "rows_of_texts", None)
    base = len(vectors)
    extra: dict[str, int] = {}  # words outside the vocabulary with a subword vector
    extra_rows: list[np.ndarray] = []
    if rows_of_texts is not None:  # static token vectors: the teacher's tokenizer splits
        if tokenizer is not None:
            raise ValueError("static token vectors split texts with their own tokenizer")
        flat, lens, unknown = rows_of_texts(batch)
    else:
        flat, lens, unknown = _word_rows(vectors, batch, tokenizer or WordTokenizer(),
                                         extra, extra_rows)  # fmt: skip
    table = np.asarray(vectors.vectors, dtype=np.float32)
    if extra_rows:
        table = np.concatenate([table, np.stack(extra_rows).astype(np.float32)])
    weights = None
    if pooling == "sif":
        p = _probabilities(vectors, frequencies, base, extra)
        weights = (sif_a / (sif_a + p[flat])).astype(np.float32)
    out = pool(
        table, flat, lens, pooling=pooling, weights=weights, normalize=normalize,
        remove_first_component=remove_first_component,
    )  # fmt: skip
    return Encoded(out, unknown, lens)


def _word_rows(
    vectors: Any,
    batch: list[str],
    split: Callable[[str], list[str]],
    extra: dict[str, int],
    extra_rows: list[np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of every text's words laid end to end, words kept and skipped per text; subword
    vectors add a row (to ``extra_rows``) for each new word outside the vocabulary."""
    index = vectors.key_to_index
    subwords = hasattr(vectors, "rows_of")  # subword vectors: every word with n-grams counts
    ids: list[int] = []
    lens = np.zeros(len(batch), dtype=np.int64)
    unknown = np.zeros(len(batch), dtype=np.int64)
    base = len(vectors)
    for i, text in enumerate(batch):
        for w in split(text):
            j = index.get(w)
            if j is None and subwords:
                j = extra.get(w)
                vec = vectors.oov_vector(w) if j is None else None  # one pass over its n-grams
                if vec is not None:
                    j = extra[w] = base + len(extra_rows)
                    extra_rows.append(vec)
            if j is None:
                unknown[i] += 1
                continue
            ids.append(j)
            lens[i] += 1
    return np.asarray(ids, dtype=np.int64), lens, unknown


def pool(
    table: np.ndarray,
    ids: np.ndarray,
    lens: np.ndarray,
    *,
    pooling: Pooling = "mean",
    weights: np.ndarray | None = None,
    normalize: bool = True,
    remove_first_component: bool = False,
) -> np.ndarray:
    """(n, dim) float32: text i pools rows ``table[ids[s_i : s_i + lens[i]]]`` (texts laid end
    to end in ``ids``), by mean, max, or SIF (the mean of the rows times ``weights``, one per
    id). A text without rows gets a zero vector. The compiled reduction is the bag layer's."""
    from tokenvec._native.bag_numba import bag_reduce

    if pooling not in ("mean", "sif", "max"):
        raise ValueError(f"pooling must be 'mean', 'sif' or 'max', got {pooling!r}")
    table = np.ascontiguousarray(table, dtype=np.float32)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    lens = np.ascontiguousarray(lens, dtype=np.int64)
    if table.ndim != 2 or ids.ndim != 1 or lens.ndim != 1:
        raise ValueError("pool takes a 2-D table and 1-D ids and lens")
    if (lens < 0).any() or int(lens.sum()) != ids.size:
        raise ValueError(f"lens must be non-negative and sum to the {ids.size} ids")
    if ids.size and (ids.min() < 0 or ids.max() >= table.shape[0]):
        raise ValueError(f"ids must lie in [0, {table.shape[0]}) (the table's rows)")
    sif = pooling == "sif"
    if sif:
        if weights is None or np.shape(weights) != ids.shape:
            raise ValueError("SIF pooling needs one weight per id")
        w = np.ascontiguousarray(weights, dtype=np.float32)
    else:
        w = np.zeros(1, dtype=np.float32)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    nonempty = np.flatnonzero(lens)
    out = np.zeros((lens.size, table.shape[1]), dtype=np.float32)
    winners = np.zeros((nonempty.size, table.shape[1]), dtype=np.int64)
    mode = {"mean": 1, "sif": 0, "max": 2}[pooling]
    if ids.size:
        bag_reduce(table, ids, starts[nonempty], starts[nonempty] + lens[nonempty], nonempty,
                   w, sif, mode, out, winners)  # fmt: skip
    if sif:
        out[nonempty] /= lens[nonempty, None].astype(np.float32)
        if remove_first_component and nonempty.size > 1:
            u = principal_axes(out[nonempty], 1, center=False)[1][:, 0]
            out[nonempty] -= (out[nonempty] @ u)[:, None].astype(np.float32) * u.astype(np.float32)
    if normalize:
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out = np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)
    return out


def _probabilities(
    vectors: Any, frequencies: Mapping[str, float] | None, base: int, extra: dict[str, int]
) -> np.ndarray:
    """p(w) for every row (and the extra subword rows): from ``frequencies`` or Zipf."""
    n = base + len(extra)
    counts = getattr(vectors, "counts", None)
    if frequencies is None and counts is not None and counts.sum() > 0:
        p = np.concatenate([counts / counts.sum(), np.zeros(len(extra))])
        return np.where(p > 0, p, p[p > 0].min())  # uncounted: as rare as the rarest counted
    if frequencies is None:
        p = np.empty(n, dtype=np.float64)
        p[:base] = zipf_probabilities(base)
        p[base:] = p[base - 1] if base else 1.0  # words outside the table: the rarest
        return p
    keys: Sequence[str] = vectors.index_to_key
    raw = np.array([float(frequencies.get(k, 0.0)) for k in keys] + [0.0] * len(extra))
    if (raw < 0).any() or not np.isfinite(raw).all():
        raise ValueError("frequencies must be finite and non-negative")
    total = raw.sum()
    if total <= 0:
        raise ValueError("frequencies hold no word of the vectors")
    p = raw / total
    floor = p[p > 0].min()
    return np.where(p > 0, p, floor)  # a word never counted: as rare as the rarest counted
