"""Package hygiene: optional dependencies stay optional, errors name the extra."""

from __future__ import annotations

import subprocess
import sys

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
