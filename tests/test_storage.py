"""Every storage answers the same questions as its plain definition: decoded rows, rows by
index, unit rows, lengths, scores, slices; and every kind under every vocabulary round-trips
through a native folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tokenvec as tv
from support import REWRITE, vectors
from tokenvec import VectorFormatError
from tokenvec.vectors import storage as st
from tokenvec.vectors.compress import quantize


@pytest.fixture(scope="module")
def rows() -> st.Dense:
    rng = np.random.default_rng(0)
    mat = (rng.standard_normal((600, 12)) * rng.uniform(0.5, 3, (600, 1))).astype(np.float32)
    mat[5] = 0.0  # an all-zero row
    return st.Dense(mat)


FORMS = [
    ("float16", {}),
    ("int8", {}),
    ("int8", {"keep_norms": False}),
    ("pq", {"sample": 600, "iterations": 4}),
    ("pq", {"sample": 600, "iterations": 4, "keep_norms": True}),
    ("rq", {"sample": 600, "iterations": 4, "subspaces": 3}),
    ("rq", {"sample": 600, "iterations": 4, "subspaces": 3, "keep_norms": True}),
]


def _plain_rows(s: st.Storage) -> np.ndarray:
    """The decoded table by each kind's plain definition, float64."""
    if isinstance(s, st.Dense):
        return np.asarray(s.stored, dtype=np.float64)
    if isinstance(s, st.RQ):
        raw = sum(s.codebook[j][s.codes[:, j]].astype(np.float64) for j in range(s.codes.shape[1]))
    elif isinstance(s, st.PQ):
        w = np.diff(s.bounds)
        raw = np.concatenate(
            [s.codebook[j, s.codes[:, j], : w[j]] for j in range(s.codes.shape[1])], axis=1
        ).astype(np.float64)
    else:
        raw = s.codes.astype(np.float64)
    n = np.linalg.norm(raw, axis=1, keepdims=True)
    unit = np.divide(raw, n, out=np.zeros_like(raw), where=n > 0)
    return unit * s._lengths[:, None] if s.kept_norms else unit


