"""Hostile input, third round: each test pins one defect of that review (item numbers in the
names): device files and FIFOs as targets, pipes as inputs, durable saves, files rewritten
while open, memory bombs in small files, silent misreads and unclear errors.

Every test here failed before its fix.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import stat
import struct
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import tokenvec as tv
from tokenvec import VectorFormatError, _files

ROOT = Path(__file__).resolve().parents[1]
GENSIM_DATA = None
if importlib.util.find_spec("gensim") is not None:
    GENSIM_DATA = Path(importlib.util.find_spec("gensim").origin).parent / "test" / "test_data"
LEE_BIN = GENSIM_DATA / "lee_fasttext.bin" if GENSIM_DATA else None
needs_lee = pytest.mark.skipif(
    LEE_BIN is None or not LEE_BIN.is_file(), reason="gensim (extra 'dev') is not installed"
)


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300):
    return subprocess.run(
        [sys.executable, "-m", "tokenvec", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def vectors(n: int = 635, dim: int = 20, seed: int = 0) -> tv.Vectors:
    rng = np.random.default_rng(seed)
    return tv.Vectors([f"w{i}" for i in range(n)], rng.normal(size=(n, dim)).astype(np.float32))


# --- 1. a save replaces only a regular file or a tokenvec folder ---------------------------------


def _special_targets(tmp_path: Path) -> list[Path]:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    sock.close()
    link = tmp_path / "null-link"
    link.symlink_to("/dev/null")
    fifo_link = tmp_path / "fifo-link"
    fifo_link.symlink_to(fifo)
    targets = [fifo, sock_path, link, fifo_link]
    device = tmp_path / "null-device"  # a node of /dev/null's own device, where allowed (root)
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        targets.append(device)
    except (PermissionError, OSError):
        pass
    return targets


@pytest.mark.parametrize("fmt", ["glove", "word2vec", "native", "fasttext-bin"])
def test_1_overwrite_never_replaces_devices_fifos_or_sockets(tmp_path, fmt):
    v = vectors(5, 3)
    for target in _special_targets(tmp_path):
        before = os.lstat(target)
        with pytest.raises(FileExistsError) as err:
            v.save(target, format=fmt, overwrite=True)
        after = os.lstat(target)
        assert (after.st_ino, after.st_mode, after.st_rdev) == (
            before.st_ino,
            before.st_mode,
            before.st_rdev,
        ), target
        assert str(target) in str(err.value)
    assert os.path.exists("/dev/null") and not Path("/dev/null").is_file()


def test_1_cli_overwrite_refuses_a_device_in_one_line(tmp_path):
    src = tmp_path / "v.txt"
    vectors(5, 3).save(src, format="glove")
    for target in _special_targets(tmp_path):
        r = cli("convert", str(src), str(target), "--to", "glove", "--overwrite")
        assert r.returncode == 1, r
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
        assert "regular file" in r.stderr
    assert not Path("/dev/null").is_file()


def test_1_a_symlink_to_a_regular_file_is_still_replaceable(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old\n")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    vectors(5, 3).save(link, format="glove", overwrite=True)
    assert len(tv.load_vectors(link)) == 5


# --- 2. a pipe or FIFO is read once, all of it ---------------------------------------------------


def _through_fifo(tmp_path: Path, data: bytes, load) -> object:
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)

    def writer() -> None:
        with open(fifo, "wb") as f:
            f.write(data)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        return load(fifo)
    finally:
        t.join(10)


@pytest.mark.parametrize("fmt", ["glove", "word2vec-text", "word2vec"])
def test_2_a_fifo_loads_every_row(tmp_path, fmt):
    src = tmp_path / f"v.{fmt}"
    vectors(1000, 30).save(src, format=fmt)
    assert src.stat().st_size > 64 * 1024  # more than format detection reads
    want = tv.load_vectors(src)
    got = _through_fifo(tmp_path, src.read_bytes(), tv.load_vectors)
    assert got.index_to_key == want.index_to_key
    np.testing.assert_array_equal(np.asarray(got.vectors), np.asarray(want.vectors))


@needs_lee
def test_2_a_fasttext_model_through_a_fifo_keeps_its_subwords(tmp_path):
    want = tv.load_vectors(LEE_BIN)
    got = _through_fifo(tmp_path, LEE_BIN.read_bytes(), tv.load_vectors)
    assert type(got) is type(want) and got.index_to_key == want.index_to_key
    np.testing.assert_array_equal(got["nightx"], want["nightx"])


def test_2_cli_convert_of_a_process_substitution_keeps_every_row(tmp_path):
    src = tmp_path / "v.glove.txt"
    vectors().save(src, format="glove")
    out = tmp_path / "out.txt"
    tokenvec = f"{sys.executable} -m tokenvec"
    r = subprocess.run(
        ["bash", "-c", f"{tokenvec} convert <(cat {src}) {out} --to glove"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "635" in r.stdout
    assert out.read_bytes() == src.read_bytes()


def test_2_a_fifo_without_writer_is_an_error_not_a_hang(tmp_path):
    fifo = tmp_path / "nobody.fifo"
    os.mkfifo(fifo)
    r = cli("convert", str(fifo), str(tmp_path / "o.txt"), env={"TOKENVEC_PIPE_WAIT": "0.5"},
            timeout=60)  # fmt: skip
    assert r.returncode == 1
    assert "no writer" in r.stderr and str(fifo) in r.stderr and "Traceback" not in r.stderr


# --- 3. saves are durable: the data is flushed before the rename, the folder after --------------


def _record_fsyncs(monkeypatch) -> list[str]:
    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


def test_3_a_file_save_flushes_the_file_before_the_rename_and_the_folder_after(
    tmp_path, monkeypatch
):
    renamed: list[int] = []
    synced = _record_fsyncs(monkeypatch)
    real_rename = _files._renameat2
    monkeypatch.setattr(
        _files, "_renameat2", lambda *a: (renamed.append(len(synced)), real_rename(*a))[1]
    )
    vectors(10, 3).save(tmp_path / "v.txt", format="glove")
    assert renamed == [1]  # one fsync (the temporary file) before the rename
    assert ".tokenvec-" in synced[0] and synced[0].endswith(".tmp")
    assert synced[1:] == [str(tmp_path)]  # the parent folder after it


def test_3_a_folder_save_flushes_every_file_and_both_folders(tmp_path, monkeypatch):
    synced = _record_fsyncs(monkeypatch)
    target = tmp_path / "vecs"
    vectors(10, 3).save(target)
    inside = [s for s in synced if ".tokenvec-" in s]
    names = {Path(s).name for s in inside if not s.endswith(".tmp")}
    assert {"vectors.npy", "keys.bin", "meta.json", "key_offsets.npy"} <= names
    assert inside[-1].endswith(".tmp")  # the temporary folder itself, after its files
    assert synced[-1] == str(tmp_path)


# --- 4. a file rewritten in place while open never kills the process -----------------------------

REWRITE = """
import shutil, sys
from pathlib import Path
import numpy as np
import tokenvec as tv

