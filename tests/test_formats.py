"""Readers and writers: round-trips, gensim interoperability, malformed files, fuzzing."""

from __future__ import annotations

import gzip
import json
import lzma
import os
import struct
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tokenvec as tv
from support import checkpoint, cli, rewrite_member, small, through_fifo, vectors
from tokenvec import VectorFormatError
from tokenvec.io.formats import detect_format
from tokenvec.io.scan import scan_binary, scan_binary_reference
from tokenvec.word2vec import CheckpointError, Word2Vec

TEXT_FORMATS = ["word2vec-text", "fasttext", "glove"]
ALL_FORMATS = ["word2vec", *TEXT_FORMATS, "native"]


@pytest.fixture
def sample() -> tv.Vectors:
    rng = np.random.default_rng(0)
    keys = ["the", "king", "queen", "naïve", "日本", "a-b", "x" * 50, "</s>"]
    return tv.Vectors(keys, rng.standard_normal((len(keys), 7)).astype(np.float32))


def w2v_bin(rows, dim, header=None, newline=True) -> bytes:
    out = (header or f"{len(rows)} {dim}").encode() + b"\n"
    for word, vec in rows:
        out += word + b" " + struct.pack(f"<{len(vec)}f", *vec) + (b"\n" if newline else b"")
    return out


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_round_trip_every_format(tmp_path, sample, fmt):
    path = sample.save(tmp_path / f"v.{fmt}", format=fmt)
    assert detect_format(path) == ("word2vec-text" if fmt == "fasttext" else fmt)
    back = tv.load_vectors(path)
    assert back.index_to_key == sample.index_to_key
    np.testing.assert_array_equal(back.vectors, sample.vectors)  # 9 digits: exact float32
    assert back.most_similar("king", topn=3) == sample.most_similar("king", topn=3)
    again = tv.load_vectors(path, format=fmt, limit=3)
    assert again.index_to_key == sample.index_to_key[:3]


def test_native_opens_memory_mapped(tmp_path, sample):
    sample.save(tmp_path / "v")
    back = tv.load_vectors(tmp_path / "v")
    assert isinstance(back.vectors, np.memmap)
    assert not back.vectors.flags.writeable
    assert sorted(p.name for p in (tmp_path / "v").iterdir()) == [
        "key_offsets.npy",
        "keys.bin",
        "meta.json",
        "vectors.npy",
    ]


@pytest.mark.parametrize("opener,suffix", [(gzip.open, ".gz"), (lzma.open, ".xz")])
def test_compressed_files(tmp_path, sample, opener, suffix):
    raw = sample.save(tmp_path / "v.bin", format="word2vec").read_bytes()
    with opener(tmp_path / f"v.bin{suffix}", "wb") as f:
        f.write(raw)
    back = tv.load_vectors(tmp_path / f"v.bin{suffix}")
    np.testing.assert_array_equal(back.vectors, sample.vectors)


def test_gensim_reads_ours_and_we_read_gensims(tmp_path, sample):
    models = pytest.importorskip("gensim.models")
    for binary in (True, False):
        p = sample.save(
            tmp_path / f"ours{binary}", format="word2vec" if binary else "word2vec-text"
        )
        kv = models.KeyedVectors.load_word2vec_format(str(p), binary=binary)
        assert list(kv.index_to_key) == sample.index_to_key
        np.testing.assert_allclose(kv.vectors, sample.vectors, rtol=1e-6)
        kv.save_word2vec_format(str(tmp_path / f"theirs{binary}"), binary=binary)
        back = tv.load_vectors(tmp_path / f"theirs{binary}")
        assert back.index_to_key == sample.index_to_key
        np.testing.assert_allclose(back.vectors, sample.vectors, rtol=1e-6)


def test_binary_without_trailing_newlines_and_text_without_header(tmp_path):
    p = tmp_path / "a.bin"
    p.write_bytes(w2v_bin([(b"a", [1, 2]), (b"b", [3, 4])], 2, newline=False))
    np.testing.assert_array_equal(tv.load_vectors(p).vectors, [[1, 2], [3, 4]])
    g = tmp_path / "g.txt"
    g.write_text("a 1 2 \nb 3 4\r\n\n")  # trailing space, CRLF, blank line
    v = tv.load_vectors(g)
    assert v.index_to_key == ["a", "b"]
    np.testing.assert_array_equal(v.vectors, [[1, 2], [3, 4]])