@pytest.mark.parametrize(("form", "kw"), FORMS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(FORMS)])
def test_a_storage_answers_as_its_plain_definition(rows, form, kw):
    s = quantize(rows, form, **kw)  # type: ignore[arg-type]
    ref = _plain_rows(s)
    np.testing.assert_allclose(s.matrix, ref, rtol=2e-3, atol=2e-3)
    pick = np.array([3, 5, 599, 3, 0])
    fresh = quantize(rows, form, **kw)  # type: ignore[arg-type]  # nothing decoded yet
    np.testing.assert_allclose(fresh.take(pick), ref[pick], rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(fresh.row(7), ref[7], rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(s.decode(10, 20), ref[10:20], rtol=2e-3, atol=2e-3)
    unit = ref / np.maximum(np.linalg.norm(ref, axis=1, keepdims=True), 1e-30)
    np.testing.assert_allclose(s.unit, unit, rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(s.norms, np.linalg.norm(ref, axis=1), rtol=2e-3, atol=2e-3)
    q = np.random.default_rng(1).standard_normal(12).astype(np.float32)
    q /= np.linalg.norm(q)
    np.testing.assert_allclose(s.unit_dot(q), unit @ q, rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(s.unit_dot(q, 50), (unit @ q)[:50], rtol=2e-3, atol=2e-3)
    many = np.stack([q, -q])
    np.testing.assert_allclose(s.unit_dot(many), many @ unit.T, rtol=2e-3, atol=2e-3)
    part = s.slice(100, 200)
    assert type(part) is type(s) and len(part) == 100
    np.testing.assert_allclose(part.matrix, ref[100:200], rtol=2e-3, atol=2e-3)
    with pytest.raises(ValueError, match="restrict_vocab"):
        s.unit_dot(q, 0)


@pytest.mark.parametrize(("form", "kw"), FORMS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(FORMS)])
def test_every_storage_round_trips_under_plain_keys(rows, form, kw, tmp_path):
    keys = [f"w{i}" for i in range(len(rows))]
    v = tv.Vectors(keys, rows.stored).quantize(form, **kw)
    back = tv.load_vectors(v.save(tmp_path / "v"))
    assert type(back.storage) is type(v.storage) and back.index_to_key == keys
    np.testing.assert_array_equal(back.vectors, v.vectors)
    assert back.most_similar("w9", topn=3) == v.most_similar("w9", topn=3)
    assert repr(back) == repr(v)
    short = tv.load_vectors(tmp_path / "v", limit=10)
    np.testing.assert_array_equal(short.vectors, v.vectors[:10])


def test_the_default_product_quantization_is_a_byte_per_two_dimensions(rows):
    v = tv.Vectors([f"w{i}" for i in range(len(rows))], rows.stored)
    pq = v.quantize("pq", sample=600, iterations=2)
    assert pq.storage.codes.shape == (600, 6)  # 12 dimensions: 6 bytes a row
    assert v.quantize("rq", sample=600, iterations=2).storage.codes.shape == (600, 2)


def test_folders_written_with_one_kind_still_open(rows, tmp_path):

    keys = [f"w{i}" for i in range(len(rows))]
    v = tv.Vectors(keys, rows.stored).quantize("int8")
    folder = v.save(tmp_path / "old")
    meta = json.loads((folder / "meta.json").read_text())
    meta["kind"] = meta.pop("storage")  # as tokenvec wrote int8 folders before
    del meta["vocab"]
    (folder / "meta.json").write_text(json.dumps(meta))
    back = tv.load_vectors(folder)
    assert isinstance(back.storage, st.Int8)
    np.testing.assert_array_equal(back.vectors, v.vectors)


def _int8_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "int8"
    vectors(50, 8).quantize("int8").save(folder)
    return folder


@pytest.mark.parametrize("kind", ["float32", "float16", "int8", "pq"])
def test_a_mapped_folder_rewritten_in_place_is_a_clear_error(tmp_path, kind):
    r = subprocess.run([sys.executable, "-c", REWRITE, str(tmp_path), kind],
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])  # -7 (SIGBUS) before the fix
    last = r.stdout.splitlines()[-1]
    assert last.startswith("ERROR") and "rewritten in place" in last, r.stdout
    assert "vectors" in last


def test_an_int8_folder_without_its_norms_is_incomplete(tmp_path):
    folder = _int8_folder(tmp_path)
    (folder / "norms.npy").unlink()
    with pytest.raises(VectorFormatError, match="norms.npy is missing"):
        tv.load_vectors(folder)


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.complex64])
def test_norms_of_the_wrong_dtype_are_refused(tmp_path, dtype):
    folder = _int8_folder(tmp_path)
    np.save(folder / "norms.npy", np.ones(50, dtype=dtype))
    with pytest.raises(VectorFormatError, match="norms.npy: dtype"):
        tv.load_vectors(folder)


def test_an_int8_pq_codebook_and_bad_offsets_are_refused(tmp_path):
    folder = tmp_path / "pq"
    vectors(300, 8).quantize("pq").save(folder)
    book = np.load(folder / "codebook.npy")
    np.save(folder / "codebook.npy", book.astype(np.int8))
    with pytest.raises(VectorFormatError, match="codebook.npy: dtype"):
        tv.load_vectors(folder)
    np.save(folder / "codebook.npy", book.astype(book.dtype.newbyteorder(">")))
    swapped = tv.load_vectors(folder)  # another byte order is read, not refused
    np.save(folder / "codebook.npy", book)
    np.testing.assert_array_equal(swapped.vectors, tv.load_vectors(folder).vectors)
    np.save(folder / "key_offsets.npy", np.zeros((2, 2), np.int64))
    with pytest.raises(VectorFormatError, match="key_offsets.npy: shape"):
        tv.load_vectors(folder)


def test_a_unit_length_int8_table_still_opens(tmp_path):
    folder = tmp_path / "unit"
    v = vectors(50, 8)
    v.quantize("int8", keep_norms=False).save(folder)
    w = tv.load_vectors(folder)
    assert np.allclose(np.linalg.norm(w["w3"]), 1, atol=1e-2)