root, kind = Path(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(0)
v = tv.Vectors([f"w{i}" for i in range(5000)], rng.normal(size=(5000, 64)).astype(np.float32))
if kind.startswith("fasttext"):
    src = Path(sys.argv[3])
    target = root / "model.bin"
    shutil.copy(src, target)
    opened = tv.load_vectors(target) if kind == "fasttext" else tv.load_fasttext(target, mmap=True)
    before = opened["nightx"].copy()
    victim = target
else:
    stored = v if kind == "float32" else v.quantize(kind)
    stored.save(root / "folder")
    opened = tv.load_vectors(root / "folder")
    victim = root / "folder" / "vectors.npy"
print(opened["w1"][:2] if not kind.startswith("fasttext") else "ok", flush=True)
with open(victim, "r+b") as f:  # rewritten in place (same file): cp over it, a retraining
    f.truncate(200)
try:
    if kind.startswith("fasttext"):
        assert np.array_equal(opened["nightx"], before)
        print("SAME", flush=True)
    else:
        opened["w4999"]
        opened.most_similar("w4000")
        print("READ", flush=True)
except tv.VectorFormatError as exc:
    print("ERROR", exc, flush=True)
"""


@pytest.mark.parametrize("kind", ["float32", "float16", "int8", "pq"])
def test_4_a_mapped_folder_rewritten_in_place_is_a_clear_error(tmp_path, kind):
    r = subprocess.run([sys.executable, "-c", REWRITE, str(tmp_path), kind],
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])  # -7 (SIGBUS) before the fix
    last = r.stdout.splitlines()[-1]
    assert last.startswith("ERROR") and "rewritten in place" in last, r.stdout
    assert "vectors" in last


@needs_lee
def test_4_a_fasttext_model_rewritten_in_place_still_answers(tmp_path):
    r = subprocess.run([sys.executable, "-c", REWRITE, str(tmp_path), "fasttext", str(LEE_BIN)],
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    assert r.stdout.splitlines()[-1] == "SAME", r.stdout


@needs_lee
def test_4_a_mapped_fasttext_model_rewritten_in_place_is_a_clear_error(tmp_path):
    r = subprocess.run([sys.executable, "-c", REWRITE, str(tmp_path), "fasttext-mmap",
                        str(LEE_BIN)], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])  # -7 (SIGBUS) unguarded
    last = r.stdout.splitlines()[-1]
    assert last.startswith("ERROR") and "rewritten in place" in last, r.stdout


# --- 5. a small file never costs much memory -----------------------------------------------------

_ARGS_AT, _PRUNE_AT = 8, 8 + 56 + 20  # the arguments; the dictionary's pruned-table size


def _small_bin(tmp_path: Path) -> bytearray:
    path = tmp_path / "small.bin"
    vectors(3, 4).save(path, format="fasttext-bin")
    return bytearray(path.read_bytes())


@pytest.mark.parametrize("prune", [0, 1, 5])
def test_5_a_pruned_full_precision_model_is_refused_without_allocating(tmp_path, prune):
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
def test_5_gensim_also_refuses_what_tokenvec_refuses(tmp_path):
    from gensim.models.fasttext import load_facebook_vectors

    data = _small_bin(tmp_path)
    struct.pack_into("<q", data, _PRUNE_AT, 1)
    doctored = tmp_path / "doctored.bin"
    doctored.write_bytes(bytes(data))
    with pytest.raises(Exception):  # noqa: B017 (gensim raises NotImplementedError or others)
        load_facebook_vectors(str(doctored))
    with pytest.raises(VectorFormatError):
        tv.load_vectors(doctored)


# --- 6. a checkpoint's arrays are checked from their headers, before they are read -----------


def _checkpoint(tmp_path: Path) -> Path:
    from tokenvec.word2vec import Word2Vec

    model = Word2Vec(min_count=1, vector_size=8, epochs=1, threads=1)
    model.train([["a", "b", "c", "d"] * 5] * 10, progress=False, checkpoint=tmp_path / "c")
    return tmp_path / "c"


def _npy_with_header(header: dict) -> bytes:
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue()


def _rewrite_member(weights: Path, name: str, header: dict, payload: bytes, compress: int):
    import zipfile

    with zipfile.ZipFile(weights) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    members[f"{name}.npy"] = _npy_with_header(header) + payload
    with zipfile.ZipFile(weights, "w", compression=compress) as z:
        for member, data in members.items():
            z.writestr(member, data)


def test_6_a_header_claiming_terabytes_is_refused_before_any_allocation(tmp_path):
    import tracemalloc
    import zipfile

    from tokenvec.word2vec import CheckpointError, Word2Vec

    ckpt = _checkpoint(tmp_path)
    huge = {"descr": "<f4", "fortran_order": False, "shape": (10**7, 2 * 10**6)}  # 72.8 TiB
    _rewrite_member(ckpt / "weights.npz", "syn0", huge, b"\0" * 64, zipfile.ZIP_STORED)
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError) as err:
            Word2Vec.load_checkpoint(ckpt)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "weights.npz" in str(err.value) and "'syn0'" in str(err.value)
    assert peak < 16 * 2**20


def test_6_a_compressed_bomb_is_refused_before_it_is_inflated(tmp_path):
    import zipfile

    from tokenvec.word2vec import CheckpointError, Word2Vec

    ckpt = _checkpoint(tmp_path)
    # 256 MiB of zeros deflate to a quarter of a MiB: stored arrays only.
    big = {"descr": "<f4", "fortran_order": False, "shape": (2**23, 8)}
    _rewrite_member(ckpt / "weights.npz", "syn0", big, bytes(2**28), zipfile.ZIP_DEFLATED)
    assert (ckpt / "weights.npz").stat().st_size < 2**21
    with pytest.raises(CheckpointError, match="compressed"):
        Word2Vec.load_checkpoint(ckpt)


def test_6_cli_names_the_file_for_an_absurd_checkpoint(tmp_path):
    import zipfile

    ckpt = _checkpoint(tmp_path)
    huge = {"descr": "<f4", "fortran_order": False, "shape": (10**7, 2 * 10**6)}
    _rewrite_member(ckpt / "weights.npz", "syn0", huge, b"", zipfile.ZIP_STORED)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("a b c d\n" * 10)
    r = cli("train", str(corpus), "-o", str(tmp_path / "out"), "--continue", str(ckpt))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "weights.npz" in r.stderr and "Unable to allocate" not in r.stderr


# --- 9. every array of every native kind is checked -------------------------------------------


def _int8_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "int8"
    vectors(50, 8).quantize("int8").save(folder)
    return folder


def test_9_an_int8_folder_without_its_norms_is_incomplete(tmp_path):
    folder = _int8_folder(tmp_path)
    (folder / "norms.npy").unlink()
    with pytest.raises(VectorFormatError, match="norms.npy is missing"):
        tv.load_vectors(folder)


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.complex64])
def test_9_norms_of_the_wrong_dtype_are_refused(tmp_path, dtype):
    folder = _int8_folder(tmp_path)
    np.save(folder / "norms.npy", np.ones(50, dtype=dtype))
    with pytest.raises(VectorFormatError, match="norms.npy: dtype"):
        tv.load_vectors(folder)


def test_9_an_int8_pq_codebook_and_bad_offsets_are_refused(tmp_path):
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


def test_9_a_unit_length_int8_table_still_opens(tmp_path):
    folder = tmp_path / "unit"
    v = vectors(50, 8)
    v.quantize("int8", keep_norms=False).save(folder)
    w = tv.load_vectors(folder)
    assert np.allclose(np.linalg.norm(w["w3"]), 1, atol=1e-2)


# --- 10. train --continue refuses flags that an update cannot honour -------------------------


@pytest.mark.parametrize(
    "flag",
    [["--sg"], ["--hs"], ["--negative", "3"], ["--vector-size", "12"], ["--min-count", "2"],
     ["--subwords"], ["--window", "2"]],
)  # fmt: skip
def test_10_continue_refuses_what_the_checkpoint_fixed(tmp_path, flag):
    ckpt = _checkpoint(tmp_path)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("a b c d e\n" * 20)
    r = cli("train", str(corpus), "-o", str(tmp_path / "out"), "--continue", str(ckpt),
            "--no-progress", *flag)  # fmt: skip
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert flag[0] in r.stderr and "--continue" in r.stderr
    assert not (tmp_path / "out").exists()


def test_10_continue_accepts_the_same_values_and_the_updatable_ones(tmp_path):
    ckpt = _checkpoint(tmp_path)  # CBOW, vector size 8, min count 1
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("a b c d e\n" * 20)
    r = cli("train", str(corpus), "-o", str(tmp_path / "out"), "--continue", str(ckpt),
            "--no-progress", "--cbow", "--vector-size", "8", "--epochs", "2",
            "--alpha", "0.01")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert tv.load_vectors(tmp_path / "out").vector_size == 8


# --- 8. a folder that claims to be finite but holds NaN --------------------------------------


def _lying_folder(tmp_path: Path, dtype=np.float32) -> tuple[Path, tv.Vectors]:
    keys = ["king", "man", "woman", "queen", "the", ",", ".", "prince", "girl", "boy"]
    rng = np.random.default_rng(1)
    mat = rng.normal(size=(len(keys), 16)).astype(dtype)
    mat[3] = mat[0] - mat[1] + mat[2] + rng.normal(scale=0.01, size=16)  # queen, as it should
    clean = tv.Vectors(keys, mat)
    folder = tmp_path / "lying"
    clean.save(folder)
    doctored = np.load(folder / "vectors.npy")
    doctored[3, 5] = np.nan
    np.save(folder / "vectors.npy", doctored)
    assert json.loads((folder / "meta.json").read_text())["finite"] is True
    return folder, clean


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_8_a_nan_row_never_changes_other_answers(tmp_path, dtype):
    folder, clean = _lying_folder(tmp_path, dtype)
    v = tv.load_vectors(folder)  # the fast open trusts the record
    without = tv.Vectors([k for k in clean.index_to_key if k != "queen"],
                         np.delete(np.asarray(clean.vectors), 3, axis=0))  # fmt: skip
    for query in (dict(positive=["king", "woman"], negative=["man"]), dict(positive=["boy"])):
        got = v.most_similar(**query, topn=5)
        want = without.most_similar(**query, topn=5)
        assert [k for k, _ in got] == [k for k, _ in want]
        assert all(np.isfinite(s) for _, s in got)
    assert "queen" not in v.closer_than("king", "boy")
    assert v.doesnt_match(["king", "man", "boy"]) in {"king", "man", "boy"}


def test_8_asking_about_the_nan_row_is_a_clear_error(tmp_path):
    folder, _ = _lying_folder(tmp_path)
    v = tv.load_vectors(folder)
    for ask in (lambda: v.most_similar("queen"), lambda: v.similarity("queen", "king"),
                lambda: v.distances("queen"), lambda: v.doesnt_match(["queen", "king", "man"]),
                lambda: v.closer_than("king", "queen")):  # fmt: skip
        with pytest.raises(ValueError, match="'queen' \\(row 3\\) holds NaN"):
            ask()
    r = cli("similar", "queen", "-v", str(folder))
    assert r.returncode == 1 and "NaN" in r.stderr and "Traceback" not in r.stderr


# --- 7. fastText's own reading of a model, rule by rule ------------------------------------------

needs_fasttext = pytest.mark.skipif(
    importlib.util.find_spec("fasttext") is None, reason="the fastText tool is not installed"
)


def _ft_model(path: Path, words: list[str], *, version: int = 12, model: int = 2,
              loss: int = 2) -> Path:  # fmt: skip
    from tokenvec.fasttext import FastTextArgs, FastTextModel, write_fasttext

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


def test_7_fasttext_rules_by_their_plain_statement(tmp_path):
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
    from tokenvec.subwords import word_matrix_reference

    # the compiled word matrix and the reference agree on every repeated "</s>"
    np.testing.assert_array_equal(dup.vectors, word_matrix_reference(dup.model))
    np.testing.assert_array_equal(dup.vectors[3], dup.model.input[3])
    np.testing.assert_array_equal(dup.vectors[4], dup.model.input[4])


@needs_fasttext
def test_7_every_rule_matches_the_fasttext_tool(tmp_path):
    for path, words in _rule_cases(tmp_path):
        v = tv.load_vectors(path)
        np.testing.assert_allclose(np.stack([v[w] for w in words]),
                                   _fasttext_vectors(path, words), rtol=1e-6, atol=1e-7)  # fmt: skip


def test_7_lone_surrogates_have_no_bytes_and_no_vector(tmp_path):
    v = tv.load_vectors(_ft_model(tmp_path / "m.bin", ["hello", "world"]))
    with pytest.raises(KeyError, match="lone surrogate"):
        v["\ud800"]
    assert not v.has_vector("ab\ud800") and v.get("ab\ud800") is None
    assert not np.array_equal(v["a\udcff"], v["a?"])  # an escaped byte is that byte, not '?'
    from tokenvec.fasttext import subword_rows
    from tokenvec.subwords import _mean_rows

    want = _mean_rows(v.model.input, subword_rows(v.model, b"a\xff", None))
    np.testing.assert_array_equal(v["a\udcff"], want)


# --- 11. clear errors ----------------------------------------------------------------------------


def test_11_a_kind_that_is_not_a_name_is_a_format_error(tmp_path):
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


@pytest.mark.parametrize("token", [None, 3, 2.5, b"x"])
def test_11_tokens_that_are_not_strings_fail_before_training(token):
    from tokenvec.word2vec import FastText, Word2Vec
    from tokenvec.word2vec.corpus import CorpusError

    for trainer in (Word2Vec, FastText):
        with pytest.raises(CorpusError, match="every word must be a str"):
            trainer(min_count=1, vector_size=4, epochs=1).train([["a", "b", token]] * 5,
                                                                 progress=False)  # fmt: skip
    model = Word2Vec(min_count=1, vector_size=4, epochs=1)
    model.train([["a", "b"]] * 5, progress=False)
    with pytest.raises(CorpusError, match="every word must be a str"):
        model.update([["a", token]] * 5, progress=False)


def test_11_fasttext_refuses_a_word_without_utf8_bytes_clearly():
    from tokenvec.word2vec import FastText
    from tokenvec.word2vec.corpus import CorpusError

    model = FastText(min_count=1, vector_size=4, epochs=1)
    model.train([["a", "b", "c"]] * 5, progress=False)
    with pytest.raises(CorpusError, match="lone surrogate"):
        model.update([["a", "\ud800"]] * 5, progress=False)


@pytest.mark.parametrize(
    "args",
    [["encode", "/dev/zero", "-o", "{out}"], ["evaluate", "--analogies", "/dev/zero"],
     ["tokenize", "x", "--tokenizer", "/dev/zero"]],
)  # fmt: skip
def test_11_dev_zero_as_text_is_a_bounded_error(tmp_path, args):
    args = [a.format(out=tmp_path / "o.npy") for a in args]
    r = cli(*args, "--vectors", str(_glove(tmp_path))) if args[0] != "tokenize" else cli(*args)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "/dev/zero" in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: ") and len(r.stderr.strip()) > len("error: ")


def _glove(tmp_path: Path) -> Path:
    path = tmp_path / "v.txt"
    if not path.exists():
        vectors(50, 8).save(path, format="glove")
    return path


def test_11_plot_curves_of_a_device_says_what_it_is(tmp_path):
    pytest.importorskip("matplotlib")
    r = cli("plot", "curves", "--checkpoint", "/dev/zero", "-o", str(tmp_path / "c.png"))
    assert r.returncode == 1 and "no such" not in r.stderr, r.stderr
    assert "/dev/zero" in r.stderr and "Traceback" not in r.stderr


def test_11_serve_reports_a_bad_or_busy_port_in_one_line(tmp_path):
    pytest.importorskip("uvicorn")
    r = cli("serve", "--port", "99999", "-v", str(_glove(tmp_path)), timeout=60)
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert "out of range" in r.stderr and "Traceback" not in r.stderr
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        port = str(busy.getsockname()[1])
        r = cli("serve", "--port", port, "-v", str(_glove(tmp_path)), timeout=60)
    finally:
        busy.close()
    assert r.returncode == 1 and "in use" in r.stderr, (r.stdout, r.stderr)
    assert "playground" not in r.stdout and r.stderr.count("\n") == 1


def test_11_a_misspelt_pair_set_is_refused_before_any_work(tmp_path):
    import time

    start = time.perf_counter()
    r = cli("evaluate", "--pairs", "wordsim", "-v", str(_glove(tmp_path)))
    assert r.returncode == 2 and "wordsim353" in r.stderr and "--pairs" in r.stderr
    assert time.perf_counter() - start < 30


def test_11_cli_messages_name_flags_not_keywords(tmp_path):
    src = _glove(tmp_path)
    r = cli("convert", str(src), str(src), "--to", "glove")
    assert r.returncode == 1 and "--overwrite" in r.stderr and "overwrite=True" not in r.stderr
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n" * 10)
    ckpt = _checkpoint(tmp_path)
    r = cli("train", str(corpus), "-o", str(tmp_path / "o"), "--checkpoint", str(ckpt),
            "--min-count", "1", "--no-progress")  # fmt: skip
    assert r.returncode == 1 and "--resume" in r.stderr and "Word2Vec.resume" not in r.stderr


# --- 12. n-grams of long words in compiled code --------------------------------------------------


def test_12_short_words_stay_in_python_until_the_kernels_are_loaded():
    from tokenvec import _subword

    assert _subword.compiled_pays(10**6)
    assert _subword.compiled_pays(40) == _subword._kernels.loaded


def test_12_the_compiled_word_vector_equals_the_reference(tmp_path):
    from tokenvec import _subword
    from tokenvec.fasttext import subword_rows
    from tokenvec.subwords import _mean_rows

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


def test_12_a_million_character_word_takes_well_under_a_second(tmp_path):
    import time

    v = tv.load_vectors(_ft_model(tmp_path / "m.bin", ["hello", "world"]))
    v["x" * 60_000]  # long enough to load the compiled code (shorter words stay in Python)
    start = time.perf_counter()
    vec = v["abcdefghij" * 100_000]
    assert time.perf_counter() - start < 1.0  # 18-38 s in Python before
    assert vec.shape == (4,) and np.isfinite(vec).all() and vec.any()
    assert v.has_vector("ab" * 50_000) and v.similarity("ab" * 50_000, "hello") <= 1


def test_2_a_fifo_longer_than_the_spool_streams_every_row(tmp_path):
    from tokenvec import formats

    src = tmp_path / "big.txt"
    vectors(40_000, 50).save(src, format="glove")
    assert src.stat().st_size > formats.SPOOL_BYTES  # read as a stream, not spooled whole
    want = tv.load_vectors(src)
    got = _through_fifo(tmp_path, src.read_bytes(), tv.load_vectors)
    assert got.index_to_key == want.index_to_key
    np.testing.assert_array_equal(np.asarray(got.vectors), np.asarray(want.vectors))


@needs_lee
def test_4_a_mapped_fasttext_model_answers_as_the_one_read():
    mapped, read = tv.load_fasttext(LEE_BIN, mmap=True), tv.load_fasttext(LEE_BIN)
    assert isinstance(mapped.model.input.base, np.memmap) or hasattr(mapped.model.input, "_mmap")
    assert not isinstance(read.model.input, np.memmap)
    np.testing.assert_array_equal(mapped.vectors, read.vectors)
    for w in ("night", "nightx", "x" * 50):
        np.testing.assert_array_equal(mapped[w], read[w])


def test_2_info_of_a_pipe_counts_every_row(tmp_path):
    src = tmp_path / "v.txt"
    vectors().save(src, format="glove")
    tokenvec = f"{sys.executable} -m tokenvec"
    r = subprocess.run(["bash", "-c", f"{tokenvec} info <(cat {src}) --json"],
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["count"] == 635 and d["dim"] == 20 and d["format"] == "glove"
    assert d["sample"][:2] == ["w0", "w1"]
