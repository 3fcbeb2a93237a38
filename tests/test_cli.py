"""The command line: real subprocesses, one-line errors with the right exit status."""

from __future__ import annotations

import subprocess
import sys

import tokenvec as tv


def cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tokenvec", *args], capture_output=True, text=True, timeout=timeout
    )


def test_train_writes_vectors(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join("the cat sat on the mat with the dog" for _ in range(200)))
    out = tmp_path / "v.bin"
    res = cli(
        "train",
        str(corpus),
        "-o",
        str(out),
        "--format",
        "word2vec",
        "--min-count",
        "1",
        "--vector-size",
        "8",
        "--epochs",
        "2",
        "--threads",
        "1",
        "--no-progress",
        "--sg",
    )
    assert res.returncode == 0, res.stderr
    assert "saved 7 x 8 vectors" in res.stdout
    v = tv.load_vectors(out)
    assert len(v) == 7 and v.vector_size == 8


def test_train_errors_are_one_line():
    res = cli("train", "/no/such/corpus.txt", "-o", "/tmp/x")
    assert res.returncode == 1
    assert res.stderr.strip() == "error: no such corpus file or folder: /no/such/corpus.txt"
    res = cli("train", "--window", "0", "-o", "/tmp/x")
    assert res.returncode == 1 and "window must be a positive integer" in res.stderr
    assert "Traceback" not in res.stderr
    res = cli("train", "--bogus")
    assert res.returncode == 2 and "No such option: --bogus" in res.stderr
    res = cli("train", "--resume", "-o", "/tmp/x")
    assert res.returncode == 2 and "--resume needs --checkpoint" in res.stderr


def test_version():
    res = cli("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"tokenvec {tv.__version__}"


def test_train_lm_and_query_its_embeddings(tmp_path):
    import pytest

    pytest.importorskip("torch")
    corpus = tmp_path / "c.txt"
    corpus.write_text("The king said unto the people. The queen said unto the king.\n" * 300)
    res = cli(
        "train-lm",
        str(corpus),
        "-o",
        str(tmp_path / "lm.pt"),
        "--max-steps",
        "4",
        "--block-size",
        "16",
        "--n-embd",
        "16",
        "--n-head",
        "2",
        "--n-layer",
        "1",
        "--batch-size",
        "4",
        "--eval-interval",
        "2",
        "--no-progress",
        "--vectors",
        str(tmp_path / "vec"),
    )
    assert res.returncode == 0, res.stderr
    assert "4 steps, validation loss" in res.stdout
    vec = tv.load_vectors(tmp_path / "vec")
    assert " king" in vec and vec.vector_size == 16
