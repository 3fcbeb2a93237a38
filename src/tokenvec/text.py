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

Pooling = Literal["mean", "sif", "max"]


@dataclass(frozen=True)
class Encoded:
    """Text vectors and what was left out making them."""

    vectors: np.ndarray  # (n, dim) float32
    unknown: np.ndarray  # (n,) words of each text without a vector (skipped)
    words: np.ndarray  # (n,) words of each text that have one


def zipf_probabilities(n: int) -> np.ndarray:
    """p(rank r) = 1 / (r * H_n): a word's probability estimated from its frequency rank (row
    order of most vector files), for tables that carry no counts."""
    ranks = np.arange(1, n + 1, dtype=np.float64)
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
    word2vec corpus reader does). ``frequencies`` (word -> count or probability) give SIF its
    word probabilities; without them a Zipf estimate from each word's row is used.
    """
    from tokenvec._bag_numba import bag_reduce
    from tokenvec.word2vec.corpus import WordTokenizer

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
    split = tokenizer or WordTokenizer()
    index = vectors.key_to_index
    subwords = hasattr(vectors, "rows_of")  # subword vectors: every word with n-grams counts
    ids: list[int] = []
    extra: dict[str, int] = {}  # words outside the vocabulary with a subword vector
    extra_rows: list[np.ndarray] = []
    lens = np.zeros(len(batch), dtype=np.int64)
    unknown = np.zeros(len(batch), dtype=np.int64)
    base = len(vectors)
    for i, text in enumerate(batch):
        for w in split(text):
            j = index.get(w)
            if j is None and subwords:
                j = extra.get(w)
                if j is None and vectors.has_vector(w):
                    j = extra[w] = base + len(extra_rows)
                    extra_rows.append(vectors.word_vector(w))
            if j is None:
                unknown[i] += 1
                continue
            ids.append(j)
            lens[i] += 1
    table = np.asarray(vectors.vectors, dtype=np.float32)
    if extra_rows:
        table = np.concatenate([table, np.stack(extra_rows).astype(np.float32)])
    table = np.ascontiguousarray(table)
    flat = np.asarray(ids, dtype=np.int64)
    weights = np.zeros(1, dtype=np.float32)
    if pooling == "sif":
        p = _probabilities(vectors, frequencies, base, extra)
        weights = (sif_a / (sif_a + p[flat])).astype(np.float32)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    nonempty = np.flatnonzero(lens)
    out = np.zeros((len(batch), table.shape[1]), dtype=np.float32)
    winners = np.zeros((nonempty.size, table.shape[1]), dtype=np.int64)
    mode = {"mean": 1, "sif": 0, "max": 2}[pooling]
    if flat.size:
        bag_reduce(table, flat, starts[nonempty], starts[nonempty] + lens[nonempty], nonempty,
                   weights, pooling == "sif", mode, out, winners)  # fmt: skip
    if pooling == "sif":
        out[nonempty] /= lens[nonempty, None].astype(np.float32)
        if remove_first_component and nonempty.size > 1:
            _, _, vt = np.linalg.svd(out[nonempty].astype(np.float64), full_matrices=False)
            u = vt[0]
            out[nonempty] -= (out[nonempty] @ u)[:, None].astype(np.float32) * u.astype(np.float32)
    if normalize:
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out = np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)
    return Encoded(out, unknown, lens)


def _probabilities(
    vectors: Any, frequencies: Mapping[str, float] | None, base: int, extra: dict[str, int]
) -> np.ndarray:
    """p(w) for every row (and the extra subword rows): from ``frequencies`` or Zipf."""
    n = base + len(extra)
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
