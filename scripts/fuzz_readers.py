"""Fuzz tokenvec's vector readers against independent strict parsers.

Run: ``python scripts/fuzz_readers.py --minutes 5 [--seed 0] [--readers glove word2vec ...]``.

Each reader (word2vec binary and text, GloVe, fastText .vec and .bin, native folders of plain,
int8 and static vectors, transformer folders)
gets valid seed files that are then mutated by a seeded mutator (byte flips, insertions,
deletions, truncation, repeated chunks, numbers replaced by junk, odd whitespace, 0xFF bytes,
headers that lie). Every input must either load exactly what the oracle, a plain strict parser
written here from the format's description, reads, or raise ``VectorFormatError``: never
another exception, a hang, or memory beyond a small multiple of the file. The test suite runs
a short version of this harness (tests/test_fuzz.py); this script runs it for longer and
prints counts per reader and outcome.
"""

from __future__ import annotations

import argparse
import codecs
import collections
import itertools
import json
import math
import os
import random
import re
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import tokenvec as tv
from tokenvec import VectorFormatError


class Bad(Exception):
    """The oracle rejects the input."""


# --- oracles: plain strict parsers ------------------------------------------------------------

_HEADER = re.compile(rb"[ \t\r\x0b\x0c]*(\d+)[ \t\r\x0b\x0c]+(\d+)[ \t\r\x0b\x0c]*")
_CONTROL = set(range(0, 9)) | set(range(10, 32)) | {127}


