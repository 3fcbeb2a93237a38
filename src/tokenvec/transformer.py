"""The token-embedding matrix of a local Hugging Face model folder, as ``Vectors``.

Reads safetensors weights (without torch) and the vocabulary from ``vocab.txt`` (WordPiece),
``tokenizer.json`` or ``encoder.json`` (GPT-2). Nothing is downloaded.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from tokenvec.vectors import Vectors

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


def _weight_files(folder: Path) -> list[Path]:
    single = folder / "model.safetensors"
    if single.is_file():
        return [single]
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        files = sorted(set(json.loads(index.read_text("utf-8"))["weight_map"].values()))
        return [folder / f for f in files]
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
        with safe_open(str(path), framework="numpy") as f:
            keys = list(f.keys())
            seen.extend(keys)
            for name in names:
                if name in keys:
                    try:
                        return name, f.get_tensor(name)
                    except (TypeError, ValueError) as exc:
                        raise ValueError(f"{path}: cannot read tensor {name!r} ({exc})") from None
    hint = ", ".join(k for k in seen if "emb" in k or "wte" in k)[:300]
    raise KeyError(
        f"no token-embedding tensor found (looked for {', '.join(names)}); "
        f"pass tensor=... (candidates: {hint or 'none'})"
    )


def _read_vocab(folder: Path) -> list[str]:
    vocab_txt = folder / "vocab.txt"
    if vocab_txt.is_file():
        return vocab_txt.read_text("utf-8").split("\n")[:-1] if vocab_txt.stat().st_size else []
    for name in ("tokenizer.json", "encoder.json"):
        path = folder / name
        if not path.is_file():
            continue
        data = json.loads(path.read_text("utf-8"))
        table = data["model"]["vocab"] if name == "tokenizer.json" else data
        if isinstance(table, list):  # Unigram: [[piece, score], ...] in id order
            return [str(item[0]) for item in table]
        size = max(table.values()) + 1
        keys = [f"<unused:{i}>" for i in range(size)]
        for tok, i in table.items():
            keys[i] = tok
        if name == "tokenizer.json":
            for added in data.get("added_tokens", []):
                i = added["id"]
                if i >= len(keys):
                    keys.extend(f"<unused:{j}>" for j in range(len(keys), i + 1))
                keys[i] = added["content"]
        return keys
    raise FileNotFoundError(f"{folder}: no vocab.txt, tokenizer.json or encoder.json")


def vectors_from_transformer(
    model_dir: str | os.PathLike[str], *, tensor: str | None = None
) -> Vectors:
    """Token embeddings of a local model folder: row i is the vector of token id i.

    Rows beyond the vocabulary (matrices padded to a multiple of 64, say) get keys
    ``<unused:i>``.
    """
    folder = Path(model_dir)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: expected a model folder (config + weights + vocab)")
    _, matrix = _read_embedding(_weight_files(folder), tensor)
    if matrix.ndim != 2:
        raise ValueError(f"the embedding tensor has shape {matrix.shape}, expected 2-D")
    keys = _read_vocab(folder)
    rows = matrix.shape[0]
    if len(keys) > rows:
        raise ValueError(f"the vocabulary has {len(keys)} tokens but the matrix {rows} rows")
    keys = keys + [f"<unused:{i}>" for i in range(len(keys), rows)]
    return Vectors(keys, matrix.astype(np.float32, copy=False), on_duplicate="warn")
