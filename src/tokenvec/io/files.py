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
- A save replaces only a regular file or a tokenvec folder: a device, FIFO or socket (or a
  symlink to one) is refused whatever ``overwrite`` says.
- Saves are durable: the temporary is flushed (``fsync``) before the rename and the parent
  folder after it, so after a power cut the target is the old content or the new one.

Inputs may be pipes, FIFOs and devices: :func:`open_stream` opens them once and gives back the
bytes it looked at, and the other readers here bound what one line or file may cost.
"""

from __future__ import annotations

import bz2
import contextlib
import ctypes
import ctypes.util
import errno
import gzip
import io
import json
import lzma
import mmap
import os
import re
import stat
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


_SPECIAL = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def refuse_special(target: Path) -> None:
    """Raise ``FileExistsError`` if ``target`` is (or is a symlink to) anything but a regular
    file or a folder: a save renames over its target, and renaming a file over ``/dev/null``
    or a FIFO replaces the system's node, not what it leads to. No flag allows it."""
    try:
        st = os.stat(target)  # follows a symlink: a link to /dev/null is refused too
    except OSError:
        return  # missing, or a dangling symlink: nothing of the user's is behind it
    for test, what in _SPECIAL:
        if test(st.st_mode):
            link = " (through a symlink)" if target.is_symlink() else ""
            raise FileExistsError(
                f"{target} is {what}{link}; a save replaces only a regular file or a tokenvec "
                f"folder, so it is left as it is: choose a file name as the target"
            )


def _fsync(path: Path, *, folder: bool = False) -> None:
    """Flush ``path`` (a file's data, or a folder's entries) to the disk."""
    try:
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if folder else 0))
    except PermissionError:  # a umask that leaves the owner no read: flushing is best effort
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):  # a file system that cannot sync
            raise
    finally:
        os.close(fd)


def make_durable(tmp: Path) -> None:
    """Flush a finished temporary (a file, or a folder and every file in it) before it is
    renamed into place: after a power cut the new name then leads to the whole new content,
    never to an empty or partial file (the rename itself is made durable by flushing the
    parent folder afterwards, :func:`_fsync` with ``folder=True``)."""
    if tmp.is_dir() and not tmp.is_symlink():
        for e in os.scandir(tmp):
            if e.is_file(follow_symlinks=False):
                _fsync(Path(e.path))
        _fsync(tmp, folder=True)
    else:
        _fsync(tmp)


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
    refuse_special(target)
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
        make_durable(tmp)
        _move_into_place(tmp, target, exists=exists, overwrite=overwrite, kind=kind)
    except BaseException:
        _remove_owned(tmp, files)
        raise
    with contextlib.suppress(OSError):
        _fsync(target.parent, folder=True)  # the rename itself, made durable


def _move_into_place(
    tmp: Path, target: Path, *, exists: bool, overwrite: bool, kind: FolderKind | None
) -> None:
    """Rename the finished temporary ``tmp`` over ``target`` by the rules of :func:`atomic_path`."""
    if kind is None:
        if not exists and _renameat2(tmp, target, _RENAME_NOREPLACE):
            return
        if not overwrite and os.path.lexists(target):
            raise FileExistsError(f"{target} appeared while it was being written; kept it")
        refuse_special(target)  # once more: it may have become a device meanwhile
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
        _remove_owned(tmp, kind.files)  # tmp now holds the old artefact
        return
    old = target.with_name(f".{target.name}.{_TAG}-{os.getpid()}-{os.urandom(4).hex()}.old")
    os.rename(target, old)
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(old, target)  # put the old artefact back before reporting
        raise
    _remove_owned(old, kind.files)


# --- inputs that can be read only once: pipes, FIFOs, character devices -------------------------

PIPE_WAIT_ENV = "TOKENVEC_PIPE_WAIT"
PIPE_WAIT_S = 60.0  # how long a FIFO may go without a writer before the read gives up
PIPE_READ_BYTES = 64 * 1024  # what a Linux pipe holds


