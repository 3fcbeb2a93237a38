"""The reader fuzz harness (scripts/fuzz_readers.py), run briefly: seeded, so it is the same
inputs every run; ``python scripts/fuzz_readers.py --minutes N`` runs it for longer."""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "fuzz_readers.py"


def _harness():
    spec = importlib.util.spec_from_file_location("fuzz_readers", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_readers"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


fuzz_readers = _harness()


@pytest.mark.parametrize("reader", sorted(fuzz_readers.READERS))
def test_reader_survives_mutated_files(reader, tmp_path):
    if reader == "transformer":
        pytest.importorskip("safetensors")
    if reader == "native-static":
        pytest.importorskip("tokenizers", reason="static vectors keep a tokenizers tokenizer")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = fuzz_readers.fuzz(
            [reader], seconds=60, seed=2026, workdir=tmp_path, max_inputs=2000
        )
    counts = stats[reader].counts
    failures = {k: v for k, v in counts.items() if k.split()[0] in fuzz_readers.FAILURES}
    assert not failures, (failures, stats[reader].examples)
    assert sum(v for k, v in counts.items() if "(device)" not in k) == 2000
    # The mutations must reach both outcomes, or the harness tests nothing.
    assert any(k.startswith("loaded") for k in counts), counts
    assert any(k.startswith("rejected") for k in counts), counts


def test_oracles_accept_what_the_writers_write(tmp_path):
    import random

    rng = random.Random(0)
    for name, reader in fuzz_readers.READERS.items():
        if name == "transformer":
            pytest.importorskip("safetensors")
        if name == "native-static" and importlib.util.find_spec("tokenizers") is None:
            continue
        v = fuzz_readers.seed_vectors(rng)
        path = reader.make(v, tmp_path / name)
        res = fuzz_readers.run_one(reader, path, detect=False)
        assert res.outcome == "loaded", (name, res)


def test_harness_catches_a_misread(tmp_path, monkeypatch):
    # A reader that drops the last row must be reported, not pass.
    import tokenvec as tv

    real = tv.load_vectors

    def lossy(*args, **kwargs):
        v = real(*args, **kwargs)
        return tv.Vectors(v.index_to_key[:-1], v.vectors[:-1]) if len(v) > 1 else v

    monkeypatch.setattr(tv, "load_vectors", lossy)
    reader = fuzz_readers.READERS["glove"]
    v = tv.Vectors(["a", "b"], [[1.0, 2.0], [3.0, 4.0]])
    assert fuzz_readers.run_one(reader, reader.make(v, tmp_path / "g"), False).outcome == "misread"