def test_glove_words_with_spaces(tmp_path):
    # GloVe 840B holds a few keys with spaces; the last dim fields are the numbers.
    p = tmp_path / "g.txt"
    p.write_text("a 1 2\nat name@x.com 3 4\n")
    assert tv.load_vectors(p).index_to_key == ["a", "at name@x.com"]


def test_floats_with_space_bytes_in_binary(tmp_path):
    # 0x20 inside a float must not be taken for a separator.
    val = struct.unpack("<f", b"\x20\x20\x20\x41")[0]
    p = tmp_path / "s.bin"
    p.write_bytes(w2v_bin([(b"sp", [val, val]), (b"b", [1, 2])], 2))
    v = tv.load_vectors(p)
    assert v.index_to_key == ["sp", "b"]
    np.testing.assert_array_equal(v.vectors[0], [val, val])


# --- malformed input ---------------------------------------------------------------------------


def test_truncated_binary(tmp_path):
    data = w2v_bin([(b"a", [1, 2]), (b"b", [3, 4]), (b"c", [5, 6])], 2)
    p = tmp_path / "t.bin"
    p.write_bytes(data[:-6])
    with pytest.raises(VectorFormatError, match="truncated.*3 rows of 2 values"):
        tv.load_vectors(p)


def test_header_disagrees_with_rows(tmp_path):
    p = tmp_path / "h.txt"
    p.write_text("3 2\na 1 2\nb 3 4\n")
    with pytest.raises(VectorFormatError, match="header says 3 rows but the file has 2"):
        tv.load_vectors(p)
    p.write_text("1 2\na 1 2\nb 3 4\n")
    with pytest.raises(VectorFormatError, match="header says 1 rows but the file has 2"):
        tv.load_vectors(p)
    b = tmp_path / "h.bin"
    b.write_bytes(w2v_bin([(b"a", [1, 2]), (b"b", [3, 4])], 2, header="1 2"))
    with pytest.raises(VectorFormatError, match="header says 1 rows but the file holds more"):
        tv.load_vectors(b, format="word2vec")
    assert len(tv.load_vectors(b, format="word2vec", limit=1)) == 1


def test_row_with_wrong_number_of_values(tmp_path):
    p = tmp_path / "w.txt"
    p.write_text("3 3\na 1 2 3\nb 1 2\nc 1 2 3\n")
    with pytest.raises(VectorFormatError, match="line 3 has 2 values, expected 3"):
        tv.load_vectors(p)
    p.write_text("a 1 2 3\nb 1 x 3\n")
    with pytest.raises(VectorFormatError, match="line 2: b'x' is not a number"):
        tv.load_vectors(p, format="glove")


def test_non_utf8_keys_policy(tmp_path):
    p = tmp_path / "u.bin"
    p.write_bytes(w2v_bin([(b"ok", [1, 2]), (b"caf\xe9", [3, 4])], 2))
    with pytest.raises(VectorFormatError, match=r"row 2: the word b'caf\\xe9' is not valid UTF-8"):
        tv.load_vectors(p)
    assert tv.load_vectors(p, encoding_errors="replace").index_to_key == ["ok", "caf\ufffd"]
    assert tv.load_vectors(p, encoding_errors="ignore").index_to_key == ["ok", "caf"]


def test_duplicates_nan_and_inf(tmp_path):
    p = tmp_path / "d.txt"
    p.write_text("a 1 2\nb 3 4\na 5 6\n")
    with pytest.warns(UserWarning, match="1 duplicate keys"):
        v = tv.load_vectors(p)
    np.testing.assert_array_equal(v["a"], [1, 2])
    p.write_text("a 1 2\nb nan 4\n")
    with pytest.raises(ValueError, match=r"vector of 'b' \(row 1\) has NaN or inf"):
        tv.load_vectors(p)
    assert np.isnan(tv.load_vectors(p, allow_nan=True)["b"][0])


def test_word2vec_binary_nan_rows_found_by_the_scan(tmp_path):
    # The scanner notes the first NaN row as it copies, so no second pass over the matrix:
    # the same error as for any NaN row, naming the file; allow_nan keeps them; inf is
    # no embedding value at all (the binary rows are garbage).
    p = tmp_path / "n.bin"
    nan = float("nan")
    p.write_bytes(w2v_bin([(b"a", [1, 2]), (b"b", [3, nan]), (b"c", [nan, 1])], 2))
    with pytest.raises(VectorFormatError, match=r"n\.bin: vector of 'b' \(row 1\) has NaN"):
        tv.load_vectors(p)
    v = tv.load_vectors(p, allow_nan=True)
    assert np.isnan(v["b"][1]) and np.isnan(v["c"][0]) and v["a"][1] == 2
    p.write_bytes(w2v_bin([(b"a", [1, 2]), (b"b", [3, float("inf")])], 2))
    with pytest.raises(VectorFormatError, match=r"row 2, value 2 is inf"):
        tv.load_vectors(p, allow_nan=True)


