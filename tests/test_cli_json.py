"""Every command that has --json prints exactly one JSON document on stdout (progress, notes
and warnings go to stderr), so ``tokenvec ... --json | jq`` always works."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tokenvec as tv

WORDS = ["king", "queen", "man", "woman", "apple", "pear", "the", "cat"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    folder = tmp_path_factory.mktemp("json") / "tiny"
    return tv.Vectors(WORDS, rng.standard_normal((8, 6)).astype(np.float32)).save(folder)


def _commands(tiny: Path, tmp: Path) -> dict[str, list[str]]:
    corpus = tmp / "c.txt"
    corpus.write_text("\n".join(" ".join(WORDS) for _ in range(100)), "utf-8")
    pairs = tmp / "pairs.txt"
    pairs.write_text("king\tqueen\t9\nman\twoman\t8\napple\tpear\t7\ncat\tthe\t1\n", "utf-8")
    questions = tmp / "q.txt"
    questions.write_text(": family\nman king woman queen\nking man queen woman\n", "utf-8")
    v = str(tiny)
    return {
        "similar": ["similar", "king", "-v", v],
        "analogy": ["analogy", "man", "king", "woman", "-v", v],
        "distance": ["distance", "king", "queen", "-v", v],
        "evaluate": ["evaluate", "-v", v, "--pairs", str(pairs), "--analogies", str(questions)],
        "convert": ["convert", v, str(tmp / "out.vec")],
        "info": ["info", v],
        "list": ["list"],
        "plot": ["plot", "map", *WORDS[:4], "-v", v, "-o", str(tmp / "m.png")],
        "train": ["train", str(corpus), "-o", str(tmp / "w"), "--min-count", "1",
                  "--vector-size", "4", "--epochs", "1", "--progress"],
        "tokenize": ["tokenize", "Hello, world!"],
        "encode": ["encode", str(corpus), "-v", v, "-o", str(tmp / "e.npy")],
        "train-lm": ["train-lm", str(corpus), "-o", str(tmp / "lm.pt"), "--max-steps", "2",
                     "--batch-size", "2", "--block-size", "8", "--n-layer", "1", "--n-head", "1",
                     "--n-embd", "8", "--eval-interval", "1", "--progress"],
    }  # fmt: skip


NEEDS = {"plot": "matplotlib", "train-lm": "torch"}
COMMANDS = ["similar", "analogy", "distance", "evaluate", "convert", "info", "list", "plot",
            "train", "tokenize", "encode", "train-lm"]  # fmt: skip


@pytest.mark.parametrize("name", COMMANDS)
def test_json_output_is_one_document(name, tiny, tmp_path):
    if name in NEEDS and importlib.util.find_spec(NEEDS[name]) is None:
        pytest.skip(f"{NEEDS[name]} is not installed")
    args = _commands(tiny, tmp_path)[name]
    res = subprocess.run([sys.executable, "-m", "tokenvec", *args, "--json"],
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    json.loads(res.stdout)  # the whole of stdout: one document, nothing else


def test_every_command_with_json_is_covered():
    from typer.main import get_command

    from tokenvec.app.cli import app

    group = get_command(app)
    with_json = {
        name
        for name, cmd in group.commands.items()  # type: ignore[attr-defined]
        if any("--json" in getattr(p, "opts", []) for p in cmd.params)
    }
    assert with_json - {"distill"} == set(COMMANDS)  # distill: tests/test_distill.py


def _on_a_terminal(args: list[str]) -> tuple[bytes, str]:
    """Run ``args`` with stderr on a pseudo-terminal: (stdout, what the terminal showed)."""
    import os
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=follower, stdin=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    out, _ = proc.communicate(timeout=300)
    os.close(leader)
    assert proc.returncode == 0, seen[-2000:]
    return out, seen.decode("utf-8", "replace")


def test_long_waits_say_what_they_wait_for_on_a_terminal(tiny, tmp_path):
    # On a terminal, loading, evaluating and encoding show a line saying what runs (on
    # stderr); the same command in a pipe prints no spinner frames.
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("king\tqueen\t9\nman\twoman\t8\napple\tpear\t7\n", "utf-8")
    questions = tmp_path / "q.txt"
    questions.write_text(": family\nman king woman queen\n", "utf-8")
    args = [sys.executable, "-m", "tokenvec", "evaluate", "-v", str(tiny), "--pairs",
            str(pairs), "--analogies", str(questions), "--json"]  # fmt: skip
    out, text = _on_a_terminal(args)
    json.loads(out)  # stdout is still one document
    assert "loading" in text and "analogy questions" in text and "word pairs" in text, text
    piped = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert "analogy questions" not in piped.stderr


def test_convert_says_what_it_is_doing_on_a_terminal(tmp_path):
    # Before, converting (and quantizing) a large table was minutes without a word.
    rng = np.random.default_rng(0)
    keys = [f"w{i}" for i in range(600)]
    src = tmp_path / "v.vec"
    tv.Vectors(keys, rng.standard_normal((600, 8)).astype(np.float32)).save(src)
    args = [sys.executable, "-m", "tokenvec", "convert", str(src), str(tmp_path / "q"),
            "--reduce", "4", "--quantize", "int8", "--json"]  # fmt: skip
    out, text = _on_a_terminal(args)
    assert json.loads(out)["count"] == 600
    for step in ("loading", "reducing", "quantizing", "writing"):
        assert step in text, (step, text)
