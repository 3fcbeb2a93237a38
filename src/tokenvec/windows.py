"""Datasets for next-token training: sliding windows over token ids, and corpora tokenised to
memory-mapped id files so that a corpus larger than memory still trains.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from tokenvec.tokenizers import Tokenizer, split_text


def sliding_windows(ids: Any, max_length: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets), each (n, max_length), targets shifted by one token.

    Window i starts at token i * stride, as in GPT training loops (Raschka's GPTDatasetV1):
    n = ceil((len(ids) - max_length) / stride). Both are read-only views of ``ids`` (no copy)
    when ``ids`` is a contiguous numpy array.

    >>> x, y = sliding_windows(np.arange(6), max_length=3, stride=2)
    >>> x.tolist(), y.tolist()
    ([[0, 1, 2], [2, 3, 4]], [[1, 2, 3], [3, 4, 5]])
    """
    arr = np.asarray(ids)
    if arr.ndim != 1:
        raise ValueError(f"ids must be 1-D, got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"ids must be integers, got dtype {arr.dtype}")
    if (
        isinstance(max_length, bool)
        or not isinstance(max_length, int | np.integer)
        or max_length <= 0
    ):
        raise ValueError(f"max_length must be a positive integer, got {max_length!r}")
    if isinstance(stride, bool) or not isinstance(stride, int | np.integer) or stride <= 0:
        raise ValueError(f"stride must be a positive integer, got {stride!r}")
    if len(arr) < max_length + 1:
        raise ValueError(
            f"max_length {max_length} needs at least {max_length + 1} tokens (inputs plus the "
            f"shifted target), but there are {len(arr)}; use a shorter max_length or more text"
        )
    windows = np.lib.stride_tricks.sliding_window_view(arr, max_length + 1)[::stride]  # (n, T+1)
    return windows[:, :-1], windows[:, 1:]


def tokenize_file(
    path: str | os.PathLike[str],
    tokenizer: Tokenizer,
    out: str | os.PathLike[str],
    *,
    chunk_chars: int = 1 << 20,
    append_eot: bool = False,
    overwrite: bool = False,
) -> np.memmap:
    """Tokenise a text file in chunks into a memory-mapped ``.npy`` of ids; returns it open.

    The ids are uint16 when the vocabulary fits (GPT-2 does), else uint32. Memory stays near
    one chunk whatever the file size; the output is written atomically.
    """
    from tokenvec.io.files import atomic_path

    src = Path(path)
    if src.is_dir():
        raise IsADirectoryError(f"{src} is a folder; give a text file")
    if src.exists() and not src.is_file():
        raise ValueError(
            f"{src} is not a regular file (a device, FIFO or socket); give a text file"
        )
    if not src.is_file():
        raise FileNotFoundError(f"no such text file: {src}")
    dtype = np.uint16 if tokenizer.vocab_size <= 65536 else np.uint32
    target = Path(out)

    def chunks() -> Any:
        with open(src, encoding="utf-8", errors="strict") as f:
            carry = ""
            while True:
                block = f.read(chunk_chars)
                text = carry + block
                if not block:
                    if text:
                        yield text
                    return
                # Keep the last piece: it may continue in the next block. Cuts fall where a
                # non-space meets a space, so words (and GPT-2's pre-tokens) stay whole.
                *done, carry = split_text(text, chunk_chars)
                yield from done

    # One tokenising pass appends raw ids to a scratch file (the count is unknown until the
    # end); the .npy is then filled from it by plain block copies. No list of ids is held.
    try:
        with (
            atomic_path(target, overwrite=overwrite) as tmp,
            tempfile.TemporaryFile(dir=target.parent) as raw,
        ):
            total = 0
            for piece in chunks():
                # File text is data: special-token text in it is encoded as ordinary text.
                ids = np.asarray(tokenizer.encode_ordinary(piece), dtype=dtype)
                raw.write(ids.tobytes())
                total += ids.size
            if append_eot and tokenizer.eot_token is not None:
                raw.write(np.asarray([tokenizer.eot_token], dtype=dtype).tobytes())
                total += 1
            arr = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=(total,))
            raw.seek(0)
            step = 1 << 22
            for lo in range(0, total, step):
                block = np.frombuffer(raw.read(min(step, total - lo) * arr.itemsize), dtype=dtype)
                arr[lo : lo + block.size] = block
            arr.flush()
            del arr
    except UnicodeDecodeError as exc:
        raise ValueError(f"{src} is not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    return np.load(target, mmap_mode="r")


def torch_loader(
    ids: Any,
    max_length: int,
    stride: int,
    *,
    batch_size: int = 8,
    shuffle: bool = True,
    drop_last: bool = True,
    num_workers: int = 0,
    seed: int | None = None,
) -> Any:
    """A ``torch.utils.data.DataLoader`` of (inputs, targets) int64 batches of sliding windows."""
    from tokenvec._optional import require

    torch = require("torch", "torch")
    inputs, targets = sliding_windows(ids, max_length, stride)

    class Windows(torch.utils.data.Dataset):  # type: ignore[name-defined,misc]
        def __len__(self) -> int:
            return len(inputs)

        def __getitem__(self, i: int) -> tuple[Any, Any]:
            return (
                torch.from_numpy(inputs[i].astype(np.int64)),
                torch.from_numpy(targets[i].astype(np.int64)),
            )

    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    return torch.utils.data.DataLoader(
        Windows(),
        batch_size=batch_size,
        shuffle=shuffle,
        drop_last=drop_last,
        num_workers=num_workers,
        generator=gen,
    )


def builtin_corpus_ids(tokenizer: Tokenizer) -> np.ndarray:
    """The built-in corpus as token ids (uint16 when the vocabulary fits, as GPT-2's does).

    >>> from tokenvec.tokenizers import WordLevel
    >>> builtin_corpus_ids(WordLevel.train(["the"], min_count=1)).dtype
    dtype('uint16')
    """
    import lzma

    from tokenvec.io.files import builtin_corpus_path

    text = lzma.decompress(builtin_corpus_path().read_bytes()).decode("utf-8")
    ids = tokenizer.encode_ordinary(text)
    return np.asarray(ids, dtype=np.uint16 if tokenizer.vocab_size <= 65536 else np.uint32)
