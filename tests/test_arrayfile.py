"""A large corpus in temporary files: the same training as in memory, nothing left behind,
clear errors when the temporary folder fails or the file changes underneath."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile

import numpy as np
import pytest

from tokenvec.word2vec import Vocab, Word2Vec, Word2VecConfig
from tokenvec.word2vec.arrayfile import ArrayFile
from tokenvec.word2vec.corpus import Corpus, CorpusError, _Scanner
from tokenvec.word2vec.fasttext import FastText, FastTextConfig
from tokenvec.word2vec.vocab import EncodedCorpus


@pytest.fixture
def tmpdir_only(tmp_path, monkeypatch):
    """Python's temporary folder pointed at an empty folder of the test's own."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def corpus_file(tmp_path, lines=1500, seed=0):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(120)]
    p = tmp_path / "corpus.txt"
    text = [" ".join(rng.choice(words, rng.integers(1, 40))) for _ in range(lines)]
    p.write_text("\n".join(text) + "\n")
    return p


def digest(a: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(a).tobytes()).hexdigest()


def test_array_file_reads_what_was_written(tmpdir_only):
    f = ArrayFile(np.int64)
    f.append(np.arange(10))
    f.append(np.arange(10, 25))
    np.testing.assert_array_equal(f.read(0, 25), np.arange(25))
    f.write(3, np.array([-1, -2]))
    np.testing.assert_array_equal(f.read(2, 6), [2, -1, -2, 5])
    f.truncate(4)
    assert len(f) == 4 and f.read(4, 4).size == 0
    for bad in (lambda: f.read(0, 5), lambda: f.read(3, 2), lambda: f.write(5, np.ones(1))):
        with pytest.raises(IndexError):
            bad()
    assert os.listdir(tmpdir_only) == []  # unnamed: nothing to see, nothing to remove
    f.close()


@pytest.mark.parametrize(
    "make",
    [
        lambda: Word2Vec(Word2VecConfig(sg=True, min_count=2, vector_size=16, epochs=2, threads=1)),
        lambda: Word2Vec(
            Word2VecConfig(sg=False, min_count=2, vector_size=16, epochs=2, threads=1)
        ),
        lambda: Word2Vec(
            Word2VecConfig(sg=True, min_count=2, vector_size=16, epochs=2, threads=1, batch=True)
        ),
        lambda: FastText(FastTextConfig(min_count=2, vector_size=16, epochs=1, threads=1)),
    ],
    ids=["skip-gram", "cbow", "batched", "fasttext"],
)
def test_training_from_temporary_files_equals_training_in_memory(
    make, tmp_path, tmpdir_only, monkeypatch
):
    """Past SPILL_WORDS the scan's ids and bounds go to files and chunks are read back one at
    a time: the vectors are bit for bit those of the corpus held in memory, and the files go
    with the run."""
    path = corpus_file(tmp_path)
    held = make().train(path, progress=False)
    monkeypatch.setattr(_Scanner, "SPILL_WORDS", 500)
    model = make()
    spilled = model.train(path, progress=False)
    assert digest(spilled.vectors) == digest(held.vectors)
    assert os.listdir(tmpdir_only) == []


def test_the_scan_and_encoding_in_files_equal_those_in_memory(tmp_path, tmpdir_only, monkeypatch):
    path = corpus_file(tmp_path)
    cfg = Word2VecConfig(min_count=3)
    a = Corpus(path)
    va = Vocab.build(a, cfg)
    ea = EncodedCorpus.encode(a, va, 700)
    monkeypatch.setattr(_Scanner, "SPILL_WORDS", 1000)
    b = Corpus(path)
    scan = b.scan()
    assert isinstance(scan.ids, ArrayFile)
    vb = Vocab.build(b, cfg)
    eb = EncodedCorpus.encode(b, vb, 700)
    assert vb.words == va.words
    assert isinstance(eb.words, ArrayFile) and isinstance(eb.starts, ArrayFile)
    np.testing.assert_array_equal(eb.all_words(), ea.words)
    np.testing.assert_array_equal(eb.all_starts(), ea.starts)
    np.testing.assert_array_equal(eb.chunks, ea.chunks)
    np.testing.assert_array_equal(eb.chunk_words(), ea.chunk_words())
    for k in range(ea.n_chunks):
        words, bounds = ea.chunk(k)
        got_words, got_bounds = eb.chunk(k)
        np.testing.assert_array_equal(got_words, words[bounds[0] : bounds[-1]])
        np.testing.assert_array_equal(got_bounds, bounds - bounds[0])


def test_ids_changed_underneath_are_refused_before_the_kernel(tmp_path, tmpdir_only, monkeypatch):
    """The kernel runs without bounds checks: ids read back from the file are checked a
    chunk at a time, and a file cut short is an error, not a short read."""
    monkeypatch.setattr(_Scanner, "SPILL_WORDS", 500)
    path = corpus_file(tmp_path)
    for change, match in (
        (lambda enc: enc.words.write(5, np.array([10**6])), "word ids outside"),
        (lambda enc: enc.starts.write(1, np.array([-3])), "sentence starts"),
        (lambda enc: enc.starts.write(enc.starts.size - 1, np.array([10**7])), "changed it"),
        (lambda enc: enc.starts.write(0, np.array([-1])), "something else changed it"),
        (lambda enc: enc.words.truncate(enc.words.size // 2), "before item"),
    ):
        model = Word2Vec(Word2VecConfig(min_count=2, vector_size=8, epochs=1, threads=1))
        corpus = Corpus(path)
        model.vocab = Vocab.build(corpus, model.config)
        enc = EncodedCorpus.encode(corpus, model.vocab, model.config.chunk_words)
        model._init_model()
        if "before item" in match:  # the size the corpus was encoded with, the file cut
            size = enc.words.size
            change(enc)
            enc.words.size = size
        else:
            change(enc)
        with pytest.raises((ValueError, CorpusError), match=match):
            model._run(corpus, False, [], None, 10.0, enc)


def test_a_temporary_folder_that_fails_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(_Scanner, "SPILL_WORDS", 500)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    path = corpus_file(tmp_path)
    with pytest.raises(CorpusError, match="TMPDIR"):
        Word2Vec(min_count=2, epochs=1).train(path, progress=False)


def test_a_full_disk_is_a_clear_error(tmp_path, tmpdir_only, monkeypatch):
    f = ArrayFile(np.int32)

    def full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full)
    with pytest.raises(CorpusError, match="no space left.*TMPDIR"):
        f.append(np.arange(3))
