"""fastText .bin models: read (all of gensim's real test models), vectors for any string equal
to fastText's own (the ``fasttext`` package where installed, gensim otherwise), writing, and
clear errors for broken files."""

from __future__ import annotations

import importlib.util
import json
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import tokenvec as tv
from support import REWRITE, through_fifo, vectors
from tokenvec import VectorFormatError
from tokenvec._native.fnv import fnv1a
from tokenvec.io.fasttext_bin import ngram_buckets, read_fasttext
from tokenvec.io.formats import detect_format
from tokenvec.io.scan import (
    gather_words_reference,
    scan_fasttext_dictionary,
    scan_fasttext_dictionary_numpy,
    scan_fasttext_dictionary_reference,
    words_blob_numpy,
)
from tokenvec.vectors.subwords import word_matrix_reference


def _gensim_data() -> Path | None:
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(spec.submodule_search_locations[0]) / "test" / "test_data"


DATA = _gensim_data()
needs_data = pytest.mark.skipif(DATA is None, reason="gensim (extra dev) ships the test models")
# Real models: new format (magic + version 12) and the oldest (no magic), an empty word, a
# supervised model whose words are not all UTF-8, and one whose words are cp852.
MODELS = {
    "lee_fasttext.bin": {},
    "lee_fasttext_new.bin": {},
    "non_ascii_fasttext.bin": {},
    "toy-model.bin": {},
    "toy-model-pretrained.bin": {},
    "crime-and-punishment.bin": {},
    "pang_lee_polarity_fasttext.bin": {"encoding_errors": "replace"},
    "cp852_fasttext.bin": {"encoding": "cp852"},
}
OOV = ["kingz", "helo", "xyzzyq", "дом", "日本語テキスト", "a", "", "é", "🙂x", "\x00\x7f", "<s>"]


def test_fnv1a_hashes_signed_bytes():
    # fastText xors each byte as a signed char: 0xE9 enters as 0xFFFFFFE9.
    assert fnv1a(b"") == 2166136261
    assert fnv1a(b"a") == 0xE40C292C  # the FNV-1a test vector for "a"
    assert fnv1a(b"\xe9") == ((2166136261 ^ 0xFFFFFFE9) * 16777619) & 0xFFFFFFFF


def test_ngrams_count_characters_not_bytes():
    # "<é>" is 3 characters in 4 bytes: with minn = maxn = 2 its n-grams are "<é" and "é>".
    word = "<é>".encode()
    assert ngram_buckets(word, 2, 2, 10**9) == [
        fnv1a("<é".encode()) % 10**9,
        fnv1a("é>".encode()) % 10**9,
    ]
    assert ngram_buckets(b"<a>", 1, 1, 100) == [fnv1a(b"a") % 100]  # lone < and > are not
    assert ngram_buckets(b"<a>", 3, 6, 0) == []


@needs_data
@pytest.mark.parametrize("name", sorted(MODELS))
def test_real_models_open_and_the_kernel_equals_the_reference(name):
    v = tv.load_fasttext(DATA / name, **MODELS[name])
    assert isinstance(v, tv.SubwordVectors) and len(v) == len(v.index_to_key) > 0
    assert not isinstance(v.model.input, np.memmap)  # read into memory: safe if rewritten
    assert np.array_equal(v.vectors, word_matrix_reference(v.model))
    assert detect_format(DATA / name) == "fasttext-bin" or name in (
        "lee_fasttext.bin",
        "non_ascii_fasttext.bin",
        "cp852_fasttext.bin",
    )  # the oldest files carry no magic number: name the format to read them


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return float(np.abs(a - b).max()) <= 1e-6 * max(float(np.linalg.norm(b)), 1e-30)


@needs_data
@pytest.mark.parametrize(
    "name",
    [
        "lee_fasttext.bin",
        "lee_fasttext_new.bin",
        "non_ascii_fasttext.bin",
        "toy-model.bin",
        "crime-and-punishment.bin",
    ],
)
def test_vectors_equal_gensims(name):
    from gensim.models.fasttext import load_facebook_vectors

    ours = tv.load_fasttext(DATA / name)
    theirs = load_facebook_vectors(str(DATA / name))
    for i, w in enumerate(ours.index_to_key):
        if w != "</s>":  # fastText gives the end-of-sentence token no n-grams; gensim does
            assert _close(ours.vectors[i], theirs[w]), w
    for w in OOV + ["".join(reversed(k)) for k in ours.index_to_key[:50]]:
        if theirs.has_index_for(w) or any(theirs.get_vector(w)):
            assert _close(ours[w], theirs[w]), w