def test_word2vec_binary_large_vocabulary_uses_the_word_index(tmp_path):
    # Over 100,000 clean UTF-8 words: lookups hash the stored bytes (no dict of every word)
    # and answer as a dict would, the first occurrence winning for a repeated word; a NaN
    # row far into the file (a later chunk of the scan) is still found.
    from tokenvec.vectors.wordindex import WordIndex

    n = 120_000
    keys = [f"w{i}" for i in range(n - 2)] + ["zä", "w5"]
    rng = np.random.default_rng(0)
    mat = rng.standard_normal((n, 4)).astype(np.float32)
    p = tmp_path / "big.bin"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tv.Vectors(keys, mat, on_duplicate="ignore").save(p, format="word2vec")
        with pytest.warns(UserWarning, match="1 duplicate keys"):
            v = tv.load_vectors(p)
    assert isinstance(v.key_to_index, WordIndex)
    assert v.key_to_index["w5"] == 5 and v.key_to_index["zä"] == n - 2 and "w-1" not in v
    assert len(v.key_to_index) == n - 1
    np.testing.assert_array_equal(v.vectors, mat)
    mat[n - 10, 3] = np.nan
    tv.Vectors(keys, mat, on_duplicate="ignore", allow_nan=True).save(
        p, format="word2vec", overwrite=True
    )
    with pytest.raises(VectorFormatError, match=rf"\(row {n - 10}\) has NaN"):
        tv.load_vectors(p, on_duplicate="ignore")


def test_empty_missing_directory_and_garbage(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(VectorFormatError, match="empty"):
        tv.load_vectors(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="no such file"):
        tv.load_vectors(tmp_path / "nope.bin")
    with pytest.raises(IsADirectoryError, match="folder without meta.json"):
        tv.load_vectors(tmp_path)
    (tmp_path / "junk").write_bytes(bytes(range(256)) * 10)
    with pytest.raises(VectorFormatError, match="not a vectors file"):
        tv.load_vectors(tmp_path / "junk")
    (tmp_path / "long.bin").write_bytes(b"2 2\n" + b"a" * 10000)
    with pytest.raises(VectorFormatError, match="no space within 4096 bytes"):
        tv.load_vectors(tmp_path / "long.bin", format="word2vec")
    (tmp_path / "bad.gz").write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(VectorFormatError, match="cannot read"):
        tv.load_vectors(tmp_path / "bad.gz")
    with pytest.raises(ValueError, match="unknown format"):
        tv.load_vectors(tmp_path / "empty", format="hdf5")  # type: ignore[arg-type]


def test_native_folder_corruption(tmp_path, sample):
    sample.save(tmp_path / "v")
    (tmp_path / "v" / "keys.bin").write_bytes(b"a\nb\n")
    with pytest.raises(VectorFormatError, match="key offsets do not cover the key file"):
        tv.load_vectors(tmp_path / "v")
    (tmp_path / "v" / "meta.json").write_text("{not json")
    with pytest.raises(VectorFormatError, match="not valid JSON"):
        tv.load_vectors(tmp_path / "v")


# --- atomic writes -----------------------------------------------------------------------------


def test_failed_write_leaves_target_intact(tmp_path, sample, monkeypatch):
    target = sample.save(tmp_path / "v.txt", format="glove")
    before = target.read_bytes()
    bad = tv.Vectors(["has space", "b"], np.ones((2, 2), np.float32))
    with pytest.raises(ValueError, match="contains whitespace"):
        bad.save(target, format="glove")
    assert target.read_bytes() == before

    native = sample.save(tmp_path / "n")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        tv.Vectors(["z"], np.ones((1, 7), np.float32)).save(native, overwrite=True)
    monkeypatch.undo()
    assert tv.load_vectors(native).index_to_key == sample.index_to_key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n", "v.txt"]  # no temporaries left


def test_writers_refuse_unwritable_keys(tmp_path):
    with pytest.raises(ValueError, match="cannot be written as UTF-8"):
        tv.Vectors(["\udcff"], np.ones((1, 2), np.float32)).save(tmp_path / "x", format="glove")
    # The native format holds any string, lone surrogates and newlines included.
    odd = tv.Vectors(["\udcff", "a\nb", "caf\xff"], np.ones((3, 2), np.float32))
    assert tv.load_vectors(odd.save(tmp_path / "x")).index_to_key == odd.index_to_key
    native_ok = tv.Vectors(["two words", "tab\there"], np.ones((2, 2), np.float32))
    assert tv.load_vectors(native_ok.save(tmp_path / "n")).index_to_key == [
        "two words",
        "tab\there",
    ]


# --- the compiled scanner against its reference, and fuzzing ---------------------------------


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(
        st.binary(min_size=1, max_size=12).filter(
            lambda w: b" " not in w and not w.startswith((b"\n", b"\r"))
        ),
        min_size=1,
        max_size=8,
    ),
    cut=st.integers(0, 400),
    seed=st.integers(0, 2**32 - 1),
    odd=st.lists(st.sampled_from([float("nan"), 1e20, float("inf")]), max_size=3),
)
def test_scanner_matches_reference(words, cut, seed, odd):
    rng = np.random.default_rng(seed)
    dim = 3
    values = rng.standard_normal((len(words), dim))
    for x in odd:  # NaN (noted, not an error) and values no embedding holds (an error)
        values[rng.integers(len(words)), rng.integers(dim)] = x
    rows = [(w, v.tolist()) for w, v in zip(words, values, strict=True)]
    body = w2v_bin(rows, dim).split(b"\n", 1)[1][: cut or None]
    buf = np.frombuffer(body, dtype=np.uint8)
    results = []
    for fn in (scan_binary, scan_binary_reference):
        vec = np.zeros((len(words), dim * 4), np.uint8)
        blob = np.zeros(len(body) + 1, np.uint8)
        ends = np.zeros(len(words), np.int64)
        r = fn(buf, len(words), dim * 4, vec, blob, ends, 4096, 1e15)
        results.append((r, vec.tobytes(), blob[: r[2]].tobytes(), ends[: r[0]].tolist()))
    assert results[0] == results[1]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=300), fmt=st.sampled_from([None, *ALL_FORMATS[:-1]]))