def _number(x: bytes) -> float:
    if b"_" in x:
        raise Bad("underscore")
    try:
        return float(x.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise Bad(f"not a number: {x!r}") from None


def _is_number(x: bytes) -> bool:
    try:
        _number(x)
        return True
    except Bad:
        return False


def _rows(lines: list[bytes], dim: int | None) -> tuple[list[bytes], list[list[float]]]:
    keys, vals = [], []
    for ln in lines:
        s = ln.strip()
        if not s:
            continue
        if b"\r" in s:
            raise Bad("carriage return inside a row")
        f = s.split()
        if dim is None:
            dim = len(f) - 1
            if dim < 1:
                raise Bad("no numbers")
        if len(f) < dim + 1:
            raise Bad("short row")
        nums = [_number(x) for x in f[len(f) - dim :]]
        if len(f) > dim + 1:
            if all(_is_number(x) for x in f[1 : len(f) - dim]):
                raise Bad("long row")
            keys.append(b" ".join(f[: len(f) - dim]))
        else:
            keys.append(f[0])
        vals.append(nums)
    if not keys:
        raise Bad("no rows")
    return keys, vals


def _finish(keys: list[bytes], vals: object, dim: int) -> tuple[list[str], np.ndarray]:
    try:
        words = [k.decode("utf-8") for k in keys]
    except UnicodeDecodeError:
        raise Bad("key not UTF-8") from None
    with np.errstate(over="ignore"):
        mat = np.asarray(vals, dtype=np.float64).astype(np.float32).reshape(len(words), dim)
    if not np.isfinite(mat).all():
        raise Bad("NaN or inf")
    return words, mat


def oracle_glove(data: bytes) -> tuple[list[str], np.ndarray]:
    keys, vals = _rows(data.split(b"\n"), None)
    return _finish(keys, vals, len(vals[0]))


def _header(data: bytes) -> tuple[int, int, int]:
    nl = data.find(b"\n")
    line = data if nl < 0 else data[:nl]
    m = _HEADER.fullmatch(line)
    if not m or len(m.group(1)) > 12 or len(m.group(2)) > 9:
        raise Bad("header")
    n, dim = int(m.group(1)), int(m.group(2))
    if dim < 1:
        raise Bad("dim")
    return n, dim, (len(data) if nl < 0 else nl + 1)


def oracle_word2vec_text(data: bytes) -> tuple[list[str], np.ndarray]:
    n, dim, start = _header(data)
    keys, vals = _rows(data[start:].split(b"\n"), dim)
    if len(keys) != n:
        raise Bad("count")
    return _finish(keys, vals, dim)


def oracle_word2vec(data: bytes) -> tuple[list[str], np.ndarray]:
    n, dim, pos = _header(data)
    if n == 0:
        raise Bad("no rows")
    keys, rows = [], []
    for _ in range(n):
        while pos < len(data) and data[pos] in (10, 13):
            pos += 1
        sp = data.find(b" ", pos, pos + 4097)
        if sp < 0:
            raise Bad("no space")
        word = data[pos:sp]
        if not word or any(b in _CONTROL for b in word):
            raise Bad("word")
        raw = data[sp + 1 : sp + 1 + 4 * dim]
        if len(raw) < 4 * dim:
            raise Bad("truncated")
        keys.append(word)
        rows.append(struct.unpack(f"<{dim}f", raw))
        pos = sp + 1 + 4 * dim
    if data[pos:].strip(b"\n\r\t "):
        raise Bad("trailing data")
    mat = np.asarray(rows, dtype=np.float32).reshape(n, dim)
    with np.errstate(invalid="ignore"):
        if (np.abs(mat) > 1e15).any():
            raise Bad("implausible")
    return _finish(keys, mat, dim)


_LEGACY_KINDS = {"int8": ("keys", "int8"), "pq": ("keys", "pq"), "rq": ("keys", "rq"),
                 "static": ("static", "dense")}  # fmt: skip


def _kinds(meta: dict) -> tuple[str, str]:
    """(vocabulary, storage) a folder's meta.json names: "vocab" and "storage" (each with
    its default), or the one "kind" of folders written before they were named apart."""
    if "kind" in meta and "vocab" not in meta and "storage" not in meta:
        kind = meta["kind"]
        if kind is None:
            return "keys", "dense"
        if not isinstance(kind, str) or kind not in _LEGACY_KINDS:
            raise Bad("kind")
        return _LEGACY_KINDS[kind]
    vocab, storage = meta.get("vocab", "keys"), meta.get("storage", "dense")
    if vocab not in ("keys", "static", "subwords") or storage not in ("dense", "int8", "pq", "rq"):
        raise Bad("kind")
    return vocab, storage


def _kept_lengths(folder: Path, meta: dict, n: int) -> np.ndarray | None:
    """The row lengths a coded folder keeps: meta.json's kept_norms says whether norms.npy
    belongs to it (older folders: whether the file is there)."""
    kept = meta.get("kept_norms", (folder / "norms.npy").is_file())
    if not isinstance(kept, bool):
        raise Bad("kept_norms")
    if not kept:
        return None
    lengths = _small_npy(folder / "norms.npy")
    if (
        lengths.shape != (n,)
        or lengths.dtype.kind != "f"
        or lengths.dtype.itemsize not in (2, 4, 8)
    ):
        raise Bad("norms shape")
    lengths = lengths.astype(np.float32)
    if not np.isfinite(lengths).all() or (lengths < 0).any():
        raise Bad("norms values")
    return lengths


def oracle_native(folder: Path) -> tuple[list[str], np.ndarray]:
    meta, keys, mat = _native_parts(folder, (np.float16, np.float32))
    if _kinds(meta) != ("keys", "dense"):
        raise Bad("kind")
    # A folder whose meta.json records every value finite opens without a scan (queries then
    # keep NaN rows out of every answer); otherwise a NaN row is an error.
    if meta.get("finite") is not True and not np.isfinite(mat).all():
        raise Bad("NaN")
    return keys, np.asarray(mat)


_ST_DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8"}


def _native_parts(folder: Path, dtypes: tuple[type, ...]) -> tuple[dict, list[str], np.ndarray]:
    """meta, keys and matrix of a native folder whose matrix has one of ``dtypes``."""
    try:
        meta = json.loads((folder / "meta.json").read_bytes().decode("utf-8"))
        if not isinstance(meta, dict) or meta.get("format") != "tokenvec-vectors":
            raise Bad("meta")
        n, dim = meta.get("count"), meta.get("dim")
        if not all(type(x) is int and x >= 0 for x in (n, dim)) or meta.get("version") != 2:
            raise Bad("meta values")
        mat = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
    except Bad:
        raise
    except Exception:
        raise Bad("unreadable") from None
    if mat.shape != (n, dim) or mat.dtype not in dtypes:
        raise Bad("shape")
    keys, _ = oracle_native_keys(folder, n)
    return meta, keys, mat


def oracle_native_keys(folder: Path, n: int) -> tuple[list[str], None]:
    try:
        offsets = np.load(folder / "key_offsets.npy", mmap_mode="r", allow_pickle=False)
        blob = (folder / "keys.bin").read_bytes()
    except Exception:
        raise Bad("unreadable") from None
    if offsets.ndim != 1 or offsets.dtype.kind not in "iu" or len(offsets) != n + 1:
        raise Bad("offsets")
    off = [int(x) for x in offsets]
    if off[0] != 0 or off[-1] != len(blob):
        raise Bad("offsets range")
    keys = []
    for a, b in itertools.pairwise(off):
        if b <= a or b > len(blob) or blob[b - 1] != 10:
            raise Bad("offsets order")
        try:
            keys.append(blob[a : b - 1].decode("utf-8", "surrogatepass"))
        except UnicodeDecodeError:
            raise Bad("key") from None
    return keys, None


def _small_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except Exception:
        raise Bad(f"{path.name} unreadable") from None


def oracle_native_int8(folder: Path) -> tuple[list[str], np.ndarray]:
    """int8 codes of the unit rows (decoded codes / ||codes||) times the stored lengths."""
    meta, keys, codes = _native_parts(folder, (np.int8,))
    if _kinds(meta) != ("keys", "int8"):  # (without its kind, an int8 matrix is no folder)
        raise Bad("kind")
    c = np.asarray(codes, dtype=np.float32)
    norm = np.sqrt(np.einsum("ij,ij->i", c, c))
    scale = np.divide(np.float32(1.0), norm, out=np.zeros_like(norm), where=norm > 0)
    unit = c * scale[:, None]
    lengths = _kept_lengths(folder, meta, len(keys))
    return keys, unit if lengths is None else unit * lengths[:, None]


def oracle_native_pq(folder: Path) -> tuple[list[str], np.ndarray]:
    """Product-quantization codes: each row the concatenation of its subspaces' centroids
    (codebook.npy, (m, 256, width)), at unit length."""
    meta, keys, codes = _native_parts(folder, (np.uint8,))
    if _kinds(meta) == ("keys", "rq"):  # the folder says it holds residual codes: read it so
        return oracle_native_rq(folder)
    if _kinds(meta) != ("keys", "pq"):
        raise Bad("kind")
    bounds = meta.get("pq_bounds")
    book = _small_npy(folder / "codebook.npy")
    m = codes.shape[1]
    if not (isinstance(bounds, list) and len(bounds) == m + 1
            and all(type(b) is int and 0 <= b < 2**31 for b in bounds)):  # fmt: skip
        raise Bad("bounds")
    if book.ndim != 3 or book.shape[:2] != (m, 256) or book.dtype.kind != "f":
        raise Bad("codebook")
    widths = np.diff(bounds)
    if bounds[0] != 0 or (widths < 1).any() or widths.max() > book.shape[2]:
        raise Bad("bounds values")
    book = book.astype(np.float32)
    if not np.isfinite(book).all() or np.abs(book).max(initial=0) > 1e4:
        raise Bad("codebook values")
    rows = np.concatenate([book[j, codes[:, j], : widths[j]] for j in range(m)], axis=1)
    return keys, _scaled(folder, meta, rows)


def _scaled(folder: Path, meta: dict, rows: np.ndarray) -> np.ndarray:
    """Decoded code rows at unit length, times the kept lengths if the folder keeps them."""
    n = np.sqrt(np.sum(rows.astype(np.float64) ** 2, axis=1))
    scale = np.divide(1.0, n, out=np.zeros_like(n), where=n > 0).astype(np.float32)
    lengths = _kept_lengths(folder, meta, rows.shape[0])
    unit = rows * scale[:, None]
    return unit if lengths is None else unit * lengths[:, None]


def oracle_native_rq(folder: Path) -> tuple[list[str], np.ndarray]:
    """Residual-quantization codes: each row the sum of its codebooks' centroids (codebook.npy,
    (m, 256, dim)), at unit length."""
    meta, keys, codes = _native_parts(folder, (np.uint8,))
    if _kinds(meta) == ("keys", "pq"):  # the folder says it holds product codes: read it so
        return oracle_native_pq(folder)
    if _kinds(meta) != ("keys", "rq"):
        raise Bad("kind")
    book = _small_npy(folder / "codebook.npy")
    m = codes.shape[1]
    if book.ndim != 3 or book.shape[:2] != (m, 256) or book.shape[2] < 1 or book.dtype.kind != "f":
        raise Bad("codebook")
    book = book.astype(np.float32)
    if not np.isfinite(book).all() or np.abs(book).max(initial=0) > 1e4:
        raise Bad("codebook values")
    rows = np.zeros((len(keys), book.shape[2]), np.float32)
    for j in range(m):
        rows += book[j][codes[:, j]]
    return keys, _scaled(folder, meta, rows)


def oracle_native_static(folder: Path) -> tuple[list[str], np.ndarray]:
    """A native folder with a tokenizer (valid tokenizers JSON) and a token -> row map."""
    meta, keys, mat = _native_parts(folder, (np.float16, np.float32))
    if _kinds(meta) == ("keys", "dense"):  # a folder that lost its kind holds plain vectors
        return oracle_native(folder)
    if _kinds(meta) != ("static", "dense"):
        raise Bad("kind")
    rows = _small_npy(folder / "token_rows.npy")
    if rows.ndim != 1 or rows.dtype.kind not in "iu":
        raise Bad("token rows")
    if rows.size and (rows.min() < -1 or rows.max() >= len(keys)):
        raise Bad("token rows range")
    try:
        import tokenizers

        text = (folder / "tokenizer.json").read_text("utf-8")
        json.loads(text)  # strict JSON (the tokenizers parser lets some broken JSON through)
        tok = tokenizers.Tokenizer.from_str(text)
        probe = tok.encode_batch(["abc x", ""], add_special_tokens=False)  # it must also run
        if any(i >= rows.size for e in probe for i in e.ids):
            raise Bad("the tokenizer names ids the map lacks")
    except BaseException as exc:  # bad JSON, bad UTF-8, or a tokenizer it cannot build or run
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise Bad("tokenizer") from None
    if not np.isfinite(mat).all():
        raise Bad("NaN")
    return keys, np.asarray(mat)


def _make_pq(v: tv.Vectors, out: Path) -> Path:
    if len(v) < 2:  # product quantization needs two rows
        v = tv.Vectors([*v.index_to_key, "pad"], np.concatenate([v.vectors, v.vectors + 1]))
    return v.quantize("pq", subspaces=min(2, v.vector_size), sample=256, iterations=2).save(out)


def _make_static(v: tv.Vectors, out: Path) -> Path:
    import tokenizers
    from tokenizers import models, pre_tokenizers

    vocab = {k: i for i, k in enumerate(v.index_to_key)}
    vocab.setdefault("[UNK]", len(vocab))
    tok = tokenizers.Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    rows = np.full(len(vocab), -1, dtype=np.int64)
    rows[: len(v)] = np.arange(len(v))
    from tokenvec.vectors.static import StaticVectors

    sv = StaticVectors(v.index_to_key, v.vectors, tokenizer_json=tok.to_str(), token_rows=rows)
    return sv.save(out)


def oracle_transformer(folder: Path) -> tuple[list[str], np.ndarray]:
    data = (folder / "model.safetensors").read_bytes()
    if len(data) < 8:
        raise Bad("short")
    (hlen,) = struct.unpack("<Q", data[:8])
    try:
        header = json.loads(data[8 : 8 + hlen].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Bad("header") from None
    if not isinstance(header, dict) or 8 + hlen > len(data):
        raise Bad("header")
    body = data[8 + hlen :]
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict):
            raise Bad("tensor info")
        spans.append((name, info))
    # The reader checks every tensor's layout through safetensors: be as strict here.
    tensor = None
    used = []
    for name, info in spans:
        dt, shape, offs = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if not (isinstance(shape, list) and isinstance(offs, list) and len(offs) == 2):
            raise Bad("layout")
        if not all(type(x) is int and x >= 0 for x in [*shape, *offs]):
            raise Bad("layout values")
        size = {"F16": 2, "F32": 4, "F64": 8, "BF16": 2, "I64": 8, "I32": 4, "U8": 1}.get(dt)
        if size is None or offs[1] - offs[0] != size * math.prod(shape) or offs[1] > len(body):
            raise Bad("sizes")
        used.append(tuple(offs))
        if name == "wte.weight":
            if dt not in _ST_DTYPES or len(shape) != 2:
                raise Bad("dtype")
            tensor = np.frombuffer(body[offs[0] : offs[1]], _ST_DTYPES[dt]).reshape(shape)
    used.sort()
    if used and (used[0][0] != 0 or used[-1][1] != len(body)):
        raise Bad("coverage")
    if any(b[0] != a[1] for a, b in itertools.pairwise(used)):
        raise Bad("gaps")
    if tensor is None:
        raise Bad("no tensor")
    rows = tensor.shape[0]
    try:
        text = (folder / "vocab.txt").read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise Bad("vocab") from None
    keys = [k.removesuffix("\r") for k in text.split("\n")[:-1]] if text else []
    if any("\r" in k for k in keys):
        raise Bad("carriage return")
    if len(keys) > rows:
        raise Bad("too many tokens")
    keys += [f"<unused:{i}>" for i in range(len(keys), rows)]
    mat = tensor.astype(np.float32)
    if not np.isfinite(mat).all():
        raise Bad("NaN")
    return keys, mat


def _ft_hash(data: bytes) -> int:
    h = 2166136261
    for c in data:
        h = ((h ^ (c - 256 if c > 127 else c)) & 0xFFFFFFFF) * 16777619 & 0xFFFFFFFF
    return h


def _ft_ngrams(word: bytes, minn: int, maxn: int, bucket: int) -> list[int]:
    # Character n-grams of "<word>", a character being a UTF-8 lead byte and its continuations.
    chars, i = [], 0
    while i < len(word):
        j = i + 1
        while j < len(word) and word[j] & 0xC0 == 0x80:
            j += 1
        chars.append(word[i:j])
        i = j
    # A string that starts with continuation bytes: they join no character before them.
    out = []
    if bucket <= 0 or maxn <= 0:
        return out
    for a in range(len(chars)):
        if chars[a][0] & 0xC0 == 0x80:
            continue
        for n in range(1, maxn + 1):
            if a + n > len(chars):
                break
            last = a + n == len(chars)
            if n >= minn and not (n == 1 and (a == 0 or last)):
                out.append(_ft_hash(b"".join(chars[a : a + n])) % bucket)
    return out


SUBWORD_PROBES = ("zqxj", "kingz", "a", "дом", "</s>")  # words asked of subword folders


def oracle_native_subwords(folder: Path) -> tuple[list[str], np.ndarray]:
    """A native folder of fastText subwords over dense rows: the word rows, then the vector
    of each of ``SUBWORD_PROBES`` (its last row if a key, else the mean of its n-gram rows,
    float32 summed in order, as fastText sums them; zeros if it has none)."""
    meta, keys, mat = _native_parts(folder, (np.float16, np.float32))
    if _kinds(meta) == ("keys", "dense"):  # a folder that lost its kind holds plain vectors
        return oracle_native(folder)
    if _kinds(meta) != ("subwords", "dense"):
        raise Bad("kind")
    if meta.get("finite") is not True and not np.isfinite(mat).all():
        raise Bad("NaN")
    sub = meta.get("subwords")
    if not isinstance(sub, dict) or not all(
        type(sub.get(k)) is int and 0 <= sub[k] < 2**31 for k in ("minn", "maxn", "bucket", "rows")
    ):
        raise Bad("subwords")
    encoding, ngram_meta = sub.get("encoding", "utf-8"), sub.get("ngrams")
    if not isinstance(encoding, str) or not isinstance(ngram_meta, dict):
        raise Bad("subwords entry")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise Bad("encoding") from None
    if (folder / "ngram_prune.npy").exists():
        raise Bad("pruned")  # (the writer keeps a prune map only for pruned models)
    rows = _small_npy(folder / "ngrams.npy")
    if rows.ndim != 2 or rows.shape != (sub["rows"], mat.shape[1]) or rows.dtype.kind != "f":
        raise Bad("ngrams shape")
    if (
        rows.dtype.itemsize not in (2, 4)
        or not rows.dtype.isnative
        or rows.shape[0] != sub["bucket"]
    ):
        raise Bad("ngrams dtype")
    rows = rows.astype(np.float32)
    last = {k: i for i, k in enumerate(keys)}
    probes = []
    for word in SUBWORD_PROBES:
        if word in last:
            probes.append(np.asarray(mat[last[word]], np.float32))
            continue
        try:  # n-grams of the word's bytes in the folder's encoding
            raw = word.encode(encoding, "surrogateescape")
        except UnicodeError:  # no such bytes: no vector (NaN stands for "none")
            probes.append(np.full(mat.shape[1], np.nan, np.float32))
            continue
        ids = [] if raw == b"</s>" else _ft_ngrams(b"<" + raw + b">", sub["minn"], sub["maxn"],
                                                   sub["bucket"])  # fmt: skip
        total = np.zeros(mat.shape[1], np.float32)
        for i in ids:
            total += rows[i]
        if ids:
            total *= np.float32(1.0 / len(ids))
        if not np.isfinite(total).all():
            raise Bad("NaN n-gram rows")
        probes.append(total)
    return keys, np.concatenate([np.asarray(mat, np.float32), np.stack(probes)])


def _make_subwords(v: tv.Vectors, out: Path) -> Path:
    from tokenvec.io.fasttext_bin import FastTextArgs, FastTextModel

    words = v.index_to_key
    rng = np.random.default_rng(len(words))
    rows = np.concatenate([v.vectors, rng.standard_normal((50, v.vector_size))])
    model = FastTextModel.from_words(
        FastTextArgs(dim=v.vector_size, bucket=50, minn=2, maxn=3, model=2, loss=2),
        words, [w.encode("utf-8", "surrogateescape") for w in words],
        counts=np.ones(len(words), np.int64), input=rows.astype(np.float32), output=None,
        ntokens=len(words), prune=None,
    )  # fmt: skip
    return tv.SubwordVectors.from_model(model).save(out)


def _subword_view(v: tv.Vectors) -> np.ndarray:
    """The word rows of subword vectors and the vectors of ``SUBWORD_PROBES`` (NaN for one
    that has no bytes in the model's encoding, which is a KeyError to ask)."""
    if not isinstance(v, tv.SubwordVectors):
        return np.asarray(v.vectors)
    nan = np.full(v.vector_size, np.nan, np.float32)
    probes = [v[w] if w in v or v._has_bytes(w) else nan for w in SUBWORD_PROBES]
    return np.concatenate([np.asarray(v.vectors, np.float32), np.stack(probes).astype(np.float32)])


def oracle_fasttext_bin(data: bytes) -> tuple[list[str], np.ndarray]:
    """fastText .bin (magic 793712314, version 11 or 12, or the oldest files without magic)."""

    def take(fmt: str) -> tuple:
        nonlocal pos
        size = struct.calcsize("<" + fmt)
        if pos + size > len(data):
            raise Bad("truncated")
        out = struct.unpack_from("<" + fmt, data, pos)
        pos += size
        return out

    pos = 0
    magic, version = take("2i")
    new = magic == 793712314
    if new:
        if version not in (11, 12):
            raise Bad("version")
        dim, _, _, _, _, _, loss, model, bucket, minn, maxn, _, t = take("12id")
        if version == 11 and model == 3:
            maxn = 0  # fastText: old supervised models use no character n-grams
    else:
        dim = magic
        if not (0 < dim <= 65536 and 0 < version <= 10000):
            raise Bad("magic")
        _, _, _, _, loss, model, bucket, minn, maxn, _, t = take("10id")
    if not (0 < dim <= 65536 and loss in (1, 2, 3, 4) and model in (1, 2, 3) and bucket >= 0
            and 0 <= minn <= 256 and 0 <= maxn <= 256 and math.isfinite(t)):  # fmt: skip
        raise Bad("arguments")
    size, nwords, nlabels = take("3i")
    (ntokens,) = take("q")
    prune = take("q")[0] if new else -1
    if not (0 <= nwords <= size and nlabels >= 0 and nwords + nlabels == size):
        raise Bad("dictionary sizes")
    if ntokens < 0 or prune < -1:
        raise Bad("dictionary counts")
    if prune >= 0:
        raise Bad("a pruned table in a full-precision model (fastText: invalid model file)")
    words = []
    for i in range(size):
        end = data.find(b"\0", pos, pos + 65537)
        if end < 0:
            raise Bad("word")
        word = data[pos:end]
        pos = end + 1
        count, kind = take("qb")
        if count < 0 or kind != (0 if i < nwords else 1):
            raise Bad("entry")
        if i < nwords:
            words.append(word)
    mats = []
    for _ in range(2):
        if new and take("B")[0] != 0:
            raise Bad("quantized")
        m, n = take("2q")
        if n != dim or m < 0 or pos + m * n * 4 > len(data):
            raise Bad("matrix")
        mats.append(np.frombuffer(data, "<f4", m * n, pos).reshape(m, n))
        pos += m * n * 4
    if pos != len(data):
        raise Bad("trailing data")
    inp = mats[0]
    if inp.shape[0] != nwords + bucket:
        raise Bad("input rows")
    try:
        keys = [w.decode("utf-8") for w in words]
    except UnicodeDecodeError:
        raise Bad("not UTF-8") from None
    vecs = np.zeros((nwords, dim), np.float32)
    for i, w in enumerate(words):
        rows = [i]
        if w != b"</s>":  # every "</s>" entry, repeated or not, has no n-grams
            rows += [nwords + h for h in _ft_ngrams(b"<" + w + b">", minn, maxn, bucket)]
        if max(rows) >= inp.shape[0]:
            raise Bad("row outside the input matrix")
        acc = np.zeros(dim, np.float32)
        with np.errstate(over="ignore", invalid="ignore"):
            for r in rows:
                acc += inp[r]
            acc *= np.float32(1.0 / len(rows))
        vecs[i] = acc
    if not np.isfinite(vecs).all():
        raise Bad("NaN or inf")
    return keys, vecs


def _make_fasttext_bin(v: tv.Vectors, out: Path) -> Path:
    from tokenvec.io import fasttext_bin as fasttext

    rng = np.random.default_rng(len(v) * 7 + v.vector_size)
    minn = int(rng.integers(1, 4))
    bucket = int(rng.integers(1, 9))
    args = fasttext.FastTextArgs(dim=v.vector_size, bucket=bucket, minn=minn, maxn=minn + 1)
    raw = [k.encode() for k in v.index_to_key]
    rows = np.concatenate([v.vectors, rng.standard_normal((bucket, v.vector_size), np.float32)])
    model = fasttext.FastTextModel.from_words(
        args, list(v.index_to_key), raw, counts=np.ones(len(raw), np.int64), input=rows,
        output=np.zeros((len(raw), v.vector_size), np.float32), ntokens=len(raw), prune=None,
    )  # fmt: skip
    return fasttext.write_fasttext(model, out)


# --- seeds and mutations -------------------------------------------------------------------------


def seed_vectors(rng: random.Random) -> tv.Vectors:
    n, dim = rng.randint(1, 6), rng.randint(1, 5)
    alphabet = "abcxyzé中-'.0123456789"
    keys = list(
        dict.fromkeys("".join(rng.choices(alphabet, k=rng.randint(1, 6))) for _ in range(n))
    )
    vals = np.asarray([[rng.uniform(-3, 3) for _ in range(dim)] for _ in keys], np.float32)
    return tv.Vectors(keys, vals)


JUNK = [b" ", b"\n", b"\r", b"\t", b"\xff", b"\x00", b"0", b"-", b".", b"e", b"1e39", b"nan",
        b"inf", b"1_0", b"0x1", b"\xc3", b"\xe2\x82", b"  ", b"\n\n", b"99999999999999999999"]  # fmt: skip


def mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(9)
        pos = rng.randint(0, len(b))
        if op == 0 and b:
            b[min(pos, len(b) - 1)] = rng.randrange(256)
        elif op == 1:
            b[pos:pos] = rng.choice(JUNK)
        elif op == 2 and b:
            del b[pos : pos + rng.randint(1, 8)]
        elif op == 3:
            del b[pos:]
        elif op == 4 and b:
            a = rng.randint(0, len(b) - 1)
            b[pos:pos] = b[a : a + rng.randint(1, 40)]
        elif op == 5:  # replace a number-looking token
            m = list(re.finditer(rb"-?\d+\.?\d*(e-?\d+)?", bytes(b)))
            if m:
                t = rng.choice(m)
                b[t.start() : t.end()] = rng.choice(JUNK)
        elif op == 6:  # lie in a header
            m = re.match(rb"(\d+) (\d+)", bytes(b))
            if m:
                g = rng.choice([1, 2])
                b[m.start(g) : m.end(g)] = str(rng.choice([0, 1, 7, 10**6, 3 * 10**9])).encode()
        elif op == 7 and b:
            a = rng.randint(0, len(b) - 1)
            b[a] ^= 1 << rng.randrange(8)
        elif op == 8:
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 6)))
    return bytes(b)


