"""Files on disk: atomic saves that never remove what they did not write, compressed reads,
key storage (any string round-trips) and the format error every reader raises.

A save writes a temporary sibling of its target and renames it into place, so a reader sees the
old complete target or the new one, never a half-written one. Rules that keep users' files safe:

- An existing target is replaced only with ``overwrite=True``; a folder only when it is a
  tokenvec artefact of the same kind (its metadata file says so and it holds nothing but the
  files that kind writes). Anything else is refused, whatever ``overwrite`` says.
- A folder is swapped in with one ``renameat2(RENAME_EXCHANGE)`` call on Linux, so there is no
  moment at which the target is missing; elsewhere two renames are used.
- Temporaries are named ``.NAME.tokenvec-PID-XXXX.tmp``: the next save of the same target
  removes those whose process is gone (a save killed mid-way leaves one behind).
- What is written gets the user's umask (``mkstemp`` would give 0600, ``mkdtemp`` 0700).
"""

from __future__ import annotations

import bz2
import contextlib
import ctypes
import ctypes.util
import errno
import gzip
import json
import lzma
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

Errors = Literal["strict", "replace", "ignore"]
SEP = b"\xff"  # never a byte of valid UTF-8: separates words in a blob decoded at once
_SURROGATE = re.compile("[\udc80-\udcfe]")  # bytes that were not UTF-8 (\udcff is SEP)
_TAG = "tokenvec"


class VectorFormatError(ValueError):
    """A vectors file is malformed; the message names the file, the row and the problem."""


_STALE = re.compile(r"^\.(?P<name>.+)\.tokenvec-(?P<pid>\d+)-[^.]+\.(tmp|old)$")


@dataclass(frozen=True)
class FolderKind:
    """A kind of folder tokenvec writes: its metadata file, the ``format`` value it holds, and
    every file name such a folder may contain.

    >>> CHECKPOINT = FolderKind("state.json", "demo", frozenset({"state.json", "w.npy"}))
    >>> CHECKPOINT.meta
    'state.json'
    """

    meta: str
    format: str
    files: frozenset[str]

    def check(self, folder: Path) -> None:
        """Raise ``FileExistsError`` unless ``folder`` is an artefact of this kind."""
        meta = folder / self.meta
        found = None
        try:
            with open(meta, "rb") as f:
                found = json.loads(f.read(1 << 20)).get("format")
        except (OSError, ValueError, AttributeError, RecursionError):
            pass
        if found != self.format:
            raise FileExistsError(
                f"{folder} exists and is not a {self.format} folder (no {self.meta} of that "
                f"format); it is left as it is: choose another target or remove it yourself"
            )
        foreign = sorted(
            e.name for e in os.scandir(folder) if e.name not in self.files or not e.is_file()
        )
        if foreign:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise FileExistsError(
                f"{folder} holds files that tokenvec did not write ({shown}); it is left as it "
                f"is: choose another target or move those files away"
            )