def test_fuzz_readers_raise_only_clear_errors(tmp_path, data, fmt):
    p = tmp_path / "fuzz"
    p.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            v = tv.load_vectors(p, format=fmt)
        except (VectorFormatError, ValueError) as exc:
            assert str(exc)
            return
    assert len(v) > 0 and v.vectors.ndim == 2


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    keys=st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=["Cs", "Zs", "Cc", "Zl", "Zp"]),
            min_size=1,
            max_size=8,
        ),
        min_size=1,
        max_size=6,
        unique=True,
    ),
    fmt=st.sampled_from(ALL_FORMATS),
)
def test_fuzz_round_trip_keys(tmp_path, keys, fmt):
    keys = [k for k in keys if k.split() == [k]]
    if not keys:
        return
    v = tv.Vectors(keys, np.arange(len(keys) * 2, dtype=np.float32).reshape(-1, 2))
    back = tv.load_vectors(v.save(tmp_path / f"r.{fmt}", format=fmt, overwrite=True), format=fmt)
    assert back.index_to_key == keys
    np.testing.assert_array_equal(back.vectors, v.vectors)


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([(b"ok", [1.0, 2.0]), (b"b\x01ad", [1.0, 2.0])], r"row 2: the word b'b\\x01ad' is empty"),
        ([(b"ok", [1.0, 2.0]), (b"\n", [1.0, 2.0])], r"row 2: .* is empty or holds control"),
        ([(b"ok", [1.0, 2.0]), (b"big", [1.0, 3e20])], r"row 2, value 2 is 3e\+20"),
        ([(b"inf", [float("inf"), 0.0])], r"row 1, value 1 is inf"),
    ],
)
def test_binary_rows_checked_inside_the_scan(tmp_path, rows, match):
    p = tmp_path / "bad.bin"
    p.write_bytes(w2v_bin(rows, 2))
    with pytest.raises(VectorFormatError, match=match) as info:
        tv.load_vectors(p, format="word2vec")
    assert str(p) in str(info.value)


def test_binary_words_that_are_not_clean_utf8_decode_word_by_word(tmp_path):
    p = tmp_path / "mixed.bin"
    p.write_bytes(w2v_bin([(b"caf\xc3\xa9", [1.0, 0.0]), (b"x\xffy", [0.0, 1.0])], 2))
    with pytest.raises(VectorFormatError, match="row 2: the word b'x\\\\xffy' is not valid UTF-8"):
        tv.load_vectors(p, format="word2vec")
    v = tv.load_vectors(p, format="word2vec", encoding_errors="replace")
    assert v.index_to_key == ["café", "x\ufffdy"]
    np.testing.assert_array_equal(v["café"], [1.0, 0.0])