# Where a version-12 .bin keeps its fields: (offset, struct format).
_FT_INTS = [(4, "i"), *((8 + 4 * k, "i") for k in range(12)), (64, "i"), (68, "i"), (72, "i")]
_FT_LONGS = [(76, "q"), (84, "q")]
_FT_EXTREMES = [0, 1, -1, 2, 3, 11, 12, 255, 256, 257, 65536, 65537, 2**31 - 1, -(2**31)]
_FT_LONG_EXTREMES = [0, 1, -1, -2, 3, 2**31, 2**40, 2**62, -(2**62)]


def _ft_entries(data: bytes) -> tuple[bytes, list[bytes], bytes] | None:
    """(header, dictionary entries (word, NUL, count, type), rest) of a well-formed file."""
    if len(data) < 92:
        return None
    size = struct.unpack_from("<i", data, 64)[0]
    pos, entries = 92, []
    for _ in range(max(size, 0)):
        end = data.find(b"\0", pos)
        if end < 0 or end + 10 > len(data):
            return None
        entries.append(data[pos : end + 10])
        pos = end + 10
    return data[:92], entries, data[pos:]


def mutate_fasttext_bin(data: bytes, rng: random.Random) -> bytes:
    """Mutations that know the .bin layout: header fields at their extremes, an old supervised
    model, a pruned-bucket table, repeated and "</s>" words, truncation at field boundaries."""
    b = bytearray(data)
    parts = _ft_entries(data)
    op = rng.randrange(6)
    if op == 0 or parts is None:
        off, fmt = rng.choice(_FT_INTS + _FT_LONGS)
        values = _FT_EXTREMES if fmt == "i" else _FT_LONG_EXTREMES
        if off + struct.calcsize(fmt) <= len(b):
            struct.pack_into("<" + fmt, b, off, rng.choice(values))
        return bytes(b)
    head, entries, rest = parts
    h = bytearray(head)
    if op == 1:  # an old supervised model: fastText reads it without n-grams
        struct.pack_into("<i", h, 4, 11)
        struct.pack_into("<i", h, 36, rng.choice([1, 2, 3, 3]))
    elif op == 2:  # a pruned-bucket table, its size claimed or real
        k = rng.choice([0, 1, 2, 5, 10**6, 2**40])
        struct.pack_into("<q", h, 84, k)
        table = struct.pack(
            f"<{2 * min(k, 5)}i", *(rng.randrange(-3, 50) for _ in range(2 * min(k, 5)))
        )
        rest = table + rest
    elif op == 3 and len(entries) >= 2:  # a repeated word (fastText: the last one wins)
        i, j = rng.sample(range(len(entries)), 2)
        word_j = entries[j][: entries[j].index(b"\0")]
        entries[i] = word_j + entries[i][entries[i].index(b"\0") :]
    elif op == 4 and entries:  # "</s>", once or more
        for i in rng.sample(range(len(entries)), rng.randint(1, len(entries))):
            entries[i] = b"</s>" + entries[i][entries[i].index(b"\0") :]
    else:  # truncated at a field boundary
        whole = bytes(h) + b"".join(entries) + rest
        cuts = [4, 8, 60, 64, 68, 76, 84, 92, 92 + len(b"".join(entries)), len(whole) - 4]
        return whole[: rng.choice([c for c in cuts if 0 <= c < len(whole)] or [0])]
    return bytes(h) + b"".join(entries) + rest