def umask() -> int:
    """The process's umask, read without changing it where /proc allows."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # not thread-safe; only where /proc/self/status is missing
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_owned(path: Path, files: frozenset[str] | None) -> None:
    """Remove a temporary this module made: a file (``files`` is None), or a flat folder of
    the named files and of temporaries of its own saves. Anything else is left in place."""
    try:
        if path.is_symlink() or not path.is_dir():
            path.unlink(missing_ok=True)
            return
        if files is None:
            return  # a file save never makes a folder: this one is not ours
        for e in os.scandir(path):
            ours = e.name in files or _STALE.match(e.name)
            if ours and e.is_file(follow_symlinks=False):
                os.unlink(e.path)
        os.rmdir(path)  # fails, and so keeps the folder, if anything else is inside
    except OSError:
        pass


def clean_stale(target: Path, files: frozenset[str] | None = None) -> int:
    """Remove temporaries of ``target`` left by saves whose process is gone; their count."""
    removed = 0
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return 0
    for e in entries:
        m = _STALE.match(e.name)
        if m and m["name"] == target.name and not _pid_alive(int(m["pid"])):
            _remove_owned(Path(e.path), files)
            removed += 1
    return removed


_libc: ctypes.CDLL | None = None
_RENAME_NOREPLACE, _RENAME_EXCHANGE, _AT_FDCWD = 1, 2, -100


def _renameat2(src: Path, dst: Path, flags: int) -> bool:
    """``renameat2`` where the C library has it; False when the call is not supported."""
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        except OSError:
            return False
    fn = getattr(_libc, "renameat2", None)
    if fn is None:
        return False
    rc = fn(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False  # the kernel or the file system cannot do it: fall back
    raise OSError(err, os.strerror(err), str(dst))


def check_replaceable(
    target: str | os.PathLike[str],
    *,
    overwrite: bool,
    kind: FolderKind | None = None,
    hint: str = "pass overwrite=True (CLI: --overwrite) to replace it",
) -> bool:
    """Whether ``target`` exists; raise if a save may not replace it. Call it before a long
    job whose save comes at the end; :func:`atomic_path` applies the same rules.

    >>> import tempfile, pathlib
    >>> check_replaceable(pathlib.Path(tempfile.mkdtemp()) / "new.txt", overwrite=False)
    False
    """
    target = Path(target)
    if not os.path.lexists(target):
        return False
    is_dir = target.is_dir() and not target.is_symlink()
    if kind is None and is_dir:
        raise IsADirectoryError(f"{target} is a folder; a file cannot replace it")
    if kind is not None and not is_dir:
        raise FileExistsError(f"{target} exists and is not a folder; it is left as it is")
    if kind is not None:
        kind.check(target)
    if not overwrite:
        raise FileExistsError(f"{target} exists; {hint}")
    return True


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    kind: FolderKind | None = None,
) -> Iterator[Path]:
    """Yield a temporary sibling of ``target``; move it into place if the block succeeds.

    ``kind`` makes the temporary a folder of that kind. An existing target is replaced only
    with ``overwrite=True`` (and, for folders, only an artefact of the same kind). On error the
    temporary is removed and ``target`` is untouched.

    >>> import tempfile, pathlib
    >>> t = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(t) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> t.read_text()
    'hello'
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    files = kind.files if kind else None
    exists = check_replaceable(target, overwrite=overwrite, kind=kind)
    clean_stale(target, files)
    prefix = f".{target.name}.{_TAG}-{os.getpid()}-"
    mask = umask()
    if kind is not None:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=target.parent))
        os.chmod(tmp, 0o777 & ~mask)
    else:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=target.parent)
        os.close(fd)
        tmp = Path(name)
        os.chmod(tmp, 0o666 & ~mask)
    try:
        yield tmp
        if kind is None:
            if not exists and _renameat2(tmp, target, _RENAME_NOREPLACE):
                return
            if not overwrite and os.path.lexists(target):
                raise FileExistsError(f"{target} appeared while it was being written; kept it")
            os.replace(tmp, target)  # atomic for files
            return
        if not exists:
            if not _renameat2(tmp, target, _RENAME_NOREPLACE):
                if os.path.lexists(target):
                    raise FileExistsError(f"{target} appeared while it was being written; kept it")
                os.rename(tmp, target)
            return
        kind.check(target)  # once more, just before the swap
        if _renameat2(tmp, target, _RENAME_EXCHANGE):
            _remove_owned(tmp, files)  # tmp now holds the old artefact
            return
        old = target.with_name(f"{prefix}{os.urandom(4).hex()}.old")
        os.rename(target, old)
        try:
            os.rename(tmp, target)
        except BaseException:
            os.rename(old, target)  # put the old artefact back before reporting
            raise
        _remove_owned(old, files)
    except BaseException:
        _remove_owned(tmp, files)
        raise


