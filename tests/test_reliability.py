"""Hostile input: each test pins one defect of the reliability review (numbers in the names).

Every test here failed before its fix: a user's folder deleted, an interpreter crash, garbage
loaded as vectors, a raw exception, or a cost out of proportion to the input.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import stat
import struct
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import tokenvec as tv
from tokenvec import VectorFormatError
from tokenvec._files import atomic_path, clean_stale
from tokenvec.formats import detect_format
from tokenvec.word2vec import CheckpointError, Word2Vec

ROOT = Path(__file__).resolve().parents[1]


def small() -> tv.Vectors:
    return tv.Vectors(["a", "b", "c"], np.arange(6, dtype=np.float32).reshape(3, 2) + 1)


def w2v_bin(rows: list[tuple[bytes, list[float]]], dim: int, header: str | None = None) -> bytes:
    out = [(header or f"{len(rows)} {dim}").encode() + b"\n"]
    for w, vals in rows:
        out.append(w + b" " + struct.pack(f"<{dim}f", *vals) + b"\n")
    return b"".join(out)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tokenvec", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


# --- 1. a save never removes what it did not write ----------------------------------------------


def test_1_save_refuses_a_users_folder(tmp_path):
    user = tmp_path / "some_dir"
    user.mkdir()
    (user / "thesis.tex").write_text("years of work")
    for call in (
        lambda: small().save(user),
        lambda: small().save(user, overwrite=True),
    ):
        with pytest.raises(FileExistsError, match="not a tokenvec-vectors folder"):
            call()
        assert (user / "thesis.tex").read_text() == "years of work"
    res = cli("convert", str(small().save(tmp_path / "v.txt", format="glove")), str(user))
    assert res.returncode == 1 and "not a tokenvec-vectors folder" in res.stderr
    res = cli("convert", str(tmp_path / "v.txt"), str(user), "--overwrite")
    assert res.returncode == 1 and (user / "thesis.tex").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["some_dir", "v.txt"]


def test_1_overwrite_replaces_only_an_artefact_of_the_same_kind(tmp_path):
    target = small().save(tmp_path / "v")
    with pytest.raises(FileExistsError, match="pass overwrite=True"):
        small().save(target)
    bigger = tv.Vectors(["x", "y"], np.ones((2, 2), np.float32))
    bigger.save(target, overwrite=True)
    assert tv.load_vectors(target).index_to_key == ["x", "y"]
    (target / "notes.txt").write_text("mine")  # a user's file inside: never removed
    with pytest.raises(FileExistsError, match=r"did not write \(notes.txt\)"):
        small().save(target, overwrite=True)
    assert (target / "notes.txt").read_text() == "mine"
    # A word2vec checkpoint is another kind: vectors may not replace it.
    model = Word2Vec(min_count=1, vector_size=4, epochs=1, threads=1)
    model.train([["a", "b"]] * 5, progress=False, checkpoint=tmp_path / "ckpt")
    with pytest.raises(FileExistsError, match="not a tokenvec-vectors folder"):
        small().save(tmp_path / "ckpt", overwrite=True)
    # Single files: replaced only with overwrite.
    f = small().save(tmp_path / "v.bin", format="word2vec")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        bigger.save(f, format="word2vec")
    bigger.save(f, format="word2vec", overwrite=True)
    assert tv.load_vectors(f).index_to_key == ["x", "y"]


def test_1_training_refuses_a_checkpoint_target_before_it_trains(tmp_path):
    user = tmp_path / "results"
    user.mkdir()
    (user / "keep.csv").write_text("1,2")
    t0 = time.perf_counter()
    with pytest.raises(FileExistsError, match="not a tokenvec-word2vec-checkpoint folder"):
        Word2Vec(min_count=1, epochs=1).train([["a", "b"]] * 5, progress=False, checkpoint=user)
    assert time.perf_counter() - t0 < 5 and (user / "keep.csv").is_file()
    res = cli("train", "-o", str(user), "--no-progress", "--epochs", "1")
    assert res.returncode == 1 and "not a tokenvec-vectors folder" in res.stderr
    assert (user / "keep.csv").read_text() == "1,2"


@pytest.mark.parametrize("fmt", ["native", "glove"])
def test_1_saves_follow_the_umask(tmp_path, fmt):
    old = os.umask(0o022)
    try:
        out = small().save(tmp_path / f"v.{fmt}", format=fmt)
    finally:
        os.umask(old)
    paths = [out, *out.iterdir()] if out.is_dir() else [out]
    for p in paths:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o755 if p.is_dir() else 0o644), (p, oct(mode))


def test_1_temporaries_of_killed_saves_are_cleaned_by_the_next_save(tmp_path):
    target = tmp_path / "v"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    stale_dir = tmp_path / f".v.tokenvec-{dead}-abcd.tmp"
    stale_dir.mkdir()
    (stale_dir / "vectors.npy").write_bytes(b"x" * 1000)
    stale_file = tmp_path / f".v.tokenvec-{dead}-efgh.tmp"
    stale_file.write_bytes(b"y")
    live = tmp_path / f".v.tokenvec-{os.getpid()}-ijkl.tmp"  # a save in progress: kept
    live.write_bytes(b"z")
    other = tmp_path / ".v.other-1.tmp"  # not ours: kept
    other.write_bytes(b"w")
    small().save(target)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["v", live.name, other.name])
    assert clean_stale(target) == 0
    # A folder where a file save's temporary would be is not one: it is left alone.
    odd = tmp_path / f".f.txt.tokenvec-{dead}-mnop.tmp"
    odd.mkdir()
    (odd / "notes").write_text("mine")
    small().save(tmp_path / "f.txt", format="glove")
    assert (odd / "notes").read_text() == "mine"


def test_1_folder_swap_leaves_no_moment_without_target(tmp_path, monkeypatch):
    # The swap is one renameat2(RENAME_EXCHANGE): os.rename of the target is never needed.
    target = small().save(tmp_path / "v")
    renames: list[tuple[str, str]] = []
    real = os.rename
    monkeypatch.setattr(os, "rename", lambda a, b: (renames.append((a, b)), real(a, b)))
    tv.Vectors(["q"], np.ones((1, 2), np.float32)).save(target, overwrite=True)
    assert renames == [] and tv.load_vectors(target).index_to_key == ["q"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v"]


def test_1_atomic_path_removes_its_temporary_on_error(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "f.txt") as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


# --- 2. a doctored checkpoint is an error, not a crash -----------------------------------------


DOCTORED = [
    ("syn0", "[:1]"),
    ("syn1neg", "[:1]"),
    ("syn1neg", "[:, :1]"),
    ("syn1", "[:1]"),
    ("syn0", ".astype(np.float64)"),
    ("counts", "[:2]"),
    ("counts", "* 0"),
]
DOCTOR = """
import json, shutil, sys, numpy as np
from tokenvec.word2vec import Word2Vec
root, cases = sys.argv[1], json.loads(sys.argv[2])
corpus = [["a", "b", "c", "d"] * 5] * 20
Word2Vec(min_count=1, vector_size=8, epochs=2, threads=1, hs=True).train(
    corpus, progress=False, checkpoint=root + "/good")