def test_large_native_vocabularies_look_keys_up_through_the_stored_blob(tmp_path):
    """A native folder of 100,000+ keys answers lookups from a hash index over keys.bin (no
    dict of every key), with a dict's answers: newlines and lone surrogates in keys, the
    first row of a repeat, misses; ``limit`` reads keep a dict."""
    from tokenvec.vectors.base import WORD_INDEX_MIN
    from tokenvec.vectors.wordindex import WordIndex

    n = WORD_INDEX_MIN + 5
    keys = [f"k{i}" for i in range(n)]
    keys[7], keys[9] = "a\nb", "\ud800x"
    mat = np.arange(2 * n, dtype=np.float32).reshape(n, 2)
    path = tv.Vectors(keys, mat).save(tmp_path / "big")
    v = tv.load_vectors(path)
    assert isinstance(v.key_to_index, WordIndex)
    for i in (0, 7, 9, n - 1):
        assert v.key_to_index[keys[i]] == i
        np.testing.assert_array_equal(v[keys[i]], mat[i])
    assert "k" not in v and v.key_to_index.get("a") is None and len(v.key_to_index) == n
    assert v.most_similar("k5", topn=1)[0][0] == "k6"
    small = tv.load_vectors(path, limit=10)
    assert isinstance(small.key_to_index, dict) and small.key_to_index["a\nb"] == 7