@pytest.mark.skipif(importlib.util.find_spec("fasttext") is None, reason="fasttext not installed")
@needs_data
@pytest.mark.parametrize(
    "name",
    [
        "lee_fasttext_new.bin",
        "toy-model.bin",
        "toy-model-pretrained.bin",
        "crime-and-punishment.bin",
        "pang_lee_polarity_fasttext.bin",
    ],
)
def test_vectors_equal_fasttexts(name):
    import fasttext

    ft = fasttext.load_model(str(DATA / name))
    ours = tv.load_fasttext(DATA / name, encoding_errors="replace")
    raw = ours.model.word_bytes
    for i, w in enumerate(ours.index_to_key):
        if raw[i].decode("utf-8", "replace") == w and "\ufffd" not in w:
            assert _close(ours.vectors[i], ft.get_word_vector(w)), w
    for w in OOV:
        if "\x00" not in w:
            assert _close(ours[w], ft.get_word_vector(w)), w


@needs_data
def test_queries_accept_words_outside_the_vocabulary():
    v = tv.load_fasttext(DATA / "lee_fasttext_new.bin")
    assert "governmentz" not in v  # `in` is the vocabulary
    assert v.has_vector("governmentz")
    near = [k for k, _ in v.most_similar("governmentz", topn=10)]
    assert "government" in near
    assert v.similarity("governmentz", "government") > 0.9
    assert v.get_vector("governmentz", norm=True) @ v.get_vector("government", norm=True) > 0.9
    assert v["governmentz"].shape == (v.vector_size,)
    with pytest.raises(KeyError, match="no character n-gram"):
        v.most_similar("")  # "<>" has no n-gram of 3-6 characters


@needs_data
def test_write_round_trip_and_conversion(tmp_path):
    v = tv.load_fasttext(DATA / "lee_fasttext_new.bin")
    out = v.save(tmp_path / "copy.bin", format="fasttext-bin")
    # Byte for byte the same model, written as version 12 (this one is version 11).
    original = (DATA / "lee_fasttext_new.bin").read_bytes()
    assert out.read_bytes()[8:] == original[8:] and struct.unpack("<2i", original[:8])[1] == 11
    back = tv.load_vectors(out)
    assert back.index_to_key == v.index_to_key and np.array_equal(back["zzq"], v["zzq"])
    v.save(tmp_path / "w.vec", format="fasttext")
    plain = tv.load_vectors(tmp_path / "w.vec")
    np.testing.assert_allclose(plain.vectors, v.vectors, rtol=1e-6)
    with pytest.raises(FileExistsError):
        v.save(tmp_path / "copy.bin", format="fasttext-bin")


def test_plain_vectors_write_a_bin_without_ngrams(tmp_path, sample=None):
    v = tv.Vectors(["king", "queen", "man"], np.eye(3, dtype=np.float32))
    p = v.save(tmp_path / "plain.bin", format="fasttext-bin")
    back = tv.load_vectors(p)
    assert isinstance(back, tv.SubwordVectors)
    assert back.index_to_key == v.index_to_key and np.array_equal(back.vectors, v.vectors)
    assert not back.has_vector("kingz") and not back["kingz"].any()
    if importlib.util.find_spec("fasttext") is not None:
        import fasttext

        ft = fasttext.load_model(str(p))
        assert np.array_equal(ft.get_word_vector("queen"), v["queen"])


@needs_data
@pytest.mark.skipif(importlib.util.find_spec("fasttext") is None, reason="fasttext not installed")
def test_fasttext_opens_what_we_write(tmp_path):
    import fasttext

    v = tv.load_fasttext(DATA / "crime-and-punishment.bin")
    p = v.save(tmp_path / "c.bin", format="fasttext-bin")
    ft = fasttext.load_model(str(p))
    for w in ["и", "в", "kingz", "преступление"]:
        assert _close(v[w], ft.get_word_vector(w))


def _minimal(dim: int = 2, words: tuple[bytes, ...] = (b"a", b"b"), bucket: int = 3) -> bytes:
    out = struct.pack("<2i", 793712314, 12)
    out += struct.pack("<12id", dim, 5, 5, 1, 5, 1, 2, 2, bucket, 1, 2, 100, 1e-4)
    out += struct.pack("<3iqq", len(words), len(words), 0, 10, -1)
    for w in words:
        out += w + b"\0" + struct.pack("<qb", 1, 0)
    n = len(words) + bucket
    out += struct.pack("<?2q", False, n, dim) + np.arange(n * dim, dtype="<f4").tobytes()
    out += struct.pack("<?2q", False, len(words), dim) + np.zeros(len(words) * dim, "<f4").tobytes()
    return out