for k, (name, how) in enumerate(cases):
    ckpt = f"{root}/c{k}"
    shutil.copytree(root + "/good", ckpt)
    z = dict(np.load(ckpt + "/weights.npz"))
    z[name] = eval("z[name]" + how)
    np.savez(ckpt + "/weights.npz", **z)
    try:
        Word2Vec.resume(ckpt, corpus, progress=False)
        print("LOADED", name, how, flush=True)
    except ValueError as exc:
        print("ERROR", json.dumps(str(exc)), flush=True)
"""


def test_2_doctored_checkpoints_are_errors_naming_file_and_array(tmp_path):
    # In a child process: before the fix these crashed the interpreter (SIGSEGV, free()).
    res = subprocess.run(
        [sys.executable, "-c", DOCTOR, str(tmp_path), json.dumps(DOCTORED)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    lines = res.stdout.splitlines()
    assert len(lines) == len(DOCTORED), res.stdout
    for (name, _), line in zip(DOCTORED, lines, strict=True):
        assert line.startswith("ERROR"), line
        msg = json.loads(line[6:])
        assert "weights.npz" in msg and repr(name) in msg, msg


def test_2_checkpoint_state_is_checked(tmp_path):
    model = Word2Vec(min_count=1, vector_size=4, epochs=1, threads=1)
    model.train([["a", "b"]] * 5, progress=False, checkpoint=tmp_path / "c")
    state_path = tmp_path / "c" / "state.json"
    state = json.loads(state_path.read_text())
    for doctor in (
        lambda s: s["config"].update(window=0),
        lambda s: s["config"].update(vector_size=5),
        lambda s: s["progress"].update(epoch="1"),
        lambda s: s.update(raw_words=None),
    ):
        bad = json.loads(json.dumps(state))
        doctor(bad)
        state_path.write_text(json.dumps(bad))
        with pytest.raises(CheckpointError, match="c/"):
            Word2Vec.load_checkpoint(tmp_path / "c")
    state_path.write_text("[" * 100_000)
    with pytest.raises(CheckpointError, match="not valid JSON"):
        Word2Vec.load_checkpoint(tmp_path / "c")


# --- 3. every text row's length is checked -----------------------------------------------------


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
def test_3_rows_of_the_wrong_length_name_the_line(tmp_path, text, line):
    p = tmp_path / "v.txt"
    p.write_bytes(text.encode())
    with pytest.raises(VectorFormatError, match=f"v.txt: line {line}"):
        tv.load_vectors(p)
    p.write_bytes(f"3 2\n{text}".encode())
    with pytest.raises(VectorFormatError, match=f"v.txt: line {line + 1}"):
        tv.load_vectors(p)


# --- 4. detection keeps text as text; binary reads verify what they read -----------------------


def test_4_typo_in_first_row_stays_text(tmp_path):
    rng = np.random.default_rng(0)
    rows = [f"w{i} " + " ".join(f"{x:.6f}" for x in rng.standard_normal(300)) for i in range(200)]
    rows[0] = rows[0].replace(rows[0].split()[5], "0.1234O5", 1)
    p = tmp_path / "v.vec"
    p.write_text("200 300\n" + "\n".join(rows) + "\n")
    assert detect_format(p) == "word2vec-text"
    for limit in (None, 100):
        with pytest.raises(VectorFormatError, match=r"line 2: b'0.1234O5' is not a number"):
            tv.load_vectors(p, limit=limit)


def test_4_truncated_utf8_keys_load_as_text():
    gensim_data = pytest.importorskip("gensim").__path__[0] + "/test/test_data"
    p = Path(gensim_data) / "w2v_keyedvectors_load_test.modeldata"
    assert detect_format(p) == "word2vec-text"
    with pytest.raises(VectorFormatError, match="line 2: the word .* is not valid UTF-8"):
        tv.load_vectors(p)
    v = tv.load_vectors(p, encoding_errors="replace")
    np.testing.assert_array_equal(v.vectors, np.float32([[0.6, 0.6, 0.6], [0.1, 0.2, 0.3]]))
    assert v.index_to_key == ["ありがとう\ufffd", "どういたしまして\ufffd"]


def test_4_binary_reads_verify_values_and_words(tmp_path):
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


# --- 5. native folders: checks and keys that round-trip ----------------------------------------


def test_5_native_loader_checks_nan_and_duplicates(tmp_path):
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


def test_5_any_key_round_trips(tmp_path):
    keys = ["caf\xff", "caf\ufffd", "a\nb", "\udcff", "", " ", "\x00", "é" * 1000]
    v = tv.Vectors(keys, np.ones((len(keys), 2), np.float32))
    assert tv.load_vectors(v.save(tmp_path / "k")).index_to_key == keys


# --- 6. memory follows the file, not the header -------------------------------------------------


def test_6_a_header_claiming_3m_rows_fails_fast(tmp_path):
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


# --- 7. token ids checked before keys are built ------------------------------------------------


def test_7_transformer_ids_are_checked_first(tmp_path):
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


# --- 8. tokenising any text: bounded memory, same ids, no panic --------------------------------


def test_8_long_whitespace_runs_encode_like_whole_text():
    tok = tv.tokenizers.gpt2()
    text = "hello\n" + "\n" * 1_000_000
    ids = tok.encode_ordinary(text)  # tiktoken alone panics (a BaseException) on this
    assert tok.decode(ids) == text
    assert tok.encode(text) == ids
    rng = np.random.default_rng(1)
    for _ in range(20):
        ws = "".join(rng.choice(list(" \n\t\r\u3000"), size=int(rng.integers(4000, 13000))))
        mixed = "a" + ws + "b " + ws[: int(rng.integers(1, 9000))] + "c"
        assert tok.encode_ordinary(mixed) == tok._enc.encode_ordinary(mixed)


@pytest.mark.slow
def test_8_tokenize_file_one_word_per_line_stays_small(tmp_path):
    src = tmp_path / "words.txt"
    words = [f"w{i}" for i in range(1_500_000)]  # 11 MB, one word a line
    src.write_text("\n".join(words) + "\n")
    tok = tv.tokenizers.gpt2()
    code = (
        "import resource, sys, tokenvec as tv\n"
        "from tokenvec.windows import tokenize_file\n"
        "tok = tv.tokenizers.gpt2()\n"
        "tok.encode('warm up')\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "out = tokenize_file(sys.argv[1], tok, sys.argv[2], chunk_chars=1 << 16)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before, len(out))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code, str(src), str(tmp_path / "ids.npy")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    grown_kib, n = (int(x) for x in res.stdout.split())
    assert n == len(tok.encode_ordinary(src.read_text()))
    assert grown_kib < 40_000, grown_kib  # the whole file as one piece took ~20x its 11 MB


# --- 9. bad values refused up front -----------------------------------------------------------


def test_9_bad_values_are_refused():
    with pytest.raises(TypeError, match="padding_idx must be an integer"):
        tv.Embedding(4, 2, padding_idx=True)
    with pytest.raises(MemoryError, match="an embedding of 1,000,000,000 x 768 needs"):
        tv.Embedding(10**9, 768)
    with pytest.raises(MemoryError, match="word2vec weights"):
        Word2Vec(vector_size=100_000, min_count=1).build_vocab([[str(i) for i in range(200_000)]])


def test_9_gpt_configs_and_resume_without_checkpoint(tmp_path):
    pytest.importorskip("torch")
    import tokenvec.nn as lm

    with pytest.raises(ValueError, match="n_head must be between 1"):
        lm.GPTConfig(n_head=0)
    with pytest.raises(ValueError, match="checkpoint_every must be >= 1"):
        lm.TrainConfig(checkpoint_every=0)
    with pytest.raises(TypeError, match="max_steps must be an integer"):
        lm.TrainConfig(max_steps=1.5)
    ids = np.arange(2000) % 50
    cfg = lm.GPTConfig(vocab_size=50, block_size=8, n_layer=1, n_head=1, n_embd=8)
    with pytest.raises(FileNotFoundError, match="cannot resume: no checkpoint"):
        lm.train_lm(ids, cfg, lm.TrainConfig(max_steps=1), checkpoint=tmp_path / "no.pt",
                    resume=True, progress=False)  # fmt: skip
    (tmp_path / "mine.pt").write_bytes(b"user data")
    with pytest.raises(FileExistsError, match="mine.pt exists"):
        lm.train_lm(ids, cfg, lm.TrainConfig(max_steps=1), checkpoint=tmp_path / "mine.pt",
                    progress=False)  # fmt: skip
    assert (tmp_path / "mine.pt").read_bytes() == b"user data"


# --- 10. every reading error is the package's format error, naming the file -------------------


def test_10_reading_errors_name_the_file(tmp_path):
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


def test_10_dev_zero_as_glove_stops(tmp_path):
    t0 = time.perf_counter()
    with pytest.raises(VectorFormatError, match="a line longer than"):
        tv.load_vectors("/dev/zero", "glove")
    assert time.perf_counter() - t0 < 10


def test_10_corrupt_ann_index_is_dropped_with_a_warning(tmp_path):
    pytest.importorskip("faiss")
    v = small()
    v.build_ann()
    out = v.save(tmp_path / "v")
    (out / "ann.faiss").write_bytes(b"garbage" * 10)
    with pytest.warns(UserWarning, match="ann.faiss: the approximate index cannot be read"):
        back = tv.load_vectors(out)
    assert back.ann is None and back.index_to_key == ["a", "b", "c"]


def test_10_plot_curves_on_a_file_that_is_not_a_checkpoint(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    bad = tmp_path / "x.pt"
    bad.write_bytes(b"not a checkpoint")
    res = cli("plot", "curves", "--checkpoint", str(bad), "-o", str(tmp_path / "c.png"))
    assert res.returncode == 1 and "x.pt: not a tokenvec GPT checkpoint" in res.stderr
    assert len(res.stderr.splitlines()) == 1


# --- 11. the CLI prints user text literally and hints in one line ------------------------------


def test_11_markup_in_keys_is_printed_literally(tmp_path):
    keys = ["[/x]", "[/INST]", "[unused0]", "plain"]
    rng = np.random.default_rng(0)
    v = tv.Vectors(keys, rng.standard_normal((4, 3)).astype(np.float32))
    path = str(v.save(tmp_path / "m"))
    res = cli("similar", "[unused0]", "--vectors", path)
    assert res.returncode == 0, res.stderr
    assert "nearest to [unused0]" in res.stdout and "[/INST]" in res.stdout


def test_11_missing_extras_give_one_line(tmp_path):
    vecs = str(small().save(tmp_path / "v.txt", format="glove"))
    hide = "import sys; sys.modules['torch'] = None; sys.modules['umap'] = None\n"
    run = "from tokenvec.cli import main; sys.argv = ['tokenvec', *sys.argv[1:]]; main()"
    cases = [(["train-lm", "-o", str(tmp_path / "c.pt")], "pip install torch==2.13.0")]
    if importlib.util.find_spec("matplotlib") is not None:  # else plots name matplotlib first
        cases.append((["plot", "map", "a", "b", "--method", "umap", "--vectors", vecs,
                       "-o", str(tmp_path / "m.png")], "pip install umap-learn"))  # fmt: skip
    for args, hint in cases:
        res = subprocess.run(
            [sys.executable, "-c", hide + run, *args], capture_output=True, text=True, timeout=300
        )
        assert res.returncode == 1 and hint in res.stderr, res.stderr[-1500:]
        assert len(res.stderr.strip().splitlines()) == 1


def test_11_choices_are_enforced(tmp_path):
    src = small().save(tmp_path / "v.txt", format="glove")
    res = cli("convert", str(src), str(tmp_path / "o"), "--encoding-errors", "bogus")
    assert res.returncode == 2 and "bogus" in res.stderr
    assert not (tmp_path / "o").exists()


def test_11_scripts_parse_arguments_before_working():
    res = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_corpus.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0 and "usage" in res.stdout.lower()
    assert "--force" in res.stdout


def test_11_resuming_a_finished_run_reports_no_absurd_speed():
    from tokenvec.word2vec.trainer import _ProgressBar

    # A resumed run starts with all its words done: they were not trained in this run.
    with _ProgressBar(True, total=10**9, epochs=1) as bar:
        bar.advance(10**9, 1)
        wps = bar._progress.tasks[0].fields["wps"]
    assert wps == "-", wps


# --- 12 and 13. parity with gensim's own tests ---------------------------------------------------


def test_12_restrict_vocab_answers_from_the_restricted_candidates():
    rng = np.random.default_rng(0)
    keys = [f"w{i}" for i in range(50)]
    v = tv.Vectors(keys, rng.standard_normal((50, 8)).astype(np.float32))
    res = v.most_similar("w30", topn=3, restrict_vocab=5)
    assert [k for k, _ in res] == [k for k, _ in v.most_similar(v["w30"], topn=3,
                                                                 restrict_vocab=5)]  # fmt: skip
    assert all(int(k[1:]) < 5 for k, _ in res)
    assert len(v.most_similar_cosmul("w30", topn=3, restrict_vocab=5)) == 3
    assert len(v.most_similar_batch(["w30", ["w40", "w1"]], topn=3, restrict_vocab=5)[1]) == 3
    assert len(v.most_similar(["w30", "w40"], topn=3, restrict_vocab=5)) == 3


def test_13_identical_inputs_give_zero_distance_and_equality_is_defined():
    rng = np.random.default_rng(0)
    v = tv.Vectors([f"w{i}" for i in range(500)], rng.standard_normal((500, 50)).astype(np.float32))
    assert all(v.distance(k, k) == 0.0 for k in v.index_to_key)
    assert all(v.similarity(k, k) == 1.0 for k in v.index_to_key)
    w = tv.Vectors(list(v.index_to_key), v.vectors.copy())
    assert v == w and not (v != w)
    w.vectors[0, 0] += 1
    assert v != w
    with pytest.raises(TypeError):
        hash(v)


@pytest.mark.slow
def test_1_killed_saves_never_lose_the_target():
    # scripts/kill_saves.py with a few kills per kind of target; run it with --kills 300 for
    # the full check.
    res = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "kill_saves.py"), "--kills", "8"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout + res.stderr[-2000:]
    sys.path.insert(0, str(ROOT / "scripts"))
    from kill_saves import KINDS

    assert res.stdout.count("missing 0, broken 0") == len(KINDS) == 12, res.stdout  # every writer


def test_1_fallback_swap_puts_the_old_folder_back_if_the_new_one_cannot_move(tmp_path, monkeypatch):
    # Where renameat2 is missing, two renames are used; if the second fails, the old
    # artefact must be back at the target, not left under a temporary name.
    import tokenvec._files as files

    target = small().save(tmp_path / "v")
    monkeypatch.setattr(files, "_renameat2", lambda *a: False)
    real = os.rename

    def second_fails(a, b):
        if str(a).endswith(".tmp"):
            raise OSError("disk gone")
        return real(a, b)

    monkeypatch.setattr(os, "rename", second_fails)
    with pytest.raises(OSError, match="disk gone"):
        tv.Vectors(["q"], np.ones((1, 2), np.float32)).save(target, overwrite=True)
    monkeypatch.undo()
    assert tv.load_vectors(target).index_to_key == ["a", "b", "c"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v"]
