"""Plots of a vector space (extra ``viz``: matplotlib).

Every function returns a matplotlib ``Figure``; ``save(fig, path)`` writes PNG or SVG
atomically. Labels of 2-D maps are moved apart until no two overlap, so 30 words stay readable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tokenvec._native.pca import project_2d_pca
from tokenvec._optional import require
from tokenvec.vectors.base import Vectors


def _plt() -> Any:
    mpl = require("matplotlib", "viz")
    if os.environ.get("MPLBACKEND") is None:
        mpl.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    return plt


def project_2d(points: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """(n, dim) -> (n, 2). PCA (numpy SVD) by default; ``tsne`` (scikit-learn) and ``umap``
    (umap-learn) when installed.

    >>> project_2d(np.eye(3)).shape
    (3, 2)
    """
    x = np.asarray(points, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"need at least 2 points of shape (n, dim), got {x.shape}")
    if method == "pca":
        return project_2d_pca(x)
    if method == "tsne":
        manifold = require("sklearn.manifold", "viz", package="scikit-learn")
        perplexity = max(2.0, min(30.0, (len(x) - 1) / 3))
        return manifold.TSNE(2, perplexity=perplexity, random_state=seed, init="pca").fit_transform(
            x
        )
    if method == "umap":
        umap = require("umap", None, package="umap-learn")
        return umap.UMAP(n_components=2, random_state=seed).fit_transform(x)
    raise ValueError(f"method must be pca, tsne or umap, got {method!r}")


def _overlaps(boxes: list[Any]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i].overlaps(boxes[j])
    ]


def declutter(fig: Any, ax: Any, texts: list[Any], iterations: int = 300) -> int:
    """Move text labels apart (in display space) until none overlap; returns overlaps left."""
    if len(texts) < 2:
        return 0
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    inv = ax.transData.inverted()
    for _ in range(iterations):
        boxes = [t.get_window_extent(renderer).expanded(1.05, 1.15) for t in texts]
        pairs = _overlaps(boxes)
        if not pairs:
            return 0
        shifts = np.zeros((len(texts), 2))
        for i, j in pairs:
            ci = np.array([(boxes[i].x0 + boxes[i].x1) / 2, (boxes[i].y0 + boxes[i].y1) / 2])
            cj = np.array([(boxes[j].x0 + boxes[j].x1) / 2, (boxes[j].y0 + boxes[j].y1) / 2])
            d = ci - cj
            if not d.any():
                d = np.array([0.0, 1.0 if i < j else -1.0])
            step = 3.0 * d / np.linalg.norm(d)
            shifts[i] += step
            shifts[j] -= step
        for t, s in zip(texts, shifts, strict=True):
            if s.any():
                x, y = ax.transData.transform(t.get_position())
                t.set_position(inv.transform((x + s[0], y + s[1])))
    return len(_overlaps([t.get_window_extent(renderer) for t in texts]))


def _scatter_labels(ax: Any, fig: Any, xy: np.ndarray, labels: Sequence[str], colors: Any) -> None:
    ax.scatter(xy[:, 0], xy[:, 1], c=colors, s=28, zorder=3)
    texts = [
        ax.text(x, y, f" {lab}", fontsize=9, zorder=4, va="center")
        for (x, y), lab in zip(xy, labels, strict=True)
    ]
    pad = (np.ptp(xy, axis=0) + 1e-9) * 0.15
    ax.set_xlim(xy[:, 0].min() - pad[0], xy[:, 0].max() + pad[0] * 1.6)
    ax.set_ylim(xy[:, 1].min() - pad[1], xy[:, 1].max() + pad[1])
    declutter(fig, ax, texts)
    for t, (x, y) in zip(texts, xy, strict=True):
        tx, ty = t.get_position()
        if abs(tx - x) + abs(ty - y) > 1e-12:
            ax.plot([x, tx], [y, ty], lw=0.5, color="0.6", zorder=2)


def plot_map(
    vectors: Vectors,
    words: Sequence[str] | None = None,
    *,
    around: str | None = None,
    topn: int = 20,
    method: str = "pca",
    title: str | None = None,
) -> Any:
    """A 2-D map of ``words``, or of ``around`` and its ``topn`` nearest neighbours."""
    plt = _plt()
    if around is not None:
        words = [around, *(w for w, _ in vectors.most_similar(around, topn=topn))]
    if not words or len(words) < 2:
        raise ValueError("give at least 2 words, or around=WORD")
    xy = project_2d(vectors[list(words)], method)
    fig, ax = plt.subplots(figsize=(8, 6), dpi=110)
    colors = ["tab:red" if w == around else "tab:blue" for w in words]
    _scatter_labels(ax, fig, xy, list(words), colors)
    ax.set_title(
        title
        or (
            f"neighbourhood of '{around}' ({method.upper()})"
            if around
            else f"{len(words)} words ({method.upper()})"
        )
    )
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    return fig


def plot_analogy(vectors: Vectors, a: str, b: str, c: str, *, topn: int = 1) -> Any:
    """The parallelogram of a : b :: c : ? with the predicted point b - a + c and the answer."""
    plt = _plt()
    answer = vectors.most_similar(positive=[b, c], negative=[a], topn=topn)[0][0]
    pts = np.stack(
        [vectors[a], vectors[b], vectors[c], vectors[answer], vectors[b] - vectors[a] + vectors[c]]
    )
    xy = project_2d(pts)
    fig, ax = plt.subplots(figsize=(7, 6), dpi=110)
    names = [a, b, c, answer, f"{b} - {a} + {c}"]
    for s, e, color in (
        (0, 1, "tab:blue"),
        (2, 3, "tab:blue"),
        (0, 2, "tab:orange"),
        (1, 3, "tab:orange"),
    ):
        ax.annotate(
            "", xy=xy[e], xytext=xy[s], arrowprops={"arrowstyle": "->", "color": color, "lw": 1.5}
        )
    ax.plot([xy[2, 0], xy[4, 0]], [xy[2, 1], xy[4, 1]], ls="--", color="0.5", lw=1)
    _scatter_labels(ax, fig, xy, names, ["tab:blue"] * 4 + ["tab:red"])
    ax.set_title(f"{a} : {b} :: {c} : {answer}  (PCA of the five points)")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    return fig


def plot_heatmap(vectors: Vectors, words: Sequence[str]) -> Any:
    """Cosine similarity of every pair of ``words``."""
    plt = _plt()
    if len(words) < 2:
        raise ValueError("give at least 2 words")
    m = np.array([[vectors.similarity(x, y) for y in words] for x in words])
    size = 1.2 + 0.45 * len(words)
    fig, ax = plt.subplots(figsize=(size + 1.5, size), dpi=110)
    im = ax.imshow(m, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(words)), words, rotation=45, ha="right")
    ax.set_yticks(range(len(words)), words)
    if len(words) <= 15:
        for i in range(len(words)):
            for j in range(len(words)):
                ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if abs(m[i, j]) > 0.6 else "black")  # fmt: skip
    fig.colorbar(im, ax=ax, label="cosine similarity")
    ax.set_title("cosine similarity")
    fig.tight_layout()
    return fig


def plot_curves(
    curves: Mapping[str, Sequence[tuple[float, float]] | Sequence[float]],
    *,
    xlabel: str = "epoch",
    title: str = "training loss",
) -> Any:
    """Training curves: ``{"train": [(step, loss), ...], "validation": [...]}`` or plain lists
    (word2vec's per-epoch losses)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for name, values in curves.items():
        vals = list(values)
        if not vals:
            continue
        if isinstance(vals[0], tuple | list):
            x, y = zip(*vals, strict=True)
        else:
            x, y = list(range(1, len(vals) + 1)), vals
        ax.plot(x, y, marker="o" if len(vals) < 30 else None, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def save(fig: Any, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write ``fig`` to a .png, .svg or .pdf file atomically (replacing one: ``overwrite``)."""
    from tokenvec.io.files import atomic_path

    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"plots are written as .png, .svg or .pdf, not {target.suffix!r}")
    with atomic_path(target, overwrite=overwrite) as tmp:
        fig.savefig(tmp, format=fmt)
    return target