def test_minimal_model_by_hand(tmp_path):
    p = tmp_path / "m.bin"
    p.write_bytes(_minimal())
    v = tv.load_vectors(p)
    # "a": its row (0, 1) and the n-grams "a" (1 char) and "<a", "a>" (2 chars), by hand.
    rows = [0] + [2 + fnv1a(g) % 3 for g in (b"<a", b"a", b"a>")]
    np.testing.assert_array_equal(
        v["a"], np.arange(10, dtype=np.float32).reshape(5, 2)[rows].mean(0)
    )


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda b: b[:6], "truncated"),
        (lambda b: b[:-1], "truncated"),
        (lambda b: b + b"\0", "bytes follow the output matrix"),
        (lambda b: struct.pack("<2i", 793712314, 13) + b[8:], "version 13"),
        (lambda b: b"\x00\x00\x00\x00" + b[4:], "wrong magic"),
        (lambda b: b[:8] + struct.pack("<i", -3) + b[12:], "dim is -3"),
        (lambda b: b[:64] + struct.pack("<3i", 2**30, 2**30, 0) + b[76:], "dictionary says"),
        (lambda b: b[:64] + struct.pack("<3i", 2, 3, 0) + b[76:], "2 entries = 3 words"),
        (
            lambda b: b.replace(b"b\0" + struct.pack("<q", 1), b"b\0" + struct.pack("<q", -1)),
            "entry 2",
        ),
        (lambda b: b.replace(b"a\0", b"\xff\0"), "not valid utf-8"),
        (
            lambda b: b.replace(struct.pack("<?2q", False, 5, 2), struct.pack("<?2q", True, 5, 2)),
            "quantized",
        ),
        (
            lambda b: b.replace(
                struct.pack("<?2q", False, 5, 2), struct.pack("<?2q", False, 2**40, 2)
            ),
            "truncated",
        ),
        (
            lambda b: b.replace(struct.pack("<?2q", False, 5, 2), struct.pack("<?2q", False, 4, 2)),
            "input matrix",
        ),
    ],
)
def test_broken_models_raise_format_errors_naming_the_file(tmp_path, mutate, match):
    p = tmp_path / "broken.bin"
    p.write_bytes(mutate(_minimal()))
    with pytest.raises(VectorFormatError, match=match) as info:
        read_fasttext(p)
    assert str(p) in str(info.value)


@settings(max_examples=80, deadline=None)
@given(
    words=st.lists(st.binary(max_size=8).filter(lambda w: b"\0" not in w), min_size=0, max_size=6),
    cut=st.integers(0, 200),
    junk=st.binary(max_size=12),
)
def test_dictionary_scanner_matches_reference(words, cut, junk):
    body = b"".join(w + b"\0" + struct.pack("<qb", i, i % 2) for i, w in enumerate(words)) + junk
    buf = np.frombuffer(body[: cut or None], dtype=np.uint8)
    results = []
    size = len(words) + 1
    for fn in (scan_fasttext_dictionary, scan_fasttext_dictionary_reference):
        arrays = [np.zeros(size, np.int64) for _ in range(3)] + [np.zeros(size, np.int8)]
        end, bad = fn(buf, 0, size, *arrays, 64)
        n = size if bad < 0 else bad
        results.append((end, bad, [a[:n].tolist() for a in arrays]))
    assert results[0] == results[1]


COUNTS = st.one_of(
    st.integers(0, 300),  # one byte, then zeros
    st.integers(0, 2**40),
    st.integers(2**56, 2**63 - 1),  # a non-zero top byte: a zero only in the type
    st.sampled_from([0, 256, 65536, 2**63 - 1, -1, -(2**40)]),
)


