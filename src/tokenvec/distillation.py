"""Static token vectors distilled from a transformer (the model2vec recipe, Tulkens and van
Dongen 2024), on a local Hugging Face folder.

Every token of the teacher's vocabulary goes through the model on its own, between the model's
start and end tokens (``[CLS] token [SEP]`` for BERT); the output states are mean-pooled, the
vectors reduced by PCA to ``dims`` and weighted by SIF, ``a / (a + p(token))``, with ``p``
from real token counts of a corpus when one is given and a Zipf estimate from the token's id
otherwise. The result is a :class:`tokenvec.vectors.static.StaticVectors`: it keeps the teacher's
tokenizer, so a text's vector is the mean of its tokens' rows, hundreds of times faster than
the transformer.

Running the teacher needs the ``distill`` extra (PyTorch and ``transformers``); nothing is
downloaded and only safetensors weights are read (pickled ``.bin`` checkpoints are refused).
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tokenvec._checks import check_int
from tokenvec._optional import require
from tokenvec.io import hub
from tokenvec.io.files import VectorFormatError
from tokenvec.vectors.compress import pca
from tokenvec.vectors.static import MAX_TOKENIZER_BYTES, StaticVectors, chunkable, load_tokenizer

Precision = Literal["auto", "float32", "bfloat16"]
# Tokens that carry no text: BERT's reserved "[unused12]" slots.
UNUSED = r"\[unused\d+\]"


def _read_folder(folder: Path) -> tuple[str, dict[str, Any], tuple[int, int]]:
    """(tokenizer JSON, config, shape of the embedding matrix) of a model folder, checked."""
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: expected a Hugging Face model folder")
    tok_path = folder / "tokenizer.json"
    if not tok_path.is_file():
        raise FileNotFoundError(f"{folder}: no tokenizer.json (a fast tokenizer is needed)")
    if tok_path.stat().st_size > MAX_TOKENIZER_BYTES:
        raise VectorFormatError(f"{tok_path}: larger than {MAX_TOKENIZER_BYTES:,} bytes")
    try:
        tok_json = tok_path.read_text("utf-8")
        config = json.loads((folder / "config.json").read_text("utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{folder}: no config.json") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise VectorFormatError(f"{folder}: cannot read config.json ({exc})") from None
    if not isinstance(config, dict):
        raise VectorFormatError(f"{folder}/config.json: not a JSON object")
    _, matrix = hub._read_embedding(hub._weight_files(folder), None)  # refuses .bin pickles
    if matrix.ndim != 2:
        raise VectorFormatError(f"{folder}: the token-embedding tensor has shape {matrix.shape}")
    return tok_json, config, (int(matrix.shape[0]), int(matrix.shape[1]))


def _special_ids(tok: Any) -> tuple[list[int], list[int], set[int]]:
    """(ids the tokenizer puts before a text, after it, every special token's id)."""
    bare = tok.encode("a", add_special_tokens=False).ids
    full = tok.encode("a", add_special_tokens=True).ids
    n = len(bare)
    at = next((i for i in range(len(full) - n + 1) if full[i : i + n] == bare), None)
    if not bare or at is None:
        raise VectorFormatError("the tokenizer does not reproduce a text inside its template")
    specials = {i for i, t in tok.get_added_tokens_decoder().items() if t.special}
    return full[:at], full[at + n :], specials


@contextlib.contextmanager
def _teacher_session(threads: int | None) -> Iterator[tuple[Any, Any]]:
    """(torch, transformers) with ``threads`` torch threads and transformers' load reports and
    weight-loading bars silenced; both restored afterwards."""
    torch = require("torch", "distill")
    transformers = require("transformers", "distill")
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(check_int(threads, "threads", 1))
    hf_log = transformers.utils.logging
    verbosity = hf_log.get_verbosity()
    hf_log.set_verbosity_error()
    hf_log.disable_progress_bar()
    try:
        yield torch, transformers
    finally:
        torch.set_num_threads(old_threads)
        hf_log.set_verbosity(verbosity)
        hf_log.enable_progress_bar()


def _load_teacher(transformers: Any, folder: str | os.PathLike[str]) -> Any:
    return transformers.AutoModel.from_pretrained(
        str(folder), local_files_only=True, use_safetensors=True
    ).eval()


def native_bfloat16(torch: Any) -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (Intel AMX tiles), where
    bfloat16 autocast runs the teacher 1.3-1.7x faster than float32 at the same quality."""
    probe = getattr(getattr(torch, "cpu", None), "_is_amx_tile_supported", None)
    try:
        return bool(probe()) if probe is not None else False
    except Exception:  # a torch build without the probe's backend
        return False


def _check_precision(precision: str) -> None:
    if precision not in ("auto", "float32", "bfloat16"):
        raise ValueError(f"precision must be 'auto', 'float32' or 'bfloat16', got {precision!r}")


def _resolve_precision(torch: Any, precision: str) -> str:
    _check_precision(precision)
    if precision == "auto":
        return "bfloat16" if native_bfloat16(torch) else "float32"
    return precision


def teacher_states(
    folder: str | os.PathLike[str],
    inputs: np.ndarray,
    *,
    batch_size: int = 256,
    threads: int | None = None,
    progress: bool = False,
    precision: Precision = "float32",
) -> np.ndarray:
    """Mean of the teacher's last hidden states for each row of ``inputs`` (n, length) token
    ids, all of one length (so no padding): (n, hidden) float32. ``precision="bfloat16"``
    runs the model under bfloat16 autocast (1.3-1.7x faster on CPUs with AMX; rows within a
    cosine of 0.9999 of float32's); ``"auto"`` picks it where :func:`native_bfloat16` holds."""
    _check_precision(precision)
    with _teacher_session(threads) as (torch, transformers):
        precision = _resolve_precision(torch, precision)  # type: ignore[assignment]
        model = _load_teacher(transformers, folder)

        typed = "token_type_ids" in inspect.signature(model.forward).parameters
        out = np.empty((inputs.shape[0], model.config.hidden_size), dtype=np.float32)
        bar = _Bar(progress, inputs.shape[0])
        half = precision == "bfloat16"
        with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=half), bar:
            for lo in range(0, inputs.shape[0], batch_size):
                ids = torch.from_numpy(np.ascontiguousarray(inputs[lo : lo + batch_size]))
                kw = {"token_type_ids": torch.zeros_like(ids)} if typed else {}
                states = model(input_ids=ids, attention_mask=torch.ones_like(ids), **kw)
                out[lo : lo + ids.shape[0]] = states.last_hidden_state.float().mean(1).numpy()
                bar.advance(ids.shape[0])
        return out


def teacher_encode(
    folder: str | os.PathLike[str],
    texts: list[str],
    *,
    batch_size: int = 64,
    max_length: int = 256,
    threads: int | None = None,
) -> np.ndarray:
    """The transformer's own text vectors: its last hidden states mean-pooled over each text's
    tokens (sentence-transformers' pooling for MiniLM-style models), unit length, (n, hidden)
    float32. What the static vectors stand in for: used to measure how close they come."""
    with _teacher_session(threads) as (torch, transformers):
        tok = transformers.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = _load_teacher(transformers, folder)
        out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
        with torch.inference_mode():
            for lo in range(0, len(texts), batch_size):
                batch = tok(texts[lo : lo + batch_size], padding=True, truncation=True,
                            max_length=max_length, return_tensors="pt")  # fmt: skip
                states = model(**batch).last_hidden_state.float()
                mask = batch["attention_mask"].unsqueeze(-1).float()
                pooled = (states * mask).sum(1) / mask.sum(1).clamp_min(1.0)
                out[lo : lo + pooled.shape[0]] = pooled.numpy()
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


class _Bar:
    def __init__(self, show: bool, total: int) -> None:
        self.show, self.total = show, total
        self._p: Any = None
        self._t: Any = None

    def __enter__(self) -> _Bar:
        if self.show:
            from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn

            from tokenvec._progress import bar

            self._p = bar("distilling tokens", BarColumn(), MofNCompleteColumn(),
                          TimeRemainingColumn())  # fmt: skip
            self._p.__enter__()
            self._t = self._p.add_task("distill", total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            self._p.__exit__(*exc)

    def advance(self, n: int) -> None:
        if self._p is not None:
            self._p.update(self._t, advance=n)


def token_probabilities(
    tok: Any,
    ids: np.ndarray,
    *,
    corpus: Iterable[str] | str | os.PathLike[str] | None = None,
    frequencies: Mapping[str, float] | None = None,
    vocab_size: int,
    chunked: bool = False,
) -> tuple[np.ndarray, str]:
    """p(token) for the kept token ``ids``, and how it was estimated: counts of the tokens in
    ``corpus`` (texts, or a text file read line by line) or given ``frequencies`` (token ->
    count); otherwise Zipf by id, as ids of most vocabularies follow frequency (ranks from 2,
    as model2vec counts them: the first rows of such vocabularies are padding and unknown).
    ``chunked`` (a tokenizer for which :func:`tokenvec.vectors.static.chunkable` holds) tokenises
    each distinct space-separated chunk of the corpus once and counts it as often as it
    occurs: the same counts, several times faster."""
    from tokenvec.vectors.text import zipf_probabilities

    if corpus is not None and frequencies is not None:
        raise ValueError("give corpus or frequencies, not both")
    if corpus is None and frequencies is None:
        return zipf_probabilities(ids.size, first_rank=2), "zipf"
    counts = np.zeros(vocab_size, dtype=np.float64)
    if frequencies is not None:
        vocab = tok.get_vocab(with_added_tokens=True)
        for token, c in frequencies.items():
            j = vocab.get(token)
            c = float(c)
            if not (np.isfinite(c) and c >= 0):
                raise ValueError(f"frequency of {token!r} must be finite and non-negative")
            if j is not None and j < vocab_size:
                counts[j] += c
        how = "frequencies"
    else:
        assert corpus is not None
        texts = _texts(corpus)
        batch = getattr(tok, "encode_batch_fast", tok.encode_batch)
        while chunk := [t for _, t in zip(range(20_000), texts, strict=False)]:
            weights = None
            if chunked:  # each distinct chunk once, weighted by how often it occurs
                seen = Counter(" ".join(chunk).split(" "))
                chunk = list(seen)
                weights = np.fromiter(seen.values(), np.float64, len(seen))
            encoded = batch(chunk, add_special_tokens=False)
            flat = np.fromiter(itertools.chain.from_iterable(e.ids for e in encoded), np.int64)
            if weights is not None:
                lens = np.fromiter((len(e.ids) for e in encoded), np.int64, len(encoded))
                weights = np.repeat(weights, lens)
            counts += np.bincount(flat, weights=weights, minlength=vocab_size)[:vocab_size]
        how = "corpus"
    kept = counts[ids]
    if kept.sum() <= 0:
        raise ValueError(f"the {how} hold no token of the vocabulary")
    p = kept / kept.sum()
    return np.where(p > 0, p, p[p > 0].min()), how  # unseen: as rare as the rarest seen


def _texts(corpus: Iterable[str] | str | os.PathLike[str]) -> Any:
    if isinstance(corpus, str | os.PathLike):
        path = Path(corpus)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such corpus file")

        def lines() -> Any:
            with open(path, encoding="utf-8", errors="replace") as f:
                yield from f

        return lines()
    return iter(corpus)


def distill(
    model_folder: str | os.PathLike[str],
    dims: int | None = 256,
    *,
    corpus: Iterable[str] | str | os.PathLike[str] | None = None,
    frequencies: Mapping[str, float] | None = None,
    sif_a: float | None = 1e-4,
    remove: str | None = UNUSED,
    batch_size: int = 256,
    threads: int | None = None,
    progress: bool = False,
    precision: Precision = "auto",
) -> StaticVectors:
    """Static token vectors of the transformer in ``model_folder`` (see the module docstring).

    ``dims=None`` keeps the model's width (PCA still rotates the space). ``sif_a=None`` leaves
    the rows unweighted. ``remove`` is a regular expression of tokens to leave out (special
    tokens always are). ``corpus`` (texts or a text file) or ``frequencies`` give the weights
    real token probabilities instead of the Zipf estimate. ``precision="bfloat16"`` runs the
    teacher under bfloat16 autocast, ``"float32"`` in full precision; the default ``"auto"``
    takes bfloat16 on CPUs that multiply it in hardware (:func:`native_bfloat16`: the same
    quality, 1.3-1.7x faster) and float32 elsewhere. ``info["precision"]`` records the one used.
    """
    folder = Path(model_folder)
    t0 = time.perf_counter()
    if corpus is not None and frequencies is not None:
        raise ValueError("give corpus or frequencies, not both")
    tok_json, config, (rows, width) = _read_folder(folder)
    tok = load_tokenizer(tok_json, str(folder / "tokenizer.json"))
    vocab = tok.get_vocab(with_added_tokens=True)
    if not vocab:
        raise VectorFormatError(f"{folder}/tokenizer.json: an empty vocabulary")
    top = max(vocab.values())
    if top >= rows or config.get("vocab_size", rows) != rows:
        raise VectorFormatError(
            f"{folder}: the tokenizer has ids up to {top}, config.json says vocab_size "
            f"{config.get('vocab_size')!r}, and the embedding matrix has {rows} rows: they "
            f"must agree (a tokenizer of another model?)"
        )
    _check_precision(precision)
    if dims is not None:
        check_int(dims, "dims", 1)
        if dims > width:
            raise ValueError(f"dims={dims} is more than the model's {width} dimensions")
    if sif_a is not None and not (np.isfinite(sif_a) and 0 < sif_a < 1):
        raise ValueError(f"sif_a must lie in (0, 1), got {sif_a!r}")
    prefix, suffix, specials = _special_ids(tok)
    pattern = re.compile(remove) if remove else None
    by_id = sorted((i, t) for t, i in vocab.items())
    kept = [
        (i, t)
        for i, t in by_id
        if i not in specials and not (pattern is not None and pattern.fullmatch(t))
    ]
    if dims is not None and dims >= len(kept):
        raise ValueError(f"dims={dims} needs more than {len(kept)} tokens")
    ids = np.array([i for i, _ in kept], dtype=np.int64)
    inputs = np.empty((ids.size, len(prefix) + 1 + len(suffix)), dtype=np.int64)
    inputs[:, : len(prefix)] = prefix
    inputs[:, len(prefix)] = ids
    inputs[:, len(prefix) + 1 :] = suffix
    p, how = token_probabilities(tok, ids, corpus=corpus, frequencies=frequencies,
                                 vocab_size=rows, chunked=chunkable(tok_json))  # fmt: skip
    precision = _resolve_precision(require("torch", "distill"), precision)  # type: ignore[assignment]
    states = teacher_states(folder, inputs, batch_size=batch_size, threads=threads,
                            progress=progress, precision=precision)  # fmt: skip
    states = np.nan_to_num(states)
    out = pca(states, dims if dims is not None else width)
    if sif_a is not None:
        out *= (sif_a / (sif_a + p)).astype(np.float32)[:, None]
    token_rows = np.full(rows, -1, dtype=np.int64)
    token_rows[ids] = np.arange(ids.size)
    info = {
        "teacher": folder.name if folder.name != "model" else folder.parent.name,
        "dims": int(out.shape[1]),
        "weighting": "none" if sif_a is None else how,
        "sif_a": sif_a,
        "precision": precision,
        "tokens": int(ids.size),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    return StaticVectors([t for _, t in kept], out, tokenizer_json=tok_json,
                         token_rows=token_rows, info=info, on_duplicate="ignore")  # fmt: skip