def _make_rq(v: tv.Vectors, out: Path) -> Path:
    if len(v) < 2:  # residual quantization needs two rows
        v = tv.Vectors([*v.index_to_key, "pad"], np.concatenate([v.vectors, v.vectors + 1]))
    return v.quantize("rq", subspaces=2, sample=256, iterations=2).save(out)


@dataclass
class Reader:
    name: str
    fmt: str
    is_folder: bool
    make: Callable[[tv.Vectors, Path], Path]
    oracle: Callable[..., tuple[list[str], np.ndarray]]
    files: tuple[str, ...] = ()
    rtol: float = 0.0  # decoded forms (int8) match the oracle to float rounding
    structured: Callable[[bytes, random.Random], bytes] | None = None  # format-aware mutations
    last_wins: bool = False  # a repeated key looks up its last row (fastText's rule)
    view: Callable[[tv.Vectors], np.ndarray] | None = None  # what is compared (default: rows)


def _make_transformer(v: tv.Vectors, out: Path) -> Path:
    from safetensors.numpy import save_file

    out.mkdir()
    save_file({"wte.weight": np.ascontiguousarray(v.vectors)}, str(out / "model.safetensors"))
    (out / "vocab.txt").write_text("".join(k + "\n" for k in v.index_to_key), "utf-8")
    return out