def is_stream(path: Path) -> bool:
    """Whether ``path`` is an input that can be read only once, front to back (a pipe such as
    ``<(cat file)``, a FIFO, a character device): it must be opened once, never re-opened."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


class _Prefixed(io.RawIOBase):
    """Bytes already read from a stream (``head``), then the rest of the stream."""

    def __init__(self, head: bytes, raw: BinaryIO) -> None:
        self._head, self._pos, self._raw = head, 0, raw

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._pos < len(self._head):
            n = min(len(b), len(self._head) - self._pos)
            b[:n] = self._head[self._pos : self._pos + n]
            self._pos += n
            return n
        return self._raw.readinto(b)  # type: ignore[attr-defined]

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        self._raw.close()
        super().close()


def _wait_for_writer(fd: int, path: Path) -> None:
    """Wait until a FIFO opened without blocking has data or its writer has gone; a clear
    error after ``TOKENVEC_PIPE_WAIT`` seconds (60 by default) with no writer at all."""
    import select

    try:
        wait = float(os.environ.get(PIPE_WAIT_ENV, PIPE_WAIT_S))
    except ValueError:
        wait = PIPE_WAIT_S
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    if not poller.poll(max(0, int(wait * 1000))):
        raise VectorFormatError(
            f"{path}: nothing was written to this pipe in {wait:g} s (no writer); start the "
            f"program that writes it, or set {PIPE_WAIT_ENV} to wait longer"
        )


def open_stream(path: Path, head_bytes: int) -> tuple[bytes, BinaryIO]:
    """Open a stream input once: its first ``head_bytes`` bytes (fewer if it ends first), and a
    reader that yields the whole stream again from its first byte. A FIFO without a writer is
    an error after a while (see :func:`_wait_for_writer`), not a hang."""
    import fcntl

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        anonymous = os.path.basename(os.path.realpath(path)).startswith("pipe:")
        if stat.S_ISFIFO(os.fstat(fd).st_mode) and not anonymous:
            _wait_for_writer(fd, path)  # a named FIFO; a shell's <(...) pipe has its writer
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)  # from here on, reads block
        raw = open(fd, "rb", buffering=0, closefd=True)
    except BaseException:
        os.close(fd)
        raise
    parts, got = [], 0
    try:
        while got < head_bytes:
            chunk = raw.read(min(PIPE_READ_BYTES, head_bytes - got))  # no big buffer up front
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
    except BaseException:
        raw.close()
        raise
    head = b"".join(parts)
    return head, io.BufferedReader(_Prefixed(head, raw), 1 << 20)  # type: ignore[arg-type]


MAX_LINE_BYTES = 64 * 2**20  # a longer "line" means the input is not text made of lines


def read_rest(f: BinaryIO, where: str, already: int = 0) -> bytes:
    """The rest of a stream, in memory; an error before the whole (``already`` bytes read
    before) outgrows half the memory available (an endless stream, or one to save first)."""
    from tokenvec._native.memory import available_bytes

    have = available_bytes()
    limit = have // 2 if have else 2**40
    parts, total = [], already
    while chunk := f.read(PIPE_READ_BYTES * 16):
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            raise VectorFormatError(
                f"{where}: more than {limit / 2**30:,.1f} GiB from a pipe: it does not end, or "
                f"it is too large to read into memory (save it to a file first)"
            )
    return b"".join(parts)


def open_input(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a file, or a pipe/FIFO/device once (a FIFO without a writer is an error after a
    while, not a hang), for reading bytes."""
    p = Path(path)
    if is_stream(p):
        return open_stream(p, 0)[1]
    return open(p, "rb")


def read_bounded(path: str | os.PathLike[str], limit: int, what: str) -> bytes:
    """The whole of a file that should be small (a tokenizer, a JSON record): a ``ValueError``
    naming the file past ``limit`` bytes, so ``/dev/zero`` cannot fill the memory."""
    with open_input(path) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path}: larger than {limit:,} bytes, too large for {what}")
    return data


def iter_lines(
    path: str | os.PathLike[str], *, max_line: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, str]]:
    """(line number, line without its end) of a UTF-8 text file, pipe or FIFO. A line longer
    than ``max_line`` bytes (``/dev/zero`` has no line end at all) or bytes that are not UTF-8
    are a ``ValueError`` naming the file and the line."""
    with open_input(path) as f:
        for lineno, raw in enumerate(iter(lambda: f.readline(max_line + 1), b""), 1):
            if len(raw) > max_line:
                raise ValueError(
                    f"{path}:{lineno}: a line longer than {max_line / 2**20:g} MiB: not a text "
                    f"file of lines"
                )
            try:
                yield lineno, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"{path}:{lineno}: not UTF-8 text (byte {exc.start} of the line)"
                ) from None


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


class MappedFiles:
    """The files that memory-mapped arrays read, each with its size when it was opened.

    A mapped file that shrinks while open (``cp`` over it, a program rewriting it in place)
    kills the process with SIGBUS on the next read of a page past its new end: no Python
    exception can catch that. Queries call :meth:`check` first, which turns a shrunk file into
    a clear error instead (one ``fstat`` per mapped file). A file replaced by a rename (as
    every tokenvec save does) is unaffected: the mapping keeps the old file.
    """

    def __init__(self, arrays: list[Any], where: str) -> None:
        self.where = where
        self._maps: list[tuple[Any, int]] = []
        seen: set[int] = set()
        for a in arrays:
            mm = _mmap_of(a)
            if mm is not None and id(mm) not in seen:
                seen.add(id(mm))
                self._maps.append((mm, mm.size()))

    def __bool__(self) -> bool:
        return bool(self._maps)

    def check(self) -> None:
        """Raise ``VectorFormatError`` if a mapped file is now shorter than when opened."""
        for mm, size in self._maps:
            try:
                now = mm.size()
            except (OSError, ValueError):  # closed, or the file is gone
                now = -1
            if now < size:
                raise VectorFormatError(
                    f"{self.where} was rewritten in place while open ({size:,} bytes then, "
                    f"{max(now, 0):,} now): its memory-mapped rows can no longer be read; open "
                    f"it again (or open it with mmap=False to read it into memory)"
                )


def _mmap_of(a: Any) -> Any:
    """The ``mmap.mmap`` behind a NumPy array (a ``np.memmap`` or a view of one), or None."""
    for _ in range(64):
        mm = getattr(a, "_mmap", None)
        if isinstance(mm, mmap.mmap):
            return mm
        if isinstance(a, mmap.mmap):
            return a
        a = getattr(a, "base", None)
        if a is None:
            return None
    return None


# The data shipped inside the package: GPT-2's vocabulary, the corpus, the benchmark pair sets.
ASSETS = Path(__file__).resolve().parents[1] / "assets"


def builtin_corpus_path() -> Path:
    """The built-in English corpus shipped inside the package (see assets/CORPUS.md)."""
    return ASSETS / "corpus.txt.xz"
