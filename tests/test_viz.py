"""Plots: they render, labels of a 30-word map do not overlap, files are written atomically."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import pytest

from support import cli
from tokenvec.app import viz


def test_project_2d_pca_matches_svd():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 5))
    xy = viz.project_2d(x)
    c = x - x.mean(axis=0)
    # PCA keeps the top-2 variance: the projection's variance equals the top-2 singular values'.
    s = np.linalg.svd(c, compute_uv=False)
    np.testing.assert_allclose(np.sort(np.var(xy, axis=0) * len(x))[::-1], s[:2] ** 2, rtol=1e-9)
    with pytest.raises(ValueError, match="pca, tsne or umap"):
        viz.project_2d(x, "mds")


def test_map_labels_do_not_overlap(glove, tmp_path):
    fig = viz.plot_map(glove, around="tower", topn=29)
    ax = fig.axes[0]
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(r) for t in ax.texts]
    assert len(boxes) == 30
    overlaps = [(i, j) for i in range(30) for j in range(i + 1, 30) if boxes[i].overlaps(boxes[j])]
    assert overlaps == []
    out = viz.save(fig, tmp_path / "map.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_other_plots(glove, tmp_path):
    fig = viz.plot_analogy(glove, "man", "woman", "king")
    assert "queen" in fig.axes[0].get_title()
    assert viz.save(fig, tmp_path / "a.svg").read_text().lstrip().startswith("<?xml")
    heat = viz.plot_heatmap(glove, ["king", "queen", "paper"])
    assert heat.axes[0].images[0].get_array().shape == (3, 3)
    curves = viz.plot_curves({"train": [(1, 3.0), (2, 2.0)], "word2vec": [2.1, 1.9]})
    assert len(curves.axes[0].lines) == 2
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        viz.save(curves, tmp_path / "x.jpg")
    with pytest.raises(ValueError, match="at least 2 words"):
        viz.plot_map(glove, ["king"])


def test_plot_curves_on_a_file_that_is_not_a_checkpoint(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    bad = tmp_path / "x.pt"
    bad.write_bytes(b"not a checkpoint")
    res = cli("plot", "curves", "--checkpoint", str(bad), "-o", str(tmp_path / "c.png"))
    assert res.returncode == 1 and "x.pt: not a tokenvec GPT checkpoint" in res.stderr
    assert len(res.stderr.splitlines()) == 1


def test_plot_curves_of_a_device_says_what_it_is(tmp_path):
    pytest.importorskip("matplotlib")
    r = cli("plot", "curves", "--checkpoint", "/dev/zero", "-o", str(tmp_path / "c.png"))
    assert r.returncode == 1 and "no such" not in r.stderr, r.stderr
    assert "/dev/zero" in r.stderr and "Traceback" not in r.stderr