READERS = {
    "word2vec": Reader("word2vec", "word2vec", False,
                       lambda v, p: v.save(p, format="word2vec"), oracle_word2vec),
    "word2vec-text": Reader("word2vec-text", "word2vec-text", False,
                            lambda v, p: v.save(p, format="word2vec-text"), oracle_word2vec_text),
    "fasttext": Reader("fasttext", "fasttext", False,
                       lambda v, p: v.save(p, format="fasttext"), oracle_word2vec_text),
    "glove": Reader("glove", "glove", False,
                    lambda v, p: v.save(p, format="glove"), oracle_glove),
    "native": Reader("native", "native", True, lambda v, p: v.save(p), oracle_native,
                     ("meta.json", "keys.bin", "key_offsets.npy", "vectors.npy")),
    "transformer": Reader("transformer", "transformer", True, _make_transformer,
                          oracle_transformer, ("model.safetensors", "vocab.txt")),
    "fasttext-bin": Reader("fasttext-bin", "fasttext-bin", False, _make_fasttext_bin,
                           oracle_fasttext_bin, structured=mutate_fasttext_bin, last_wins=True),
    "native-float16": Reader("native-float16", "native", True,
                             lambda v, p: v.quantize("float16").save(p), oracle_native,
                             ("meta.json", "keys.bin", "key_offsets.npy", "vectors.npy")),
    "native-int8": Reader("native-int8", "native", True,
                          lambda v, p: v.quantize("int8").save(p), oracle_native_int8,
                          ("meta.json", "keys.bin", "key_offsets.npy", "vectors.npy",
                           "norms.npy"), rtol=1e-6),
    "native-pq": Reader("native-pq", "native", True, _make_pq, oracle_native_pq,
                        ("meta.json", "keys.bin", "key_offsets.npy", "vectors.npy",
                         "codebook.npy"), rtol=1e-5),
    "native-rq": Reader("native-rq", "native", True, _make_rq, oracle_native_rq,
                        ("meta.json", "keys.bin", "key_offsets.npy", "vectors.npy",
                         "codebook.npy"), rtol=1e-5),
    "native-static": Reader("native-static", "native", True, _make_static, oracle_native_static,
                            ("meta.json", "keys.bin", "key_offsets.npy", "vectors.npy",
                             "tokenizer.json", "token_rows.npy")),
    "native-subwords": Reader("native-subwords", "native", True, _make_subwords,
                              oracle_native_subwords, ("meta.json", "keys.bin",
                              "key_offsets.npy", "vectors.npy", "ngrams.npy"),
                              view=_subword_view),
}  # fmt: skip