@settings(max_examples=400, deadline=None)
@given(
    entries=st.lists(
        st.tuples(
            st.binary(max_size=6).filter(lambda w: b"\0" not in w) | st.just(b"x"),
            COUNTS,
            st.sampled_from([0, 0, 0, 1, 2, 255]),
        ),
        max_size=30,
    ),
    extra=st.integers(-2, 2),
    junk=st.binary(max_size=24),
    cut=st.integers(0, 400),
    at=st.integers(0, 3),
)
@example(entries=[(b"ab", 57, 0), (b"", 57, 0)], extra=0, junk=bytes(20), cut=0, at=0)
@example(entries=[(b"x", 2**32 + 1, 0)] * 30, extra=0, junk=b"", cut=0, at=0)  # 3 zeros / 11 B
@example(entries=[(b"x", 0x0001000100010001, 0)] * 30, extra=0, junk=b"", cut=0, at=0)  # 5
def test_whole_array_dictionary_scan_matches_the_walk(entries, extra, junk, cut, at):
    """The numpy scan (candidate zeros, segments, chains) finds exactly the entries the
    byte-by-byte walk finds whenever that walk succeeds on non-empty words, and declines
    (so the walk runs) otherwise: short words after counts full of zeros, counts with a
    non-zero top byte, negative counts, bad types, empty words, truncation, junk after."""
    body = b"\xaa" * at + b"".join(
        w + b"\0" + struct.pack("<QB", c % 2**64, t) for w, c, t in entries
    )
    body = (body + junk)[: cut or None]
    buf = np.frombuffer(body, dtype=np.uint8)
    size = max(len(entries) + extra, 1)
    arrays = [np.zeros(size, np.int64) for _ in range(3)] + [np.zeros(size, np.int8)]
    end, bad = scan_fasttext_dictionary_reference(buf, at, size, *arrays, 5)
    fast = scan_fasttext_dictionary_numpy(buf, at, size, 5)
    walk_ok = bad < 0 and (arrays[1] > 0).all()
    rest = buf[at:] == 0
    dense = np.count_nonzero(rest[1:] > rest[:-1]) > (len(buf) - at) // 4 + 16  # declined
    assert (fast is not None) == (walk_ok and not dense)
    if fast is not None:
        assert fast[0] == end
        for got, want in zip(fast[1:], arrays, strict=True):
            np.testing.assert_array_equal(got, want)
            assert got.dtype == want.dtype
        blob, starts = words_blob_numpy(buf, fast[1], fast[2])
        ref_blob = np.zeros(int(fast[2].sum()) + size, np.uint8)
        ref_starts = gather_words_reference(buf, fast[1], fast[2], ref_blob)
        np.testing.assert_array_equal(blob, ref_blob)
        np.testing.assert_array_equal(starts, ref_starts)


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(st.text(max_size=7), min_size=1, max_size=8, unique=True),
    minn=st.integers(0, 4),
    span=st.integers(0, 3),
    bucket=st.integers(0, 50),
    pruned=st.booleans(),
)
def test_compiled_subword_table_equals_the_reference(words, minn, span, bucket, pruned):
    from tokenvec.io.fasttext_bin import FastTextArgs, FastTextModel, subword_rows
    from tokenvec.io.fasttext_rows import subword_table

    raw = [w.encode("utf-8", "surrogatepass") for w in words]
    args = FastTextArgs(dim=2, bucket=bucket, minn=minn, maxn=minn + span)
    prune = {h: i for i, h in enumerate(range(0, bucket, 2))} if pruned else None
    n_rows = len(raw) + (bucket if prune is None else len(prune))
    model = FastTextModel.from_words(
        args, words, raw, counts=np.ones(len(raw), np.int64),
        input=np.zeros((n_rows, 2), np.float32), output=None, ntokens=1, prune=prune,
    )  # fmt: skip
    offsets, rows = subword_table(model)
    for i, w in enumerate(raw):
        assert rows[offsets[i] : offsets[i + 1]].tolist() == subword_rows(model, w, i)


@needs_data
def test_playground_answers_words_outside_the_vocabulary():
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from tokenvec.app.web import create_app

    v = tv.load_fasttext(DATA / "lee_fasttext_new.bin")
    client = TestClient(create_app(v, name="lee"), base_url="http://127.0.0.1")
    r = client.get("/api/similar", params={"word": "governmentz", "topn": 5})
    assert r.status_code == 200 and "government" in [n["word"] for n in r.json()["neighbours"]]
    r = client.get("/api/map", params={"word": "governmentz", "topn": 5})
    assert r.status_code == 200 and r.json()["points"][0]["word"] == "governmentz"
    r = client.get("/api/similarity", params={"a": "governmentz", "b": "government"})
    assert r.json()["cosine_similarity"] > 0.9
    assert client.get("/api/similar", params={"word": "ab"}).status_code == 200
    # Plain vectors still refuse unknown words.
    plain = tv.Vectors(v.index_to_key, v.vectors, on_duplicate="ignore")
    r = TestClient(create_app(plain), base_url="http://127.0.0.1").get(
        "/api/similar", params={"word": "governmentz"}
    )
    assert r.status_code == 404


