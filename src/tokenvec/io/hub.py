"""The token-embedding matrix and vocabulary of a local Hugging Face model folder.

Returns plain parts (keys, matrix); :func:`tokenvec.vectors.loading.load_vectors` builds the
``Vectors``.

Reads safetensors weights (without torch) and the vocabulary from ``vocab.txt`` (WordPiece),
``tokenizer.json``, or GPT-2's ``vocab.json`` / ``encoder.json``. A byte-level BPE vocabulary
(GPT-2's) spells its tokens in a printable stand-in for bytes (``'Ġworld'``); the keys here
are the text each token stands for (``' world'``), and a token that is part of a character
keeps its bytes as Python's ``surrogateescape`` does. Nothing is downloaded.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from tokenvec.io.files import VectorFormatError


class MissingTensorError(VectorFormatError, KeyError):
    """No token-embedding tensor under the names looked for."""

    def __str__(self) -> str:  # a KeyError would show its message in quotes
        return str(self.args[0]) if self.args else ""


# Names under which common architectures store their token-embedding matrix.
EMBEDDING_TENSORS = (
    "embeddings.word_embeddings.weight",  # BERT, MiniLM, RoBERTa (bare)
    "bert.embeddings.word_embeddings.weight",
    "roberta.embeddings.word_embeddings.weight",
    "wte.weight",  # GPT-2 (bare)
    "transformer.wte.weight",
    "model.embed_tokens.weight",  # Llama, Mistral, Qwen
    "embed_tokens.weight",
    "shared.weight",  # T5
    "gpt_neox.embed_in.weight",
)


VOCAB_FILES = ("vocab.txt", "tokenizer.json", "vocab.json", "encoder.json")


def is_model_folder(path: Path) -> bool:
    """Whether ``path`` is a folder of safetensors weights (and not a tokenvec folder): a
    model folder, whose vocabulary file is looked for when it is read."""
    if not path.is_dir() or (path / "meta.json").exists():
        return False
    return (path / "model.safetensors.index.json").is_file() or any(path.glob("*.safetensors"))


def byte_decoder() -> dict[str, int]:
    """GPT-2's printable stand-in for each byte, reversed: ``{'Ġ': 32, 'a': 97, ...}``.

    >>> byte_decoder()["Ġ"], byte_decoder()["a"]
    (32, 97)
    """
    kept = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
            *range(ord("®"), ord("ÿ") + 1)]  # fmt: skip
    chars = list(kept)
    extra = 0
    for b in range(256):
        if b not in kept:
            kept.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(kept, chars, strict=True)}


def byte_level_text(tokens: list[str]) -> list[str]:
    """Byte-level BPE tokens as the text they stand for (bytes that are not whole UTF-8
    characters as ``surrogateescape`` keeps them); a token that is not byte-level (a special
    token like ``<|endoftext|>``) as it is.

    >>> byte_level_text(["Ġworld", "<|endoftext|>", "Ã©"])
    [' world', '<|endoftext|>', 'é']
    """
    table = byte_decoder()
    out = []
    for tok in tokens:
        if tok.startswith("<|") or not all(ch in table for ch in tok):
            out.append(tok)
        else:
            out.append(bytes(table[ch] for ch in tok).decode("utf-8", "surrogateescape"))
    return out


def _byte_level(folder: Path, name: str, data: object) -> bool:
    """Whether a vocabulary file describes byte-level BPE (GPT-2's)."""
    if name in ("vocab.json", "encoder.json"):
        return (
            (folder / "merges.txt").is_file()
            or (folder / "vocab.bpe").is_file()
            or (name == "encoder.json")
        )
    if not isinstance(data, dict):
        return False
    parts = [data.get("pre_tokenizer"), data.get("decoder")]
    return any(isinstance(p, dict) and p.get("type") == "ByteLevel" for p in parts)


def _weight_files(folder: Path) -> list[Path]:
    single = folder / "model.safetensors"
    if single.is_file():
        return [single]
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        try:
            files = sorted(set(json.loads(index.read_text("utf-8"))["weight_map"].values()))
            paths = [folder / f for f in files]
        except (UnicodeDecodeError, ValueError, RecursionError, KeyError, TypeError) as exc:
            raise VectorFormatError(f"{index}: not a weight index ({exc})") from None
        outside = [p for p in paths if p.resolve().parent != folder.resolve()]
        if outside:
            raise VectorFormatError(f"{index}: names a file outside the folder ({outside[0]})")
        return paths
    found = sorted(folder.glob("*.safetensors"))
    if not found:
        raise FileNotFoundError(
            f"{folder}: no safetensors weights (model.safetensors or shards); "
            f"convert .bin checkpoints to safetensors first (pickle files are never read)"
        )
    return found


def _read_embedding(files: list[Path], tensor: str | None) -> tuple[str, np.ndarray]:
    from safetensors import safe_open  # a core dependency, imported on first use only

    names = (tensor,) if tensor else EMBEDDING_TENSORS
    seen: list[str] = []
    for path in files:
        try:
            with safe_open(str(path), framework="numpy") as f:
                keys = list(f.keys())
                seen.extend(keys)
                for name in names:
                    if name in keys:
                        return name, f.get_tensor(name)
        except Exception as exc:  # safetensors raises its own SafetensorError, OSError, ...
            reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            raise VectorFormatError(
                f"{path}: cannot read safetensors ({type(exc).__name__}: {reason})"
            ) from None
    hint = ", ".join(k for k in seen if "emb" in k or "wte" in k)[:300]
    raise MissingTensorError(
        f"no token-embedding tensor found (looked for {', '.join(names)}); "
        f"pass tensor=... (candidates: {hint or 'none'})"
    )


def _read_vocab(folder: Path, rows: int) -> list[str]:
    """Token strings by id, for a matrix of ``rows`` rows; ids are checked against ``rows``
    before anything is built (a file naming id 10**9 must not build 10**9 keys)."""
    vocab_txt = folder / "vocab.txt"
    if vocab_txt.is_file():
        try:
            text = vocab_txt.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VectorFormatError(f"{vocab_txt}: not UTF-8 text ({exc.reason})") from None
        # One token a line, "\n" or "\r\n" ended; a lone "\r" is not a line break here.
        keys = [k.removesuffix("\r") for k in text.split("\n")[:-1]] if text else []
        bad = next((i for i, k in enumerate(keys) if "\r" in k), None)
        if bad is not None:
            raise VectorFormatError(f"{vocab_txt}: line {bad + 1} holds a carriage return")
        if len(keys) > rows:
            raise VectorFormatError(
                f"{vocab_txt}: {len(keys)} tokens but the matrix has {rows} rows"
            )
        return keys
    for name in ("tokenizer.json", "vocab.json", "encoder.json"):
        path = folder / name
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text("utf-8"))
            table = data["model"]["vocab"] if name == "tokenizer.json" else data
            added = data.get("added_tokens", []) if name == "tokenizer.json" else []
        except (UnicodeDecodeError, ValueError, RecursionError, KeyError, TypeError) as exc:
            raise VectorFormatError(
                f"{path}: not a tokenizer file ({type(exc).__name__}: {exc})"
            ) from None
        keys = _vocab_table(path, table, added, rows)
        return byte_level_text(keys) if _byte_level(folder, name, data) else keys
    raise FileNotFoundError(f"{folder}: no vocab.txt, tokenizer.json, vocab.json or encoder.json")


