"""Tokenizers: GPT-2 exactly as tiktoken's reference, word-level vocabularies, the protocol."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tokenvec as tv
from tokenvec.tokenizers import GPT2BPE, Tokenizer, WordLevel, check_fits, gpt2

tiktoken = pytest.importorskip("tiktoken")


@pytest.fixture(scope="module")
def tok() -> GPT2BPE:
    return gpt2()


def test_hand_checked_ids(tok):
    assert tok.encode("Hello, world!") == [15496, 11, 995, 0]
    assert tok.encode("Hello, world! The cat sat on the mat.") == [
        15496,
        11,
        995,
        0,
        383,
        3797,
        3332,
        319,
        262,
        2603,
        13,
    ]
    assert tok.encode("<|endoftext|>", allowed_special={"<|endoftext|>"}) == [50256]
    assert tok.eot_token == 50256 and tok.vocab_size == 50257
    assert tok.id_to_token(262) == "Ġthe" and tok.token_text(262) == " the"
    assert tok.token_to_id("Ġthe") == 262
    assert isinstance(tok, Tokenizer)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a",
        "😀 emoji 🎉",
        "  leading and trailing  ",
        "x" * 100_000,
        "ünïcödé ščř 漢字",
        "tabs\tand\nnewlines\r\n",
        "it's they'll we've",
        "1234567890 3.14",
    ],
)
def test_equals_tiktoken_reference(tok, text):
    # tiktoken's own "gpt2" encoding needs a download; build the reference from the same
    # pinned files with tiktoken's published parameters.
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks
    from tiktoken_ext.openai_public import r50k_pat_str

    from tokenvec.tokenizers import GPT2_DIR

    ref = tiktoken.Encoding(
        name="gpt2-reference",
        pat_str=r50k_pat_str,
        mergeable_ranks=data_gym_to_mergeable_bpe_ranks(
            str(GPT2_DIR / "vocab.bpe"), str(GPT2_DIR / "encoder.json")
        ),
        special_tokens={"<|endoftext|>": 50256},
    )
    assert tok.encode(text) == ref.encode(text)
    assert tok.decode(tok.encode(text)) == text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"])))
def test_round_trip_any_text(tok, text):
    ids = tok.encode_ordinary(text)
    assert tok.decode(ids) == text
    assert all(0 <= i < 50257 for i in ids)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_round_trip_any_bytes(tok, data):
    assert tok.decode_bytes(tok.encode_bytes(data)) == data


def test_bad_input(tok):
    with pytest.raises(ValueError, match=r"special token '<\|endoftext\|>'; pass allowed_special"):
        tok.encode("before <|endoftext|> after")
    assert tok.encode_ordinary("<|endoftext|>") != [50256]  # as plain text: several tokens
    # Lone surrogates cannot be UTF-8: they become U+FFFD, a defined result.
    assert tok.decode(tok.encode("a\udc80b")) == "a\ufffdb"
    assert tok.decode(tok.encode("nul\x00byte")) == "nul\x00byte"
    with pytest.raises(IndexError, match="token id 50257 at position 1"):
        tok.decode([1, 50257])
    with pytest.raises(TypeError, match="encode_bytes"):
        tok.encode(b"bytes")  # type: ignore[arg-type]


def test_refuses_files_that_are_not_gpt2s(tmp_path):
    from tokenvec.tokenizers import GPT2_DIR

    shutil.copy(GPT2_DIR / "vocab.bpe", tmp_path / "vocab.bpe")
    (tmp_path / "encoder.json").write_text('{"a": 0}')
    with pytest.raises(ValueError, match="is not GPT-2's encoder.json: sha256"):
        gpt2(tmp_path / "encoder.json", tmp_path / "vocab.bpe")


def test_word_level(tmp_path):
    tok = WordLevel.train(
        ["The cat sat.", "The dog sat!", "a <eos> b"], min_count=1, special_tokens=["<eos>"]
    )
    assert tok.vocab[:2] == ["<unk>", "<eos>"]
    ids = tok.encode("the cat flew <eos>")
    assert tok.decode(ids) == "the cat <unk> <eos>"
    assert tok.token_to_id("cat") == ids[1]
    back = WordLevel.load(tok.save(tmp_path / "tok.json"))
    assert back.vocab == tok.vocab and back.encode("the cat flew <eos>") == ids
    small = WordLevel.train(["a a a b b c"], max_size=3)
    assert small.vocab == ["<unk>", "a", "b"]
    with pytest.raises(KeyError, match="'zebra' is not in the vocabulary"):
        tok.token_to_id("zebra")
    with pytest.raises(IndexError, match="outside the vocabulary"):
        tok.decode([999])
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a tokenvec word-level tokenizer"):
        WordLevel.load(tmp_path / "bad.json")
    assert isinstance(tok, Tokenizer)


def test_tokenizer_feeds_an_embedding(tok):
    emb = tv.Embedding(tok.vocab_size, 8, seed=0)
    check_fits(tok, emb)
    assert emb(np.array(tok.encode("Hello, world!"))).shape == (4, 8)
    with pytest.raises(ValueError, match="50,257 ids but the embedding only 1,000 rows"):
        check_fits(tok, tv.Embedding(1000, 8))


def test_both_tokenizers_follow_the_protocol():
    from tokenvec.tokenizers import Tokenizer, WordLevel, gpt2

    word = WordLevel.train(["the cat sat"], special_tokens=["<|endoftext|>"])
    for tok in (gpt2(), word):
        assert isinstance(tok, Tokenizer)
        assert tok.eot_token is not None
        ids = tok.encode_ordinary("the cat <|endoftext|>")
        assert tok.eot_token not in ids  # special-token text in data stays ordinary text
        assert [tok.token_text(i) for i in ids]
    assert WordLevel.train(["a b"]).eot_token is None


def test_tiktoken_private_byte_encoder_is_pinned():
    # tokenvec uses tiktoken's private Encoding._encode_bytes in one place only; this pins what
    # it must do: encode any bytes (valid UTF-8 or not) to ids that decode back exactly.
    from tokenvec.tokenizers import _encode_bytes, gpt2

    enc = gpt2()._enc
    assert hasattr(enc, "_encode_bytes"), "tiktoken dropped _encode_bytes: see _encode_bytes"
    for data in (b"Hello, world!", b"caf\xff \xc3", bytes(range(256))):
        assert enc.decode_bytes(_encode_bytes(enc, data)) == data
    assert _encode_bytes(enc, b"Hello, world!") == [15496, 11, 995, 0]


def test_long_whitespace_runs_encode_like_whole_text():
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
def test_tokenize_file_one_word_per_line_stays_small(tmp_path):
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