def _w2v_rows(n: int, dim: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    keys = [f"{'x' * int(rng.integers(0, 30))}ä{i}" for i in range(n)]
    return keys, rng.standard_normal((n, dim)).astype(np.float32)


@pytest.mark.parametrize("newline", [True, False])
def test_word2vec_binary_read_ahead_matches_the_plain_read(tmp_path, monkeypatch, newline):
    # A large file is read by a thread a chunk ahead of the scan; small chunks and a low
    # threshold put a small file through that path: the same keys, rows and errors.
    from tokenvec._native import memory as _memory
    from tokenvec.io import formats

    keys, mat = _w2v_rows(3000, 5, 0)
    p = tmp_path / "a.bin"
    rows = [(k.encode(), v.tolist()) for k, v in zip(keys, mat, strict=True)]
    body = w2v_bin(rows, 5, newline=newline)
    p.write_bytes(body)
    plain = tv.load_vectors(p)
    monkeypatch.setattr(formats, "CHUNK_BYTES", 1)  # the smallest buffers the reader allows
    monkeypatch.setattr(_memory, "POPULATE_MIN_BYTES", 1)
    ahead = tv.load_vectors(p)
    assert ahead.index_to_key == plain.index_to_key == keys
    np.testing.assert_array_equal(ahead.vectors, mat)
    np.testing.assert_array_equal(plain.vectors, mat)
    assert tv.load_vectors(p, limit=1234).index_to_key == keys[:1234]
    p.write_bytes(body[:-30])
    with pytest.raises(VectorFormatError, match="truncated: .* ends after 2999 complete rows"):
        tv.load_vectors(p)
    p.write_bytes(body + b"more")
    with pytest.raises(VectorFormatError, match="holds more data after them"):
        tv.load_vectors(p)
    p.write_bytes(body + b"\n\n")
    assert tv.load_vectors(p).index_to_key == keys


def test_word2vec_binary_blank_lines_longer_than_a_chunk(tmp_path, monkeypatch):
    # Blank lines before a row are skipped, however many there are; the unread tail of a
    # chunk then holds only the row's start.
    from tokenvec._native import memory as _memory
    from tokenvec.io import formats

    monkeypatch.setattr(formats, "CHUNK_BYTES", 1)
    monkeypatch.setattr(_memory, "POPULATE_MIN_BYTES", 1)
    body = w2v_bin([(b"a", [1, 2]), (b"b", [3, 4])], 2)
    head, rest = body.split(b"\n", 1)
    first, second = rest[:11], rest[11:]
    p = tmp_path / "blank.bin"
    p.write_bytes(head + b"\n" + first + b"\n" * 100_000 + second)
    v = tv.load_vectors(p)
    assert v.index_to_key == ["a", "b"] and v["b"].tolist() == [3, 4]


def test_chunks_come_in_order_with_the_tail_in_front(tmp_path):
    from tokenvec.io.formats import _Chunks

    data = np.random.default_rng(0).integers(0, 256, 100_000, dtype=np.uint8).tobytes()
    p = tmp_path / "data"
    p.write_bytes(data)
    for ahead in (False, True):
        with open(p, "rb") as f:
            chunks = _Chunks(f, 4096, 16, ahead=ahead)
            seen, tail = [], np.zeros(0, np.uint8)
            for _ in range(5):
                buf, got = chunks.next(tail)
                assert got == 4096 and buf[: tail.shape[0]].tobytes() == tail.tobytes()
                seen.append(buf[tail.shape[0] :].tobytes())
                tail = buf[-7:].copy()
                chunks.done(buf)
            rest = chunks.rest(tail, 1)
            chunks.close()
        assert rest[:7] == tail.tobytes() and len(rest) > 7
        assert b"".join(seen) + rest[7:] == data[: 5 * 4096 + len(rest) - 7]


def test_populated_memory_is_zeroed_and_writable():
    from tokenvec._native import memory as _memory

    a = _memory.empty((_memory.POPULATE_MIN_BYTES // 4 + 3,), np.float32)
    assert a.flags.writeable and not a.any()
    a[-1] = 5
    assert a[-1] == 5


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_native_folders_record_that_every_value_is_finite(tmp_path, monkeypatch, dtype):
    # The writer checks; an open of such a folder does not read the matrix again, and a
    # folder saved with NaN rows (allow_nan) is still refused without allow_nan.
    from tokenvec.vectors import base as vectors_module

    m = np.arange(12, dtype=dtype).reshape(4, 3)
    p = tv.Vectors(list("abcd"), m).save(tmp_path / "ok.tvec")
    assert json.loads((p / "meta.json").read_text())["finite"] is True

    def no_scan(_m):
        raise AssertionError("the matrix was scanned again")

    with monkeypatch.context() as mp:
        mp.setattr(vectors_module, "_nonfinite_rows", no_scan)
        v = tv.load_vectors(p)
    np.testing.assert_array_equal(v.vectors, m)
    m[2, 1] = np.nan
    q = tv.Vectors(list("abcd"), m, allow_nan=True).save(tmp_path / "nan.tvec")
    assert json.loads((q / "meta.json").read_text())["finite"] is False
    with pytest.raises(VectorFormatError, match=r"vector of 'c' \(row 2\) has NaN"):
        tv.load_vectors(q)
    assert np.isnan(tv.load_vectors(q, allow_nan=True)["c"][1])


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from([b"a", b"new york", b"b2"]),
            st.lists(st.sampled_from([b"1", b"-0.5", b"2e3", b"x"]), min_size=0, max_size=4),
            st.lists(st.sampled_from([b" ", b"  ", b"\t", b" \t"]), min_size=5, max_size=5),
        ),
        min_size=1,
        max_size=6,
    ),
    dim=st.sampled_from([None, 1, 2, 3]),
)
@example(  # a double space after a word with a space: the fast count saw one field too many
    rows=[(b"new york", [b"1"], [b" "] * 5), (b"a", [b"1"], [b"  ", b" ", b" ", b" ", b" "])],
    dim=None,
)
def test_single_space_fast_path_parses_as_the_general_path(rows, dim):
    # The count of fields by single spaces must give what the count over every byte gives:
    # the same rows, words and errors, whatever whitespace a chunk holds.
    from tokenvec.io import formats

    lines = []
    for word, nums, seps in rows:
        line = word
        for x, sep in zip(nums, seps, strict=False):
            line += sep + x
        lines.append(line)

    def parse(fast: bool):
        saved = formats._single_space_counts
        if not fast:
            formats._single_space_counts = lambda _lines, _dim: None
        try:
            w, m, d, nos = formats._parse_text_chunk(lines, dim, 1, "f")
            return w, m.tolist(), d, nos.tolist()
        except VectorFormatError as exc:
            return str(exc)
        finally:
            formats._single_space_counts = saved

    assert parse(True) == parse(False)


@pytest.mark.parametrize(
    "text,line",
    [
        ("a 1 2\nb 3\nc 4 5 6\n", 2),  # short row then long row: the total count is right
        ("a 1 2\nb 3 4\nc 1 .5 6\n", 3),  # a stray space inside a number
        ("a 1 2\nb3 4\nc 5 6\n", 2),  # a missing key separator
        ("a 1 2\nb 3\r4\nc 5 6\n", 2),  # \r inside a row: a broken line break, not a space
        ("\n\na 1 2\n\nb 3\n", 5),  # blank lines still count in line numbers
    ],
)
def test_rows_of_the_wrong_length_name_the_line(tmp_path, text, line):
    p = tmp_path / "v.txt"
    p.write_bytes(text.encode())
    with pytest.raises(VectorFormatError, match=f"v.txt: line {line}"):
        tv.load_vectors(p)
    p.write_bytes(f"3 2\n{text}".encode())
    with pytest.raises(VectorFormatError, match=f"v.txt: line {line + 1}"):
        tv.load_vectors(p)