@needs_data
def test_cli_similar_and_convert_take_bin_models(tmp_path):
    from typer.testing import CliRunner

    from tokenvec.app.cli import app

    runner = CliRunner()
    res = runner.invoke(
        app, ["similar", "governmentz", "-v", str(DATA / "lee_fasttext_new.bin"), "--topn", "5"]
    )
    assert res.exit_code == 0, res.output
    assert "government" in res.output
    out = tmp_path / "lee.vec"
    res = runner.invoke(
        app, ["convert", str(DATA / "lee_fasttext_new.bin"), str(out), "--to", "fasttext"]
    )
    assert res.exit_code == 0, res.output
    assert (
        tv.load_vectors(out).index_to_key
        == tv.load_fasttext(DATA / "lee_fasttext_new.bin").index_to_key
    )


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(
        st.text(st.characters(codec="utf-8"), max_size=9) | st.sampled_from(["é", "the", ""]),
        max_size=40,
    ),
    probes=st.lists(st.text(max_size=5), max_size=10),
)
def test_word_index_answers_as_a_dict_does(words, probes):
    """The hash-sorted word index: fastText's FNV-1a of every word in numpy equals the
    per-word hash, and lookups, membership, length and iteration equal those of a dict
    built in order (the first row of a repeated word wins), for any UTF-8 words."""
    from tokenvec._native.fnv import fnv1a_words, fnv1a_words_reference
    from tokenvec.vectors.wordindex import WordIndex

    raw = [w.encode("utf-8") for w in words]
    lens = np.array([len(b) for b in raw], dtype=np.int64)
    starts = np.zeros(len(raw), dtype=np.int64)
    if raw:
        np.cumsum(lens[:-1] + 1, out=starts[1:])
    blob = np.frombuffer(b"".join(b + b"\0" for b in raw), dtype=np.uint8)
    np.testing.assert_array_equal(
        fnv1a_words(blob, starts, lens), fnv1a_words_reference(blob, starts, lens)
    )
    index = WordIndex(words, blob, starts, lens)
    plain: dict[str, int] = {}
    for i, w in enumerate(words):
        plain.setdefault(w, i)
    assert len(index) == len(plain) and list(index) == list(plain)
    for w in [*words, *probes, "\ud800", "the "]:
        assert index.get(w) == plain.get(w) and (w in index) == (w in plain)
        if w not in plain:
            with pytest.raises(KeyError):
                index[w]


@settings(max_examples=150, deadline=None)
@given(
    keys=st.lists(
        st.text(max_size=6) | st.sampled_from(["a\nb", "\ud800x", "x\udfff", "a"]),
        max_size=30,
    ),
    promote=st.integers(0, 40),
)
def test_word_index_over_tokenvec_key_files(keys, promote):
    """The index over a key blob (keys with newlines and lone surrogates, as native folders
    store them) answers as a dict, before and after it promotes itself to one."""
    from tokenvec.io.files import encode_keys
    from tokenvec.vectors.wordindex import WordIndex

    blob, offsets = encode_keys(keys)
    index = WordIndex.from_key_blob(keys, blob, np.asarray(offsets))
    index._left = promote
    plain: dict[str, int] = {}
    for i, k in enumerate(keys):
        plain.setdefault(k, i)
    for k in [*keys, "zz", "\ud800", "a\n"] * 2:
        assert index.get(k) == plain.get(k)
    assert len(index) == len(plain) and set(index) == set(plain)


@needs_data
def test_models_read_from_files_look_words_up_without_a_dict():
    from tokenvec.vectors.wordindex import WordIndex

    v = tv.load_fasttext(DATA / "lee_fasttext.bin")
    assert isinstance(v.key_to_index, WordIndex)
    for i in (0, 1, 500, len(v) - 1):
        assert v.key_to_index[v.index_to_key[i]] == i
    assert "kingz" not in v and v.most_similar("night", topn=3)


# --- any storage under the subword vocabulary ----------------------------------------------


def _small_model(fasttext_bin: Any) -> tv.SubwordVectors:
    """A fastText model written as a .bin and read back: 40 words, 300 buckets, 8 dims."""
    words = [f"w{i}ord{'s' * (i % 3)}" for i in range(40)]
    return fasttext_bin(words, dim=8, bucket=300, minn=2, maxn=4)  # type: ignore[no-any-return]


UNKNOWN = ["wordz", "xyzzyq", "w3or", "дом", "a" * 5000]
QUANTIZED = [("float16", {}), ("int8", {}), ("pq", {"sample": 256, "iterations": 3}),
             ("rq", {"sample": 256, "iterations": 3, "subspaces": 2})]  # fmt: skip


