"""Static token vectors that keep the tokenizer they were made with: text vectors, no model.

A :class:`StaticVectors` is a :class:`tokenvec.Vectors` keyed by token (the model2vec idea:
one vector per token of a transformer's vocabulary, see :func:`tokenvec.distill`). It
keeps the teacher's tokenizer (a Hugging Face ``tokenizers`` tokenizer, extra ``text``) and the
map from token id to row, so :meth:`~tokenvec.Vectors.encode` splits a text exactly as the
teacher does and pools the rows of its tokens. Tokens without a row (special and unused ones)
are skipped and counted, as unknown words are.

Saved as a native folder with ``tokenizer.json`` and ``token_rows.npy`` beside the matrix and
``"vocab": "static"`` in its meta.json; :func:`tokenvec.load_vectors` gives a StaticVectors back.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tokenvec._optional import require
from tokenvec.io.files import VectorFormatError
from tokenvec.vectors.base import Vectors
from tokenvec.vectors.storage import Storage

KIND = "static"
# Tokenizers whose output for a text is the concatenation of their outputs for its
# space-separated chunks: a normalizer that works character by character, a pre-tokenizer that
# splits at every space, WordPiece within each piece. For them, encode tokenises each distinct
# chunk once and reuses it (MiniLM's tokenizer spends ~45 us a sentence; a dict lookup a word
# is ~50x cheaper). Every other tokenizer tokenises every text.
CHUNKED_NORMALIZERS = frozenset({"BertNormalizer", "Lowercase", None})
CHUNKED_PRE_TOKENIZERS = frozenset({"BertPreTokenizer", "Whitespace", "WhitespaceSplit"})
MAX_CHUNK_CACHE = 1_000_000  # distinct chunks kept (a few hundred MB at most); then reset
# A tokenizer.json larger than this is refused before it is read (real ones: 0.5-20 MB).
MAX_TOKENIZER_BYTES = 256 * 2**20


def load_tokenizer(text: str, where: str) -> Any:
    """A ``tokenizers.Tokenizer`` from its JSON, without padding or truncation (a tokenizer.json
    saved for a transformer often pads every text to 128 tokens and cuts longer ones)."""
    tk = require("tokenizers", "text")
    try:
        tok = tk.Tokenizer.from_str(text)
    except BaseException as exc:  # its own Exception on bad JSON; a Rust panic is BaseException
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise VectorFormatError(f"{where}: not a tokenizers tokenizer ({str(exc)[:200]})") from None
    tok.no_padding()
    tok.no_truncation()
    return tok


class StaticVectors(Vectors):
    """Token vectors with their tokenizer: ``encode`` tokenises as the teacher model does.

    ``token_rows[id]`` is the row of token ``id``, or -1 for a token without a vector. ``info``
    records how the vectors were made (teacher, dims, weighting).
    """

    def __init__(
        self,
        keys: Sequence[str],
        vectors: Any,
        *,
        tokenizer_json: str,
        token_rows: np.ndarray,
        info: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(keys, vectors, **kwargs)
        rows = np.asarray(token_rows)
        if rows.ndim != 1 or rows.dtype.kind not in "iu":
            raise ValueError(f"token_rows must be 1-D integers, got {rows.dtype} {rows.shape}")
        if rows.size and (rows.min() < -1 or rows.max() >= len(self)):
            raise ValueError(f"token_rows must lie in [-1, {len(self)}) (a row or -1)")
        self.token_rows = rows.astype(np.int64)
        self.tokenizer_json = tokenizer_json
        self.info: dict[str, Any] = dict(info or {})
        self._tokenizer: Any = None
        self._chunked: bool | None = None
        self._chunks: dict[str, int] = {}  # a distinct chunk -> its number (see _rows_by_chunk)
        self._reset_chunks()

    @property
    def tokenizer(self) -> Any:
        """The teacher's tokenizer (``tokenizers.Tokenizer``), built on first use."""
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.tokenizer_json, "tokenizer")
        return self._tokenizer

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """The teacher's token ids of each text, without its special tokens."""
        tok = self.tokenizer
        batch = getattr(tok, "encode_batch_fast", tok.encode_batch)
        try:
            return [e.ids for e in batch(list(texts), add_special_tokens=False)]
        except BaseException as exc:  # a tokenizer.json that builds but cannot run (or panics)
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            _check_utf8(texts)  # the usual cause: a lone surrogate, which has no UTF-8 form
            raise VectorFormatError(f"the tokenizer cannot tokenise ({str(exc)[:200]})") from None

    @property
    def chunked(self) -> bool:
        """Whether texts may be tokenised space-separated chunk by chunk (see
        ``CHUNKED_NORMALIZERS``): the same ids, each distinct chunk tokenised once."""
        if self._chunked is None:
            self._chunked = chunkable(self.tokenizer_json)
        return self._chunked

    def rows_of_texts(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows of every text's tokens laid end to end, rows per text, tokens skipped per
        text): what :func:`tokenvec.vectors.text.pool` takes."""
        if self.chunked:
            return self._rows_by_chunk(texts)
        return self._rows_by_text(texts)

    def _rows_by_chunk(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """As :meth:`_rows_by_text`, each distinct space-separated chunk tokenised once: the
        chunk's number indexes its rows in ``_store`` (``_start``, ``_len``) and the count of
        its tokens without a row (``_skip``)."""
        counts = np.fromiter((t.count(" ") + 1 for t in texts), dtype=np.int64, count=len(texts))
        chunks = " ".join(texts).split(" ")  # every text's chunks, laid end to end
        get = self._chunks.get
        ids = [get(c, -1) for c in chunks]
        if -1 in ids:
            if len(self._chunks) > MAX_CHUNK_CACHE:
                self._reset_chunks()
                get = self._chunks.get
            new = list(dict.fromkeys(c for c, i in zip(chunks, ids, strict=True) if i < 0))
            self._add_chunks(new)
            ids = [get(c, -1) for c in chunks]
        idx = np.asarray(ids, dtype=np.int64)
        per_chunk = self._len[idx]
        total = int(per_chunk.sum())
        # The rows of chunk k are _store[_start[k] : _start[k] + _len[k]]: gathered at once.
        first = np.repeat(self._start[idx] - (np.cumsum(per_chunk) - per_chunk), per_chunk)
        rows = self._store[first + np.arange(total, dtype=np.int64)]
        owner = np.repeat(np.arange(len(texts)), counts)
        lens = np.bincount(owner, weights=per_chunk, minlength=len(texts)).astype(np.int64)
        skip = np.bincount(owner, weights=self._skip[idx], minlength=len(texts))
        return rows, lens, skip.astype(np.int64)

    def _reset_chunks(self) -> None:
        self._chunks = {}
        self._store = np.zeros(0, dtype=np.int64)
        self._start = np.zeros(0, dtype=np.int64)
        self._len = np.zeros(0, dtype=np.int64)
        self._skip = np.zeros(0, dtype=np.int64)

    def _add_chunks(self, new: list[str]) -> None:
        rows, kept, skipped = self._rows_by_text(new)
        base = len(self._chunks)
        self._start = np.concatenate([self._start, self._store.size + np.cumsum(kept) - kept])
        self._len = np.concatenate([self._len, kept])
        self._skip = np.concatenate([self._skip, skipped])
        self._store = np.concatenate([self._store, rows])
        self._chunks.update(zip(new, range(base, base + len(new)), strict=True))

    def _rows_by_text(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ids = self.token_ids(texts)
        n = len(ids)
        counts = np.fromiter(map(len, ids), dtype=np.int64, count=n)
        flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=counts.sum())
        if flat.size and flat.max() >= self.token_rows.size:
            raise VectorFormatError(
                f"the tokenizer gave token id {int(flat.max())}, but the vectors map only "
                f"{self.token_rows.size} ids: the tokenizer does not belong to these vectors"
            )
        rows = self.token_rows[flat]
        known = rows >= 0
        unknown = np.bincount(np.repeat(np.arange(n), counts)[~known], minlength=n)
        return rows[known], counts - unknown, unknown.astype(np.int64)

    def with_storage(self, rows: Storage) -> StaticVectors:
        """The same tokens and tokenizer over other rows (int8, PQ, a PCA-reduced table)."""
        out = StaticVectors(self.index_to_key, rows, tokenizer_json=self.tokenizer_json,
                            token_rows=self.token_rows, info=self.info, counts=self.counts,
                            on_duplicate="ignore")  # fmt: skip
        out._key_to_index, out._tokenizer = self._key_to_index, self._tokenizer
        return out

    def native_extras(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """What a native folder keeps beside the matrix: meta entries and files."""
        meta, files = super().native_extras()
        buf = io.BytesIO()
        np.save(buf, self.token_rows, allow_pickle=False)
        meta = {**meta, "vocab": KIND, "static": self.info}
        return meta, {**files, "tokenizer.json": self.tokenizer_json.encode("utf-8"),
                      "token_rows.npy": buf.getvalue()}  # fmt: skip

    def __repr__(self) -> str:
        teacher = self.info.get("teacher", "?")
        return f"<StaticVectors {len(self):,} tokens x {self.vector_size} from {teacher}>"


def chunkable(tokenizer_json: str) -> bool:
    """Whether a tokenizer (its JSON) gives a text the ids of its space-separated chunks laid
    end to end: see ``CHUNKED_NORMALIZERS``. Added tokens must hold no space (they are matched
    before normalisation, within a chunk as within the text)."""
    try:
        spec = json.loads(tokenizer_json)
        norm = spec.get("normalizer")
        pre = spec.get("pre_tokenizer")
        model = spec.get("model") or {}
        added = spec.get("added_tokens") or []
        return (
            (norm is None or norm.get("type") in CHUNKED_NORMALIZERS)
            and isinstance(pre, dict)
            and pre.get("type") in CHUNKED_PRE_TOKENIZERS
            and model.get("type") == "WordPiece"
            and all(" " not in a.get("content", " ") for a in added)
        )
    except (ValueError, AttributeError, TypeError, RecursionError):
        return False


def _check_utf8(texts: Sequence[str]) -> None:
    """A ``ValueError`` naming the first text with no UTF-8 form (a lone surrogate): the
    tokenizer reads UTF-8, and its own message speaks of its input types."""
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"text {i} is a {type(t).__name__}, expected a str")
        try:
            t.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"the text {t[max(0, exc.start - 20) : exc.start + 20]!r} holds "
                f"{t[exc.start]!r}, a lone surrogate with no UTF-8 form: it cannot be "
                f"tokenised (decode the text with errors='replace' first)"
            ) from None


def from_native(folder: Path, keys: list[str], rows: Storage, meta: dict[str, Any],
                **kwargs: Any) -> StaticVectors:  # fmt: skip
    """A StaticVectors from a native folder's parts (its tokenizer and token map beside)."""
    from tokenvec.io.formats import native_array

    path = folder / "tokenizer.json"
    try:
        if path.stat().st_size > MAX_TOKENIZER_BYTES:
            raise VectorFormatError(f"{path}: larger than {MAX_TOKENIZER_BYTES:,} bytes")
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VectorFormatError(f"{path}: cannot read the tokenizer ({exc})") from None
    try:
        json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise VectorFormatError(f"{path}: not valid JSON ({exc})") from None
    token_rows = native_array(folder, "token_rows.npy", "iu", (None,))
    info = meta.get("static")
    try:
        return StaticVectors(keys, rows, tokenizer_json=text, token_rows=token_rows,
                             info=info if isinstance(info, dict) else {}, **kwargs)  # fmt: skip
    except ValueError as exc:
        raise VectorFormatError(f"{folder}: {exc}") from None