def test_typo_in_first_row_stays_text(tmp_path):
    rng = np.random.default_rng(0)
    rows = [f"w{i} " + " ".join(f"{x:.6f}" for x in rng.standard_normal(300)) for i in range(200)]
    rows[0] = rows[0].replace(rows[0].split()[5], "0.1234O5", 1)
    p = tmp_path / "v.vec"
    p.write_text("200 300\n" + "\n".join(rows) + "\n")
    assert detect_format(p) == "word2vec-text"
    for limit in (None, 100):
        with pytest.raises(VectorFormatError, match=r"line 2: b'0.1234O5' is not a number"):
            tv.load_vectors(p, limit=limit)


def test_truncated_utf8_keys_load_as_text():
    gensim_data = pytest.importorskip("gensim").__path__[0] + "/test/test_data"
    p = Path(gensim_data) / "w2v_keyedvectors_load_test.modeldata"
    assert detect_format(p) == "word2vec-text"
    with pytest.raises(VectorFormatError, match="line 2: the word .* is not valid UTF-8"):
        tv.load_vectors(p)
    v = tv.load_vectors(p, encoding_errors="replace")
    np.testing.assert_array_equal(v.vectors, np.float32([[0.6, 0.6, 0.6], [0.1, 0.2, 0.3]]))
    assert v.index_to_key == ["ありがとう\ufffd", "どういたしまして\ufffd"]


def test_binary_reads_verify_values_and_words(tmp_path):
    p = tmp_path / "g.bin"
    p.write_bytes(w2v_bin([(b"a", [1.0, 2.0]), (b"b", [1e33, 0.0])], 2))
    with pytest.raises(VectorFormatError, match="row 2, value 1 is 1e[+]33"):
        tv.load_vectors(p)
    p.write_bytes(b"2 2\na " + struct.pack("<2f", 1, 2) + b"\n " + struct.pack("<2f", 3, 4))
    with pytest.raises(VectorFormatError, match="row 2: the word b'' is empty"):
        tv.load_vectors(p, format="word2vec")
    # A word that holds 0xFF (not UTF-8) is one key, not two.
    p.write_bytes(w2v_bin([(b"caf\xff", [1, 2]), (b"b", [3, 4])], 2))
    v = tv.load_vectors(p, encoding_errors="replace")
    assert v.index_to_key == ["caf\ufffd", "b"]