@pytest.mark.parametrize(("form", "kw"), QUANTIZED, ids=[f for f, _ in QUANTIZED])
def test_a_quantized_fasttext_model_answers_unknown_words(fasttext_bin, tmp_path, form, kw):
    v = _small_model(fasttext_bin)
    q = v.quantize(form, **kw)
    assert isinstance(q, tv.SubwordVectors) and q.storage.kind == q.ngrams.kind
    table = np.asarray(q.ngrams.matrix, dtype=np.float64)  # every decoded n-gram row
    for word in UNKNOWN:
        rows = q.rules.ngram_rows(word.encode())
        want = table[rows].mean(axis=0)  # the mean of the decoded n-gram rows
        np.testing.assert_allclose(q[word], want, rtol=1e-4, atol=1e-5)
        cos = q[word] @ v[word] / np.linalg.norm(q[word]) / np.linalg.norm(v[word])
        assert cos > (0.99 if form in ("float16", "int8") else 0.6), (word, cos)
    np.testing.assert_allclose(q["w3ord"], q.vectors[3], rtol=1e-6)  # a word: its own row
    assert q.has_vector("wordz") and "wordz" not in q
    assert q.most_similar("wordz", topn=3)
    back = tv.load_vectors(q.save(tmp_path / form))
    assert isinstance(back, tv.SubwordVectors) and type(back.ngrams) is type(q.ngrams)
    for word in UNKNOWN[:3]:
        np.testing.assert_array_equal(back[word], q[word])
    assert back.most_similar("wordz", topn=3) == q.most_similar("wordz", topn=3)
    with pytest.raises(ValueError, match="native format"):
        q.save(tmp_path / "q.bin", format="fasttext-bin")


def test_a_float_fasttext_model_keeps_its_subwords_in_a_native_folder(fasttext_bin, tmp_path):
    v = _small_model(fasttext_bin)
    back = tv.load_vectors(v.save(tmp_path / "native"))
    assert isinstance(back, tv.SubwordVectors) and back.model is None
    np.testing.assert_allclose(back.vectors, v.vectors, rtol=1e-6)
    for word in UNKNOWN:
        np.testing.assert_allclose(back[word], v[word], rtol=1e-5, atol=1e-6)


def test_long_words_take_the_compiled_n_gram_rows(fasttext_bin, tmp_path):
    rules = _small_model(fasttext_bin).rules
    word = "".join(np.random.default_rng(2).choice(list("abcdéf🙂"), 3000)).encode()
    np.testing.assert_array_equal(rules.ngram_rows_compiled(word), rules.ngram_rows(word))
    assert rules.ngram_rows_compiled(b"</s>").size == 0


def test_reduce_projects_the_n_gram_rows_as_the_word_rows(fasttext_bin, tmp_path):
    from tokenvec.vectors.compress import PCA

    v = _small_model(fasttext_bin)
    r = v.reduce(3)
    assert isinstance(r, tv.SubwordVectors) and r.vector_size == 3
    projection = PCA.fit(v.vectors, 3)
    np.testing.assert_allclose(r.vectors, projection(v.vectors), rtol=1e-5, atol=1e-5)
    for word in UNKNOWN[:3]:  # the mean of projected rows is the projected mean
        np.testing.assert_allclose(r[word], projection(v[word][None])[0], rtol=1e-4, atol=1e-4)


def test_an_aligned_fasttext_model_keeps_answering_unknown_words(fasttext_bin, tmp_path):
    v = _small_model(fasttext_bin)
    q, _ = np.linalg.qr(np.random.default_rng(5).standard_normal((8, 8)))
    target = tv.Vectors(v.index_to_key, v.vectors @ q.astype(np.float32))
    fit = tv.align(v, target, normalize=False, center=False)
    moved = fit.apply()
    assert isinstance(moved, tv.SubwordVectors)
    np.testing.assert_allclose(moved.vectors, target.vectors, atol=1e-4)
    for word in UNKNOWN[:3]:  # an unknown word's vector, mapped as the words are
        np.testing.assert_allclose(moved[word], fit.transform(v[word]), rtol=1e-4, atol=1e-4)


GENSIM_DATA = None
if importlib.util.find_spec("gensim") is not None:
    GENSIM_DATA = Path(importlib.util.find_spec("gensim").origin).parent / "test" / "test_data"
LEE_BIN = GENSIM_DATA / "lee_fasttext.bin" if GENSIM_DATA else None


needs_lee = pytest.mark.skipif(
    LEE_BIN is None or not LEE_BIN.is_file(), reason="gensim (extra 'dev') is not installed"
)


_ARGS_AT, _PRUNE_AT = 8, 8 + 56 + 20  # the arguments; the dictionary's pruned-table size


def _small_bin(tmp_path: Path) -> bytearray:
    path = tmp_path / "small.bin"
    vectors(3, 4).save(path, format="fasttext-bin")
    return bytearray(path.read_bytes())


needs_fasttext = pytest.mark.skipif(
    importlib.util.find_spec("fasttext") is None, reason="the fastText tool is not installed"
)


