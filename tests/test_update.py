"""Continued training with new words (Word2Vec.update): the vocabulary grows, trained rows are
kept, new words learn from their contexts, and a checkpoint taken before an update replays it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import tokenvec as tv
from tokenvec.word2vec import FastText, FastTextConfig, Word2Vec, Word2VecConfig
from tokenvec.word2vec.corpus import CorpusError


@pytest.fixture(scope="module")
def base_text():
    rng = np.random.default_rng(0)
    royal = ["king", "queen", "prince", "throne", "crown", "palace"]
    food = ["bread", "wine", "cheese", "apple", "fish", "milk"]
    glue = ["the", "a", "and", "of", "with"]
    sents = []
    for _ in range(3000):
        topic = royal if rng.random() < 0.5 else food
        sents.append([str(w) for w in rng.choice(topic + glue, 8)])
    return sents, royal, food


def _new_text(royal, n=200):
    rng = np.random.default_rng(1)
    return [["zorblax", *[str(w) for w in rng.choice(royal, 6)]] for _ in range(n)]


def _config(**kw):
    return Word2VecConfig(**{"vector_size": 16, "min_count": 5, "epochs": 3, "threads": 1,
                             "window": 3, **kw})  # fmt: skip


@pytest.mark.parametrize("hs", [False, True])
def test_new_words_join_and_old_words_stay(base_text, hs):
    sents, royal, _ = base_text
    model = Word2Vec(_config(hs=hs, negative=0 if hs else 5))
    before = model.train(sents, progress=False)
    old = np.asarray(before.unit).copy()
    n_old = len(before)
    after = model.update(_new_text(royal), progress=False, alpha=0.01)
    assert len(after) == n_old + 1 and after.index_to_key[-1] == "zorblax"
    assert after.index_to_key[:n_old] == before.index_to_key  # known words keep their rows
    assert model.vocab.counts[-1] == 200 and model.vocab.raw_words == 1400
    assert model.vocab.counts[after.key_to_index["king"]] > 3000 * 8 / 17 * 0.5
    cos = np.sum(old * np.asarray(after.unit[:n_old]), axis=1)
    assert np.median(cos) > 0.95  # a small new text moves the old words little
    near = {w for w, _ in after.most_similar("zorblax", topn=4)}
    assert len(near & set(royal)) >= 3, near  # the new word lands among its contexts
    # The noise table draws the new word too (its count joined the vocabulary's).
    assert model._tables().cum_table.size == len(after)
    if hs:
        assert model.syn1.shape[0] == len(after) - 1


def test_hierarchical_softmax_keeps_the_trained_tree(base_text, tmp_path):
    sents, royal, _ = base_text
    model = Word2Vec(_config(hs=True, negative=0, epochs=1))
    model.train(sents, progress=False)
    codes, points, lens = model.vocab.huffman()
    model.update(_new_text(royal), progress=False, epochs=1)
    new_codes, new_points, new_lens = model.vocab.huffman()
    v = len(lens)
    split = np.flatnonzero(new_lens[:v] != lens)
    assert len(split) == 1 and new_lens[split[0]] == lens[split[0]] + 1  # one leaf was split
    for i in range(v):  # every old path is kept (the split one gains a last step)
        assert (new_codes[i, : lens[i]] == codes[i, : lens[i]]).all()
        assert (new_points[i, : lens[i]] == points[i, : lens[i]]).all()
    j = split[0]
    assert new_points[v, new_lens[v] - 1] == v - 1  # the new inner node, numbered after the rest
    assert new_codes[v, new_lens[v] - 1] == 1 and new_codes[j, new_lens[j] - 1] == 0
    # A checkpoint keeps the grown tree (the counts alone would build another).
    model.save_checkpoint(tmp_path / "ck")
    back = Word2Vec.load_checkpoint(tmp_path / "ck")
    for a, b in zip(back.vocab.huffman(), (new_codes, new_points, new_lens), strict=True):
        np.testing.assert_array_equal(a, b)
    import zipfile

    with zipfile.ZipFile(tmp_path / "ck" / "weights.npz") as z:
        assert "tree_codes.npy" in z.namelist()


def test_a_checkpoint_before_an_update_replays_it(base_text, tmp_path):
    sents, royal, _ = base_text
    model = Word2Vec(_config())
    model.train(sents, progress=False, checkpoint=tmp_path / "ck")
    first = model.update(_new_text(royal), progress=False)
    again = Word2Vec.load_checkpoint(tmp_path / "ck").update(_new_text(royal), progress=False)
    assert again.index_to_key == first.index_to_key
    np.testing.assert_array_equal(np.asarray(again.vectors), np.asarray(first.vectors))


def test_subword_models_grow_their_words_not_their_buckets(base_text):
    sents, royal, _ = base_text
    model = FastText(FastTextConfig(vector_size=8, min_count=5, epochs=1, threads=1, bucket=500))
    before = model.train(sents, progress=False)
    n_old = len(before)
    after = model.update(_new_text(royal), progress=False)
    assert len(after) == n_old + 1 and "zorblax" in after
    assert model.syn0.shape[0] == n_old + 1 + 500
    assert after["zorblaxes"].shape == (8,)  # n-grams still answer unseen words


def test_bad_updates_are_clear_errors(base_text):
    sents, royal, _ = base_text
    with pytest.raises(tv.word2vec.TrainingError, match="train or load one first"):
        Word2Vec(_config()).update(_new_text(royal))
    model = Word2Vec(_config(epochs=1))
    model.train(sents, progress=False)
    with pytest.raises(CorpusError, match="empty"):
        model.update([[]], progress=False)
    with pytest.raises(ValueError, match="vector_size cannot change in an update"):
        model.update(_new_text(royal), vector_size=32)
    same = model.update([["king", "queen"]] * 3, progress=False)  # no new word: fine
    assert len(same) == len(model.vocab)


def test_train_continue_command(base_text, tmp_path):
    sents, royal, _ = base_text
    old = tmp_path / "old.txt"
    old.write_text("\n".join(" ".join(s) for s in sents))
    new = tmp_path / "new.txt"
    new.write_text("\n".join(" ".join(s) for s in _new_text(royal)))

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "tokenvec", *args], capture_output=True,
                              text=True, timeout=300)  # fmt: skip

    flags = ["--vector-size", "16", "--epochs", "2", "--threads", "1", "--no-progress"]
    res = cli("train", str(old), "-o", str(tmp_path / "v1"), "--checkpoint", str(tmp_path / "ck"),
              *flags)  # fmt: skip
    assert res.returncode == 0, res.stderr
    res = cli("train", str(new), "--continue", str(tmp_path / "ck"), "-o", str(tmp_path / "v2"),
              *flags)  # fmt: skip
    assert res.returncode == 0, res.stderr
    v1, v2 = tv.load_vectors(tmp_path / "v1"), tv.load_vectors(tmp_path / "v2")
    assert "zorblax" in v2 and "zorblax" not in v1 and len(v2) == len(v1) + 1
    res = cli("train", str(new), "--continue", str(tmp_path / "nowhere"), "-o", str(tmp_path / "x"))
    assert res.returncode == 1 and res.stderr.startswith("error:")


def test_a_corrupt_grown_tree_is_refused(base_text, tmp_path):
    sents, royal, _ = base_text
    model = Word2Vec(_config(hs=True, negative=0, epochs=1))
    model.train(sents, progress=False)
    model.update(_new_text(royal), progress=False, epochs=1)
    model.save_checkpoint(tmp_path / "ck")
    with np.load(tmp_path / "ck" / "weights.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["tree_points"] = arrays["tree_points"].copy()
    arrays["tree_points"][0, 0] = 10**6  # an inner node the output layer lacks
    np.savez(tmp_path / "ck" / "weights.npz", **arrays)
    with pytest.raises(tv.word2vec.CheckpointError, match="out of range"):
        Word2Vec.load_checkpoint(tmp_path / "ck")
    del arrays["tree_lens"]
    np.savez(tmp_path / "ck" / "weights.npz", **arrays)
    with pytest.raises(tv.word2vec.CheckpointError, match="must come together"):
        Word2Vec.load_checkpoint(tmp_path / "ck")
