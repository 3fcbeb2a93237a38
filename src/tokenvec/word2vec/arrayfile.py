"""A large corpus out of memory: its word ids and sentence bounds in unnamed temporary files,
read a chunk at a time.

A file corpus is scanned once into word ids (4 bytes a word); training reads them again every
epoch. Held in memory, 20M words are 80 MB of ids (and 8 MB of sentence bounds) beside 56 MB
of weights. Past ``SPILL_WORDS`` words (see ``_Scanner`` in :mod:`~tokenvec.word2vec.corpus`) the
scan writes them to a temporary file instead, and each training chunk (about ``chunk_words``
ids, 40 KB) is read back with one ``pread``: from the page cache while memory allows, from
the disk when it does not, never counted in the process's memory.

The files are unnamed (``O_TMPFILE`` where the system has it; otherwise created and unlinked
at once), so they go when the process does, however it ends, and nothing is ever removed by
name. They live in Python's temporary folder (``TMPDIR``); where that is a RAM file system,
point ``TMPDIR`` at a disk. Reads and writes take their own offsets, so threads share a file.
"""

from __future__ import annotations

import errno
import os
import tempfile
from typing import Any

import numpy as np

from tokenvec.word2vec.config import CorpusError


class ArrayFile:
    """A growing 1-D array (word ids, sentence bounds) in an unnamed temporary file:
    appended, read back and rewritten by position, never held whole in memory."""

    def __init__(self, dtype: Any = np.int32) -> None:
        self.dtype = np.dtype(dtype)
        try:
            self._file = tempfile.TemporaryFile(prefix="tokenvec-corpus-")
        except OSError as exc:
            raise CorpusError(
                f"cannot create a temporary file for the corpus's word ids in "
                f"{tempfile.gettempdir()}: {exc.strerror}; set TMPDIR to a writable folder"
            ) from None
        self._fd = self._file.fileno()
        self.size = 0  # items held

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"ArrayFile({self.size:,} x {self.dtype})"

    def append(self, items: np.ndarray) -> None:
        """Add ``items`` at the end."""
        self.write(self.size, items)

    def write(self, at: int, items: np.ndarray) -> None:
        """Write ``items`` from position ``at`` on (at most the current end: no holes)."""
        if not 0 <= at <= self.size:
            raise IndexError(f"write at {at} of an array file of {self.size}")
        data = np.ascontiguousarray(items, self.dtype).data.cast("B")
        offset, done = at * self.dtype.itemsize, 0
        try:
            while done < len(data):
                done += os.pwrite(self._fd, data[done:], offset + done)
        except OSError as exc:
            room = "no space left" if exc.errno == errno.ENOSPC else exc.strerror
            raise CorpusError(
                f"cannot write the corpus's word ids to a temporary file in "
                f"{tempfile.gettempdir()} ({room}); free space there or set TMPDIR to a "
                "folder with room"
            ) from None
        self.size = max(self.size, at + int(items.size))

    def read(self, start: int, stop: int) -> np.ndarray:
        """Items ``[start, stop)``, a fresh array."""
        if not 0 <= start <= stop <= self.size:
            raise IndexError(f"items [{start}, {stop}) of an array file of {self.size}")
        out = np.empty(stop - start, self.dtype)
        view = out.data.cast("B")
        offset, done = start * self.dtype.itemsize, 0
        while done < len(view):  # (pread, not preadv into the array: macOS has only pread)
            got = os.pread(self._fd, len(view) - done, offset + done)
            if not got:  # the file was cut underneath
                raise CorpusError(
                    f"the corpus's temporary file ends at byte {offset + done}, before item "
                    f"{stop:,}: something else changed it"
                )
            view[done : done + len(got)] = got
            done += len(got)
        return out

    def truncate(self, size: int) -> None:
        """Keep the first ``size`` items."""
        if not 0 <= size <= self.size:
            raise IndexError(f"truncate to {size} an array file of {self.size}")
        os.ftruncate(self._fd, size * self.dtype.itemsize)
        self.size = size

    def close(self) -> None:
        self._file.close()