def _ft_model(path: Path, words: list[str], *, version: int = 12, model: int = 2,
              loss: int = 2) -> Path:  # fmt: skip
    from tokenvec.io.fasttext_bin import FastTextArgs, FastTextModel, write_fasttext

    args = FastTextArgs(dim=4, bucket=97, minn=2, maxn=3, model=model, loss=loss)
    raw = [w.encode("utf-8", "surrogateescape") for w in words]
    rng = np.random.default_rng(0)
    m = FastTextModel.from_words(
        args, list(words), raw, counts=np.arange(len(raw), 0, -1, dtype=np.int64),
        input=rng.normal(size=(len(raw) + 97, 4)).astype(np.float32),
        output=rng.normal(size=(len(raw), 4)).astype(np.float32), ntokens=100, prune=None,
    )  # fmt: skip
    write_fasttext(m, path)
    if version != 12:
        data = bytearray(path.read_bytes())
        struct.pack_into("<i", data, 4, version)
        path.write_bytes(bytes(data))
    return path


def _fasttext_vectors(path: Path, words: list[str]) -> np.ndarray:
    """What the fastText tool answers, in a child process (a bad file could kill it)."""
    code = (
        "import sys, json, numpy as np, fasttext\n"
        "m = fasttext.load_model(sys.argv[1])\n"
        "print(json.dumps([m.get_word_vector(w).tolist() for w in json.loads(sys.argv[2])]))\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(path), json.dumps(words)],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    return np.array(json.loads(r.stdout.splitlines()[-1]), dtype=np.float32)


def _rule_cases(tmp_path: Path) -> list[tuple[Path, list[str]]]:
    return [
        # an old supervised model: fastText drops character n-grams (maxn = 0)
        (_ft_model(tmp_path / "sup11.bin", ["hello", "world"], version=11, model=3, loss=3),
         ["hello", "world", "xyz", "hellos"]),
        # "</s>" outside the vocabulary: no n-grams, so the zero vector
        (_ft_model(tmp_path / "noeos.bin", ["hello", "world"]), ["</s>", "hello", "</s>x"]),
        # repeated words: the last entry wins; every "</s>" entry has no n-grams
        (_ft_model(tmp_path / "dup.bin", ["hello", "world", "hello", "</s>", "</s>"]),
         ["hello", "world", "</s>", "xyz"]),
    ]  # fmt: skip


@needs_lee
def test_a_fasttext_model_through_a_fifo_keeps_its_subwords(tmp_path):
    want = tv.load_vectors(LEE_BIN)
    got = through_fifo(tmp_path, LEE_BIN.read_bytes(), tv.load_vectors)
    assert type(got) is type(want) and got.index_to_key == want.index_to_key
    np.testing.assert_array_equal(got["nightx"], want["nightx"])


@needs_lee
def test_a_fasttext_model_rewritten_in_place_still_answers(tmp_path):
    r = subprocess.run([sys.executable, "-c", REWRITE, str(tmp_path), "fasttext", str(LEE_BIN)],
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    assert r.stdout.splitlines()[-1] == "SAME", r.stdout


@needs_lee
def test_a_mapped_fasttext_model_rewritten_in_place_is_a_clear_error(tmp_path):
    r = subprocess.run([sys.executable, "-c", REWRITE, str(tmp_path), "fasttext-mmap",
                        str(LEE_BIN)], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])  # -7 (SIGBUS) unguarded
    last = r.stdout.splitlines()[-1]
    assert last.startswith("ERROR") and "rewritten in place" in last, r.stdout


@pytest.mark.parametrize("prune", [0, 1, 5])
def test_a_pruned_full_precision_model_is_refused_without_allocating(tmp_path, prune):
    import tracemalloc

    data = _small_bin(tmp_path)
    struct.pack_into("<i", data, _ARGS_AT + 8 * 4, 2**31 - 1)  # bucket
    struct.pack_into("<q", data, _PRUNE_AT, prune)
    doctored = tmp_path / "doctored.bin"
    doctored.write_bytes(bytes(data))
    tracemalloc.start()
    try:
        with pytest.raises(VectorFormatError, match="pruned bucket table"):
            tv.load_vectors(doctored)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20, peak  # 2.16 GiB before the fix


@needs_lee
def test_gensim_also_refuses_what_tokenvec_refuses(tmp_path):
    from gensim.models.fasttext import load_facebook_vectors

    data = _small_bin(tmp_path)
    struct.pack_into("<q", data, _PRUNE_AT, 1)
    doctored = tmp_path / "doctored.bin"
    doctored.write_bytes(bytes(data))
    with pytest.raises(Exception):  # noqa: B017 (gensim raises NotImplementedError or others)
        load_facebook_vectors(str(doctored))
    with pytest.raises(VectorFormatError):
        tv.load_vectors(doctored)


def test_fasttext_rules_by_their_plain_statement(tmp_path):
    import warnings

    cases = _rule_cases(tmp_path)
    sup = tv.load_vectors(cases[0][0])
    assert sup.model.args.maxn == 0
    np.testing.assert_array_equal(sup["hello"], sup.model.input[0])
    assert not sup["hellos"].any()
    noeos = tv.load_vectors(cases[1][0])
    assert not noeos["</s>"].any() and noeos["</s>x"].any()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dup = tv.load_vectors(cases[2][0])
        assert dup.key_to_index["hello"] == 2 and dup.key_to_index["</s>"] == 4
    assert any("last occurrence" in str(w.message) for w in caught)
    from tokenvec.vectors.subwords import word_matrix_reference

    # the compiled word matrix and the reference agree on every repeated "</s>"
    np.testing.assert_array_equal(dup.vectors, word_matrix_reference(dup.model))
    np.testing.assert_array_equal(dup.vectors[3], dup.model.input[3])
    np.testing.assert_array_equal(dup.vectors[4], dup.model.input[4])


@needs_fasttext
def test_every_rule_matches_the_fasttext_tool(tmp_path):
    for path, words in _rule_cases(tmp_path):
        v = tv.load_vectors(path)
        np.testing.assert_allclose(np.stack([v[w] for w in words]),
                                   _fasttext_vectors(path, words), rtol=1e-6, atol=1e-7)  # fmt: skip


def test_lone_surrogates_have_no_bytes_and_no_vector(tmp_path):
    v = tv.load_vectors(_ft_model(tmp_path / "m.bin", ["hello", "world"]))
    with pytest.raises(KeyError, match="lone surrogate"):
        v["\ud800"]
    assert not v.has_vector("ab\ud800") and v.get("ab\ud800") is None
    assert not np.array_equal(v["a\udcff"], v["a?"])  # an escaped byte is that byte, not '?'
    from tokenvec.io.fasttext_bin import subword_rows
    from tokenvec.vectors.subwords import _mean_rows

    want = _mean_rows(v.model.input, subword_rows(v.model, b"a\xff", None))
    np.testing.assert_array_equal(v["a\udcff"], want)


def test_short_words_stay_in_python_until_the_kernels_are_loaded():
    from tokenvec.io import fasttext_rows as _subword

    assert _subword.compiled_pays(10**6)
    assert _subword.compiled_pays(40) == _subword._kernels.loaded


def test_the_compiled_word_vector_equals_the_reference(tmp_path):
    from tokenvec.io import fasttext_rows as _subword
    from tokenvec.io.fasttext_bin import subword_rows
    from tokenvec.vectors.subwords import _mean_rows

    v = tv.load_vectors(_ft_model(tmp_path / "m.bin", ["hello", "world", "</s>", "ünï"]))
    rng = np.random.default_rng(3)
    words = [b"hello", b"</s>", b"\xc3\xbcn\xc3\xaf", b"", b"x" * 300, "漢字かな".encode() * 40,
             bytes(rng.integers(1, 256, 200, dtype=np.uint8))]  # fmt: skip
    for w in words:
        for i in (None, 0, 2):
            got, n = _subword.word_vector(v.model, w, i)
            rows = subword_rows(v.model, w, i)
            np.testing.assert_array_equal(got, _mean_rows(v.model.input, rows))
            assert n == len(rows)


def test_a_million_character_word_takes_well_under_a_second(tmp_path):
    import time

    v = tv.load_vectors(_ft_model(tmp_path / "m.bin", ["hello", "world"]))
    v["x" * 60_000]  # long enough to load the compiled code (shorter words stay in Python)
    start = time.perf_counter()
    vec = v["abcdefghij" * 100_000]
    assert time.perf_counter() - start < 1.0  # 18-38 s in Python before
    assert vec.shape == (4,) and np.isfinite(vec).all() and vec.any()
    assert v.has_vector("ab" * 50_000) and v.similarity("ab" * 50_000, "hello") <= 1


@needs_lee
def test_a_mapped_fasttext_model_answers_as_the_one_read():
    mapped, read = tv.load_fasttext(LEE_BIN, mmap=True), tv.load_fasttext(LEE_BIN)
    assert isinstance(mapped.model.input.base, np.memmap) or hasattr(mapped.model.input, "_mmap")
    assert not isinstance(read.model.input, np.memmap)
    np.testing.assert_array_equal(mapped.vectors, read.vectors)
    for w in ("night", "nightx", "x" * 50):
        np.testing.assert_array_equal(mapped[w], read[w])