# --- running one input ---------------------------------------------------------------------------


class Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise Hang


@dataclass
class Result:
    outcome: str  # loaded, rejected, rejected-valid, misread, crash, hang, memory
    detail: str = ""


def _load(reader: Reader, path: Path, fmt: str | None) -> tv.Vectors:
    if reader.fmt == "transformer":
        from tokenvec.vectors.loading import from_transformer

        return from_transformer(path)
    v = tv.load_vectors(path, format=fmt)  # type: ignore[arg-type]
    if hasattr(v, "rows_of_texts"):  # static vectors: their tokenizer is read on first use
        v.encode(["abc x", ""])
    return v


def _same(keys_got: list[str], got: np.ndarray, expect: tuple[list[str], np.ndarray],
          rtol: float = 0.0) -> bool:  # fmt: skip
    keys, mat = expect
    if keys_got != keys or got.shape != mat.shape:
        return False
    a, b = got.astype(np.float32), mat.astype(np.float32)
    if rtol:
        return bool(np.allclose(a, b, rtol=rtol, atol=0, equal_nan=True))
    return bool(np.array_equal(a, b, equal_nan=True))


def run_one(
    reader: Reader,
    path: Path,
    detect: bool,
    seconds: float = 5.0,
    data: bytes | None = None,
    memory_cap: int | None = None,
) -> Result:
    """Load ``path`` with tokenvec and with the oracle, and compare (``data``: the bytes of
    ``path`` when it is a pipe, which the oracle cannot read again)."""
    if data is not None:
        size = len(data)
    else:
        size = (
            sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else path.stat().st_size
        )
    fmt = None if detect else reader.fmt
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            v = _load(reader, path, fmt)
            # subword models compute their word vectors on first use
            got = reader.view(v) if reader.view is not None else np.asarray(v.vectors)
        outcome: Result | None = None
    except VectorFormatError as exc:
        outcome = Result("rejected", str(exc)[:200])
    except Hang:
        return Result("hang", "")
    except BaseException as exc:  # anything else is a raw exception (a Rust panic too)
        if isinstance(exc, KeyboardInterrupt):
            raise
        return Result("crash", f"{type(exc).__name__}: {str(exc)[:300]}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    if peak > (memory_cap or max(64 * size, 16 * 2**20)):
        return Result("memory", f"{peak:,} bytes for a {size:,}-byte input")
    oracles = [reader.oracle]
    if detect and not reader.is_folder:  # detection may pick any file format
        oracles = [
            READERS[n].oracle for n in ("word2vec", "word2vec-text", "glove", "fasttext-bin")
        ]
    expects = []
    for oracle in oracles:
        try:
            raw = data if data is not None else None if reader.is_folder else path.read_bytes()
            expects.append(oracle(path if reader.is_folder else raw))
        except Bad:
            pass
    if outcome is not None:
        return Result("rejected-valid", outcome.detail) if expects and not detect else outcome
    if any(_same(v.index_to_key, got, e, reader.rtol) for e in expects):
        if reader.last_wins and not _last_wins(v):
            return Result("misread", "a repeated word does not look up its last row")
        return Result("loaded")
    return Result("misread", f"{v.index_to_key[:5]} {np.asarray(v.vectors)[:2].tolist()}")


def _last_wins(v: tv.Vectors) -> bool:
    last = {k: i for i, k in enumerate(v.index_to_key)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return all(v.key_to_index[k] == i for k, i in last.items())


def _feed_fifo(fifo: Path, data: bytes, seconds: float) -> threading.Thread:
    """A thread writing ``data`` into ``fifo`` once a reader opens it (giving up after
    ``seconds``, and when the reader closes early)."""

    def run() -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:  # ENXIO: no reader yet
                if time.monotonic() > deadline:
                    return
                time.sleep(0.001)
        os.set_blocking(fd, True)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except OSError:  # the reader stopped reading (it rejected the input): fine
            pass
        finally:
            os.close(fd)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def run_piped(reader: Reader, path: Path, detect: bool) -> Result:
    """``run_one`` on the same bytes fed through a FIFO (read once, never opened twice)."""
    data = path.read_bytes()
    fifo = path.with_name(path.name + ".fifo")
    if fifo.exists():
        fifo.unlink()
    os.mkfifo(fifo)
    feeder = _feed_fifo(fifo, data, 5.0)
    try:
        return run_one(reader, fifo, detect, data=data)
    finally:
        feeder.join(6.0)
        fifo.unlink()


@dataclass
class Stats:
    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    examples: dict[str, tuple[bytes | str, str]] = field(default_factory=dict)


FAILURES = ("crash", "hang", "misread", "memory")
DEVICES = ("/dev/null", "/dev/zero")


def fuzz(
    names: list[str], seconds: float, seed: int, workdir: Path, max_inputs: int | None = None
) -> dict[str, Stats]:
    """Fuzz each reader for ``seconds`` (or ``max_inputs`` inputs); counts per outcome."""
    stats = {n: Stats() for n in names}
    warm = workdir / "warm.bin"  # compile the binary scanner first: JIT memory is not the input's
    tv.load_vectors(tv.Vectors(["a"], np.ones((1, 2), np.float32)).save(warm, format="word2vec"))
    warm.unlink()
    # ... and the fastText kernels (dictionary scan, word gathering, n-gram table, means).
    ft = _make_fasttext_bin(tv.Vectors(["ab", "c"], np.ones((2, 2), np.float32)), warm)
    np.asarray(tv.load_vectors(ft).vectors)
    warm.unlink()
    for name in names:
        reader = READERS[name]
        rng = random.Random(f"{seed}-{name}")
        if not reader.is_folder:  # device files: refused, in bounded time and memory
            for device, detect in itertools.product(DEVICES, (False, True)):
                # An endless device may be read up to the readers' longest line (64 MiB).
                res = run_one(reader, Path(device), detect, data=b"", memory_cap=200 * 2**20)
                stats[name].counts[f"{res.outcome} (device)"] += 1
                if res.outcome != "rejected" and res.outcome not in stats[name].examples:
                    stats[name].examples[res.outcome] = (device, res.detail)
        deadline = time.monotonic() + seconds
        i = 0
        while time.monotonic() < deadline and (max_inputs is None or i < max_inputs):
            i += 1
            target = workdir / f"{name}-{i % 2}"
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            path = reader.make(seed_vectors(rng), target)
            if reader.is_folder:
                victim = path / rng.choice(reader.files)
                victim.write_bytes(mutate(victim.read_bytes(), rng))
                shown: bytes | str = f"{victim.name}: {victim.read_bytes()[:300]!r}"
            else:
                how = reader.structured if reader.structured and rng.random() < 0.5 else mutate
                path.write_bytes(how(path.read_bytes(), rng))
                shown = path.read_bytes()[:300]
            detect = (not reader.is_folder) and rng.random() < 0.3
            piped = (not reader.is_folder) and rng.random() < 0.1
            res = run_piped(reader, path, detect) if piped else run_one(reader, path, detect)
            key = res.outcome + (" (detected)" if detect else "") + (" (pipe)" if piped else "")
            stats[name].counts[key] += 1
            if (
                res.outcome in (*FAILURES, "rejected-valid")
                and res.outcome not in stats[name].examples
            ):
                stats[name].examples[res.outcome] = (shown, res.detail)
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="minutes per reader")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--readers", nargs="+", default=list(READERS), choices=list(READERS))
    parser.add_argument("--inputs", type=int, default=None, help="stop after this many per reader")
    args = parser.parse_args()
    warnings.showwarning = lambda *a, **k: None  # duplicate-key warnings are expected here
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as d:
        stats = fuzz(args.readers, args.minutes * 60, args.seed, Path(d), args.inputs)
    bad = 0
    for name, st in stats.items():
        total = sum(st.counts.values())
        parts = ", ".join(f"{k} {v:,}" for k, v in sorted(st.counts.items()))
        print(f"{name}: {total:,} inputs: {parts}")
        for outcome, (data, detail) in st.examples.items():
            bad += outcome in FAILURES
            print(f"  first {outcome}: {detail}\n    input: {data!r}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