def _vocab_table(path: Path, table: object, added: object, rows: int) -> list[str]:
    """Token strings by id from a tokenizer file's vocabulary and added tokens."""
    if isinstance(table, list):  # Unigram: [[piece, score], ...] in id order
        if len(table) > rows:
            raise VectorFormatError(f"{path}: {len(table)} tokens but the matrix has {rows} rows")
        try:
            return [str(item[0]) for item in table]
        except (TypeError, IndexError, KeyError):
            raise VectorFormatError(
                f"{path}: a Unigram vocabulary must be [[piece, score], ...]"
            ) from None
    if not isinstance(table, dict) or not isinstance(added, list):
        raise VectorFormatError(f"{path}: the vocabulary must map tokens to ids")
    extra = []
    for item in added:
        if not isinstance(item, dict) or "id" not in item or "content" not in item:
            raise VectorFormatError(f"{path}: an added token lacks 'id' or 'content'")
        extra.append((item["content"], item["id"]))
    by_id: list[str | None] = [None] * rows
    # Added tokens may restate or override a vocabulary id; two vocabulary tokens may not.
    for is_added, items in ((False, list(table.items())), (True, extra)):
        for tok, i in items:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < rows:
                raise VectorFormatError(
                    f"{path}: token {str(tok)[:40]!r} has id {i!r}; ids must lie in "
                    f"0..{rows - 1} (the embedding matrix has {rows} rows)"
                )
            if not is_added and by_id[i] is not None:
                raise VectorFormatError(f"{path}: id {i} is given to both {by_id[i]!r} and {tok!r}")
            by_id[i] = str(tok)
    last = max((i for i, k in enumerate(by_id) if k is not None), default=-1)
    return [k if k is not None else f"<unused:{i}>" for i, k in enumerate(by_id[: last + 1])]


def read_transformer(
    model_dir: str | os.PathLike[str], *, tensor: str | None = None
) -> tuple[list[str], np.ndarray]:
    """Keys and token-embedding matrix (float32) of a local model folder: row i is token id i.

    Rows beyond the vocabulary (matrices padded to a multiple of 64, say) get keys
    ``<unused:i>``.
    """
    folder = Path(model_dir)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: expected a model folder (config + weights + vocab)")
    name, matrix = _read_embedding(_weight_files(folder), tensor)
    if matrix.ndim != 2 or matrix.dtype.kind != "f":
        raise VectorFormatError(
            f"{folder}: the tensor {name!r} is {matrix.dtype} {matrix.shape}, expected a 2-D "
            f"float matrix (vocab, dim)"
        )
    rows = matrix.shape[0]
    keys = _read_vocab(folder, rows)
    keys = keys + [f"<unused:{i}>" for i in range(len(keys), rows)]
    return keys, matrix.astype(np.float32, copy=False)
