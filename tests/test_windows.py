"""Sliding-window datasets and streamed tokenisation to memory-mapped ids."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokenvec.tokenizers import WordLevel, gpt2, split_text
from tokenvec.windows import sliding_windows, tokenize_file, torch_loader


def reference_windows(ids, max_length, stride):
    """Raschka's GPTDatasetV1 loop."""
    xs, ys = [], []
    for i in range(0, len(ids) - max_length, stride):
        xs.append(ids[i : i + max_length])
        ys.append(ids[i + 1 : i + max_length + 1])
    return np.array(xs), np.array(ys)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(2, 60), max_length=st.integers(1, 20), stride=st.integers(1, 25))
def test_windows_equal_reference_loop(n, max_length, stride):
    ids = np.arange(n) * 7
    if n < max_length + 1:
        with pytest.raises(ValueError, match="needs at least"):
            sliding_windows(ids, max_length, stride)
        return
    x, y = sliding_windows(ids, max_length, stride)
    rx, ry = reference_windows(ids, max_length, stride)
    np.testing.assert_array_equal(x, rx)
    np.testing.assert_array_equal(y, ry)
    assert np.shares_memory(x, ids)  # a view, no copy


def test_window_errors():
    with pytest.raises(ValueError, match="stride must be a positive integer"):
        sliding_windows(np.arange(10), 4, 0)
    with pytest.raises(ValueError, match="max_length 20 needs at least 21 tokens"):
        sliding_windows(np.arange(10), 20, 1)
    with pytest.raises(TypeError, match="integers"):
        sliding_windows(np.ones(10), 2, 1)


@settings(max_examples=80, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("ab .,'\n\t1é😀")), max_size=300),
    size=st.integers(1, 40),
)
def test_split_text_keeps_gpt2_tokens(text, size):
    tok = gpt2()
    pieces = split_text(text, size)
    assert "".join(pieces) == text
    assert [i for p in pieces for i in tok.encode_ordinary(p)] == tok.encode_ordinary(text)


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_tokenize_file_streams_exactly(tmp_path, chunk):
    tok = gpt2()
    text = (
        "The King James Bible.\n\nIn the beginning God created the heaven and the earth. " * 50
    ) + "end"
    src = tmp_path / "t.txt"
    src.write_text(text)
    ids = tokenize_file(src, tok, tmp_path / "ids.npy", chunk_chars=chunk)
    assert ids.dtype == np.uint16 and isinstance(ids, np.memmap)
    np.testing.assert_array_equal(ids, tok.encode_ordinary(text))
    withend = tokenize_file(src, tok, tmp_path / "ids2.npy", append_eot=True)
    assert withend[-1] == 50256
    word = WordLevel.train([text])
    wids = tokenize_file(src, word, tmp_path / "w.npy", chunk_chars=chunk)
    np.testing.assert_array_equal(wids, word.encode(text))


def test_tokenize_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        tokenize_file(tmp_path / "none.txt", gpt2(), tmp_path / "o.npy")
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9")
    with pytest.raises(ValueError, match="not UTF-8"):
        tokenize_file(tmp_path / "bad.txt", gpt2(), tmp_path / "o.npy")
    assert not (tmp_path / "o.npy").exists()


def test_torch_loader():
    torch = pytest.importorskip("torch")
    ids = np.arange(100, dtype=np.uint16)
    loader = torch_loader(ids, 8, 4, batch_size=5, shuffle=True, seed=0)
    batches = list(loader)
    assert len(batches) == len(sliding_windows(ids, 8, 4)[0]) // 5
    x, y = batches[0]
    assert x.shape == (5, 8) and x.dtype == torch.int64
    torch.testing.assert_close(y[:, :-1], x[:, 1:])
    again = [b[0] for b in torch_loader(ids, 8, 4, batch_size=5, shuffle=True, seed=0)]
    torch.testing.assert_close(again[0], x)