def open_compressed(path: Path) -> BinaryIO:
    """Open ``path`` for reading bytes, decompressing .gz, .bz2 and .xz/.lzma by suffix."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]  # all three are BinaryIO
    if suffix == ".bz2":
        return bz2.open(path, "rb")  # type: ignore[return-value]
    if suffix in (".xz", ".lzma"):
        return lzma.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


# --- keys: any string round-trips ----------------------------------------------------------------


def encode_keys(keys: list[str]) -> tuple[bytes, list[int]]:
    """Keys as one blob (each key's UTF-8, lone surrogates kept, then ``\\n``) and the byte
    offset where each key starts (n + 1 offsets).

    The offsets, not the newline, say where a key ends: a key may hold any character.

    >>> encode_keys(["a", "b\\nc"])
    (b'a\\nb\\nc\\n', [0, 2, 6])
    """
    parts = [k.encode("utf-8", "surrogatepass") + b"\n" for k in keys]
    offsets = [0]
    total = 0
    for p in parts:
        total += len(p)
        offsets.append(total)
    return b"".join(parts), offsets


def decode_keys(blob: bytes, offsets: list[int] | object, where: str) -> list[str]:
    """Inverse of :func:`encode_keys`; a ``ValueError`` naming ``where`` if they disagree.

    >>> decode_keys(b"a\\nb\\nc\\n", [0, 2, 6], "keys")
    ['a', 'b\\nc']
    """
    import numpy as np

    off = np.asarray(offsets)
    if off.ndim != 1 or off.size == 0 or off.dtype.kind not in "iu":
        raise ValueError(f"{where}: the key offsets are not a list of integers")
    n = off.size - 1
    if off[0] != 0 or off[-1] != len(blob) or (n and (np.diff(off) < 1).any()):
        raise ValueError(
            f"{where}: the key offsets do not cover the key file ({len(blob)} bytes) in order"
        )
    try:
        text = blob.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{where}: byte {exc.start} is not valid UTF-8 ({exc.reason})") from None
    newlines = np.flatnonzero(np.frombuffer(blob, np.uint8) == 10)
    if newlines.size == n:
        # n keys each ended by a newline and no other newline: splitting is exact, once the
        # offsets are seen to agree with it.
        if not np.array_equal(newlines, off[1:] - 1):
            raise ValueError(f"{where}: the key offsets do not match the keys' line ends")
        keys = text.split("\n")
        keys.pop()
        return keys
    raw = memoryview(blob)
    keys = []
    for i in range(n):
        a, b = int(off[i]), int(off[i + 1])
        if raw[b - 1] != 10:
            raise ValueError(f"{where}: key {i} does not end with a newline")
        keys.append(bytes(raw[a : b - 1]).decode("utf-8", "surrogatepass"))
    return keys


def split_clean_blob(blob: bytes, n: int) -> list[str] | None:
    """The ``n`` words of ``blob`` (each followed by ``SEP``) if every one is valid UTF-8 free
    of ``SEP``: one decode and one split. None otherwise (decode word by word then)."""
    text = blob.decode("utf-8", "surrogateescape")
    keys = text.split("\udcff")
    if len(keys) != n + 1 or keys[-1] or _SURROGATE.search(text):
        return None
    keys.pop()
    return keys


def decode_words(words: list[bytes], errors: Errors, where: str, lines: Any = None) -> list[str]:
    """Decode word bytes with ``errors``; an error names the file's line of a bad word."""
    # Fast path: one decode of all words; a word holding 0xFF or bad UTF-8 falls through.
    keys = split_clean_blob(b"".join(w + SEP for w in words), len(words))
    if keys is not None:
        return keys
    out = []
    for i, w in enumerate(words):
        try:
            out.append(w.decode("utf-8", errors))
        except UnicodeDecodeError as exc:
            where_row = f"line {int(lines[i])}" if lines is not None else f"row {i + 1}"
            raise VectorFormatError(
                f"{where}: {where_row}: the word {w!r} is not valid UTF-8 ({exc.reason}); "
                f"pass encoding_errors='replace' or 'ignore' to load it anyway"
            ) from None
    return out