def test_native_loader_checks_nan_and_duplicates(tmp_path):
    nan = tv.Vectors(["a", "b"], np.array([[1, 2], [np.nan, 0]], np.float32), allow_nan=True)
    out = nan.save(tmp_path / "n")
    with pytest.raises(VectorFormatError, match=r"vector of 'b' \(row 1\) has NaN"):
        tv.load_vectors(out)
    assert np.isnan(tv.load_vectors(out, allow_nan=True)["b"][0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dup = tv.Vectors(["a", "a"], np.ones((2, 2), np.float32), on_duplicate="ignore")
    out = dup.save(tmp_path / "d")
    with pytest.warns(UserWarning, match="1 duplicate keys"):
        tv.load_vectors(out)


def test_any_key_round_trips(tmp_path):
    keys = ["caf\xff", "caf\ufffd", "a\nb", "\udcff", "", " ", "\x00", "é" * 1000]
    v = tv.Vectors(keys, np.ones((len(keys), 2), np.float32))
    assert tv.load_vectors(v.save(tmp_path / "k")).index_to_key == keys


def test_a_header_claiming_3m_rows_fails_fast(tmp_path):
    p = tmp_path / "liar.bin"
    p.write_bytes(b"3000000 100\n" + b"a " + b"\x00" * 36)
    t0 = time.perf_counter()
    with pytest.raises(VectorFormatError, match="header says 3000000 rows .* only 38 bytes"):
        tv.load_vectors(p)
    gz = tmp_path / "liar.bin.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    with pytest.raises(VectorFormatError, match="truncated"):
        tv.load_vectors(gz, format="word2vec")
    assert time.perf_counter() - t0 < 1.0
    p.write_bytes(b"1" * 25 + b" 100\n")
    with pytest.raises(VectorFormatError, match="impossible size"):
        tv.load_vectors(p, format="word2vec")


def test_reading_errors_name_the_file(tmp_path):
    good = small().save(tmp_path / "v")
    cases = []
    gz = tmp_path / "c.txt.gz"
    gz.write_bytes(gzip.compress(b"a 1 2\nb 3 4\n" * 1000)[:-40] + b"\x00" * 40)
    cases.append((gz, None, "c.txt.gz"))
    for text in ('{"format": "tokenvec-vectors", "version": 2, "count": 1e999, "dim": 2}',
                 '{"format": "tokenvec-vectors", "version": 2, "count": null, "dim": 2}',
                 "[" * 100_000):  # fmt: skip
        folder = tmp_path / f"m{len(cases)}"
        folder.mkdir()
        for f in good.iterdir():
            (folder / f.name).write_bytes(f.read_bytes())
        (folder / "meta.json").write_text(text)
        cases.append((folder, None, "meta.json"))
    empty_npy = tmp_path / "e"
    empty_npy.mkdir()
    for f in good.iterdir():
        (empty_npy / f.name).write_bytes(f.read_bytes())
    (empty_npy / "vectors.npy").write_bytes(b"")
    cases.append((empty_npy, None, "vectors.npy"))
    for path, fmt, name in cases:
        with pytest.raises(VectorFormatError, match=name):
            tv.load_vectors(path, format=fmt)


def test_dev_zero_as_glove_stops(tmp_path):
    t0 = time.perf_counter()
    with pytest.raises(VectorFormatError, match="a line longer than"):
        tv.load_vectors("/dev/zero", "glove")
    assert time.perf_counter() - t0 < 10


@pytest.mark.parametrize("fmt", ["glove", "word2vec-text", "word2vec"])
def test_a_fifo_loads_every_row(tmp_path, fmt):
    src = tmp_path / f"v.{fmt}"
    vectors(1000, 30).save(src, format=fmt)
    assert src.stat().st_size > 64 * 1024  # more than format detection reads
    want = tv.load_vectors(src)
    got = through_fifo(tmp_path, src.read_bytes(), tv.load_vectors)
    assert got.index_to_key == want.index_to_key
    np.testing.assert_array_equal(np.asarray(got.vectors), np.asarray(want.vectors))


def test_a_fifo_without_writer_is_an_error_not_a_hang(tmp_path):
    fifo = tmp_path / "nobody.fifo"
    os.mkfifo(fifo)
    r = cli("convert", str(fifo), str(tmp_path / "o.txt"), env={"TOKENVEC_PIPE_WAIT": "0.5"},
            timeout=60)  # fmt: skip
    assert r.returncode == 1
    assert "no writer" in r.stderr and str(fifo) in r.stderr and "Traceback" not in r.stderr


def test_a_header_claiming_terabytes_is_refused_before_any_allocation(tmp_path):
    import tracemalloc
    import zipfile

    ckpt = checkpoint(tmp_path)
    huge = {"descr": "<f4", "fortran_order": False, "shape": (10**7, 2 * 10**6)}  # 72.8 TiB
    rewrite_member(ckpt / "weights.npz", "syn0", huge, b"\0" * 64, zipfile.ZIP_STORED)
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError) as err:
            Word2Vec.load_checkpoint(ckpt)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "weights.npz" in str(err.value) and "'syn0'" in str(err.value)
    assert peak < 16 * 2**20


def test_a_compressed_bomb_is_refused_before_it_is_inflated(tmp_path):
    import zipfile

    ckpt = checkpoint(tmp_path)
    # 256 MiB of zeros deflate to a quarter of a MiB: stored arrays only.
    big = {"descr": "<f4", "fortran_order": False, "shape": (2**23, 8)}
    rewrite_member(ckpt / "weights.npz", "syn0", big, bytes(2**28), zipfile.ZIP_DEFLATED)
    assert (ckpt / "weights.npz").stat().st_size < 2**21
    with pytest.raises(CheckpointError, match="compressed"):
        Word2Vec.load_checkpoint(ckpt)


def test_a_fifo_longer_than_the_spool_streams_every_row(tmp_path):
    from tokenvec.io import formats

    src = tmp_path / "big.txt"
    vectors(40_000, 50).save(src, format="glove")
    assert src.stat().st_size > formats.SPOOL_BYTES  # read as a stream, not spooled whole
    want = tv.load_vectors(src)
    got = through_fifo(tmp_path, src.read_bytes(), tv.load_vectors)
    assert got.index_to_key == want.index_to_key
    np.testing.assert_array_equal(np.asarray(got.vectors), np.asarray(want.vectors))
