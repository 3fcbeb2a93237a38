"""Aligning two vector spaces: orthogonal Procrustes on shared keys, and CSLS retrieval.

Two trainings, two models or two languages give spaces that agree only up to a rotation. Given
pairs of keys that should match (by default the keys both spaces share), :func:`align` finds
the orthogonal map ``W`` minimising ``||X W - Y||`` (Schönemann 1966: ``W = U V^T`` from the
SVD of ``X^T Y``), after the preprocessing of the literature (Artetxe et al. 2018): rows unit
length, centred, unit length again. Spaces of different widths are mapped by the
semi-orthogonal ``W`` (orthonormal columns or rows) the same SVD gives.

Retrieval across the spaces is by cosine or by CSLS (Conneau et al. 2018), which lowers the
score of "hub" targets close to everything: ``2 cos(Wx, y) - r_T(Wx) - r_S(y)``, ``r`` the mean
cosine of a point to its ``k`` nearest neighbours in the other space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tokenvec._native import topk
from tokenvec.vectors.base import Vectors
from tokenvec.vectors.storage import Storage

# Targets searched by translate/evaluate: the first rows (the most frequent words of most
# files). CSLS needs every target's neighbourhood among the mapped sources, so it is bounded.
DEFAULT_RESTRICT = 50_000
SCORE_BLOCK = 2048  # rows of queries scored at once (a block of 2048 x 50,000 float32: 400 MB)


def _prepare(x: np.ndarray, normalize: bool, mean: np.ndarray | None) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if normalize:
        x = _unit(x)
    if mean is not None:
        x = x - mean
        if normalize:
            x = _unit(x)
    return x


def _unit(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.divide(x, n, out=np.zeros_like(x), where=n > 0)


@dataclass
class Alignment:
    """An orthogonal map from ``source``'s space into ``target``'s, with the keys it was fit
    on. ``transform`` maps raw source vectors; ``apply`` maps a whole ``Vectors``."""

    source: Vectors
    target: Vectors
    rotation: np.ndarray  # (source dims, target dims), orthonormal columns or rows
    normalize: bool
    source_mean: np.ndarray | None
    target_mean: np.ndarray | None
    pairs: list[tuple[str, str]]  # the pairs it was fit on
    held_out: list[tuple[str, str]] = field(default_factory=list)  # pairs kept for evaluation

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Source vectors (n, ds) or (ds,) in the target space, preprocessed as in the fit:
        float32, unit length when ``normalize``."""
        x = np.asarray(x)
        one = x.ndim == 1
        rows = _prepare(np.atleast_2d(x), self.normalize, self.source_mean) @ self.rotation
        out = (_unit(rows) if self.normalize else rows).astype(np.float32)
        return out[0] if one else out

    def _target_rows(self, restrict: int | None) -> tuple[np.ndarray, list[str]]:
        n = len(self.target) if restrict is None else min(restrict, len(self.target))
        rows = _prepare(self.target.vectors[:n], self.normalize, self.target_mean)
        return _unit(rows).astype(np.float32), self.target.index_to_key[:n]

    def apply(self, vectors: Vectors | None = None) -> Vectors:
        """``vectors`` (default: the source) mapped into the target space, their vocabulary
        kind kept. A fastText model's n-gram rows are mapped by the fit's affine part (less
        the mean, then rotated; not rescaled), so an unknown word's vector is its vector
        mapped the same way."""
        from tokenvec.vectors.storage import Dense

        v = vectors if vectors is not None else self.source
        shift = None if self.normalize else self.source_mean

        def ngrams(rows: Storage) -> Storage:
            x = np.asarray(rows.matrix, dtype=np.float64)
            return Dense(
                ((x - shift if shift is not None else x) @ self.rotation).astype(np.float32)
            )

        return v.transformed(lambda rows: Dense(self.transform(rows.matrix)), ngrams)

    def translate(
        self,
        words: str | Sequence[str],
        topn: int = 5,
        *,
        csls: bool = False,
        k: int = 10,
        restrict_vocab: int | None = DEFAULT_RESTRICT,
    ) -> Any:
        """The target keys nearest to each source word mapped by ``W`` (cosine, or CSLS with
        ``k`` neighbours), among the first ``restrict_vocab`` target keys: a list of
        ``(key, score)`` per word (one list for one word)."""
        one = isinstance(words, str)
        batch = [words] if isinstance(words, str) else list(words)
        rows = [self.source.index(w) for w in batch]  # KeyError names an unknown word
        best, scores, keys = self._search(np.asarray(rows), topn, csls, k, restrict_vocab)
        out = [[(keys[j], float(s)) for j, s in zip(b, sc, strict=True)]
               for b, sc in zip(best, scores, strict=True)]  # fmt: skip
        return out[0] if one else out

    def most_similar(
        self,
        word: str,
        topn: int = 10,
        *,
        csls: bool = False,
        k: int = 10,
        restrict_vocab: int | None = DEFAULT_RESTRICT,
    ) -> list[tuple[str, float]]:
        """The ``topn`` target keys most similar to source ``word`` across the two spaces, as
        ``Vectors.most_similar`` answers within one: cosine, or with ``csls=True`` the CSLS
        score (Conneau et al. 2018), which discounts targets close to everything (hubs).
        ``(key, score)`` pairs; the same search as :meth:`translate`."""
        if not isinstance(word, str):
            raise TypeError("most_similar takes one source word; translate takes several")
        return self.translate(word, topn, csls=csls, k=k, restrict_vocab=restrict_vocab)  # type: ignore[no-any-return]

    def _search(
        self, rows: np.ndarray, topn: int, csls: bool, k: int, restrict: int | None
    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        targets, keys = self._target_rows(restrict)
        topn = min(topn, len(keys))
        queries = self.transform(self.source.vectors[rows])
        if not self.normalize:
            queries = _unit(queries.astype(np.float64)).astype(np.float32)
        penalty = np.zeros(len(keys), dtype=np.float32)
        if csls:
            # r_S(y): how close each target is to its k nearest mapped sources (all of them,
            # restricted as the targets are).
            n_src = len(self.source) if restrict is None else min(restrict, len(self.source))
            mapped = self.transform(self.source.vectors[:n_src])
            if not self.normalize:
                mapped = _unit(mapped.astype(np.float64)).astype(np.float32)
            penalty = _mean_top_k(targets, mapped, k)
        best = np.empty((len(rows), topn), dtype=np.int64)
        scores = np.empty((len(rows), topn), dtype=np.float32)
        for lo in range(0, len(rows), SCORE_BLOCK):
            s = queries[lo : lo + SCORE_BLOCK] @ targets.T
            if csls:
                s = 2 * s - topk.topk_mean(s, k)[:, None] - penalty
            best[lo : lo + SCORE_BLOCK] = topk.topk_rows(s, topn)
            scores[lo : lo + SCORE_BLOCK] = np.take_along_axis(s, best[lo : lo + SCORE_BLOCK], 1)
        return best, scores, keys

    def evaluate(
        self,
        pairs: Sequence[tuple[str, str]] | None = None,
        *,
        csls: bool = False,
        k: int = 10,
        restrict_vocab: int | None = DEFAULT_RESTRICT,
    ) -> dict[str, float]:
        """Precision@1 and @5 of translating each pair's source key to its target key (default:
        the held-out pairs), among the first ``restrict_vocab`` target keys; pairs whose
        target lies outside them count as misses."""
        test = list(pairs) if pairs is not None else self.held_out
        if not test:
            raise ValueError("no pairs to evaluate: pass pairs, or align with holdout > 0")
        rows = np.asarray([self.source.index(s) for s, _ in test])
        best, _, keys = self._search(rows, 5, csls, k, restrict_vocab)
        where = {key: j for j, key in enumerate(keys)}
        want = np.asarray([where.get(t, -1) for _, t in test])
        return {
            "p@1": float(np.mean(best[:, 0] == want)),
            "p@5": float(np.mean((best == want[:, None]).any(axis=1))),
            "pairs": float(len(test)),
        }


def _mean_top_k(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """For each row of ``a``, the mean of its ``k`` largest dot products with rows of ``b``."""
    out = np.empty(a.shape[0], dtype=np.float32)
    for lo in range(0, a.shape[0], SCORE_BLOCK):
        out[lo : lo + SCORE_BLOCK] = topk.topk_mean(a[lo : lo + SCORE_BLOCK] @ b.T, k)
    return out


def align(
    source: Vectors,
    target: Vectors,
    pairs: Sequence[tuple[str, str]] | None = None,
    *,
    normalize: bool = True,
    center: bool = True,
    holdout: float = 0.0,
    seed: int = 0,
) -> Alignment:
    """The orthogonal map of ``source``'s space onto ``target``'s (see the module docstring).

    ``pairs`` (source key, target key) default to the keys both share. ``holdout`` keeps that
    share of the pairs out of the fit (chosen at random with ``seed``) for
    :meth:`Alignment.evaluate`. ``normalize`` and ``center`` are the preprocessing; the means
    are those of the fitted rows.
    """
    if not isinstance(source, Vectors) or not isinstance(target, Vectors):
        raise TypeError("align takes two Vectors")
    if not 0.0 <= holdout < 1.0:
        raise ValueError(f"holdout must lie in [0, 1), got {holdout!r}")
    if pairs is None:
        index = target.key_to_index
        pairs = [(w, w) for w in source.index_to_key if w in index]
        if not pairs:
            raise ValueError("the two spaces share no key: pass pairs=[(source_key, target_key)]")
    else:
        pairs = [(str(s), str(t)) for s, t in pairs]
        unknown = [p for p in pairs if p[0] not in source or p[1] not in target]
        if unknown:
            raise KeyError(f"{len(unknown)} pairs name keys the spaces lack (first: {unknown[0]})")
    pairs = list(dict.fromkeys(pairs))
    held: list[tuple[str, str]] = []
    if holdout > 0:
        order = np.random.default_rng(seed).permutation(len(pairs))
        n_test = round(len(pairs) * holdout)
        held = [pairs[i] for i in order[:n_test]]
        pairs = [pairs[i] for i in np.sort(order[n_test:])]
    d = min(source.vector_size, target.vector_size)
    if len(pairs) < d:
        raise ValueError(
            f"{len(pairs)} pairs to fit a map of {source.vector_size} onto "
            f"{target.vector_size} dimensions: it needs at least {d} (more keys in common, "
            f"or more pairs)"
        )
    x = _prepare(source.vectors[[source.index(s) for s, _ in pairs]], normalize, None)
    y = _prepare(target.vectors[[target.index(t) for _, t in pairs]], normalize, None)
    mx = x.mean(axis=0) if center else None
    my = y.mean(axis=0) if center else None
    if center:
        assert mx is not None and my is not None
        x, y = x - mx, y - my
        if normalize:
            x, y = _unit(x), _unit(y)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("the paired vectors hold NaN or inf")
    u, _, vt = np.linalg.svd(x.T @ y, full_matrices=False)
    return Alignment(source, target, u @ vt, normalize, mx, my, pairs, held)
