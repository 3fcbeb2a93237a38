"""Helpers the test files share (tests/ is on pytest's path: `from support import cli`)."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

import tokenvec as tv
from tokenvec.word2vec import Word2Vec


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300):
    return subprocess.run(
        [sys.executable, "-m", "tokenvec", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def vectors(n: int = 635, dim: int = 20, seed: int = 0) -> tv.Vectors:
    rng = np.random.default_rng(seed)
    return tv.Vectors([f"w{i}" for i in range(n)], rng.normal(size=(n, dim)).astype(np.float32))


def special_targets(tmp_path: Path) -> list[Path]:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    sock.close()
    link = tmp_path / "null-link"
    link.symlink_to("/dev/null")
    fifo_link = tmp_path / "fifo-link"
    fifo_link.symlink_to(fifo)
    targets = [fifo, sock_path, link, fifo_link]
    device = tmp_path / "null-device"  # a node of /dev/null's own device, where allowed (root)
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        targets.append(device)
    except (PermissionError, OSError):
        pass
    return targets


def through_fifo(tmp_path: Path, data: bytes, load) -> object:
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)

    def writer() -> None:
        with open(fifo, "wb") as f:
            f.write(data)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        return load(fifo)
    finally:
        t.join(10)


REWRITE = """
import shutil, sys
from pathlib import Path
import numpy as np
import tokenvec as tv

root, kind = Path(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(0)
v = tv.Vectors([f"w{i}" for i in range(5000)], rng.normal(size=(5000, 64)).astype(np.float32))
if kind.startswith("fasttext"):
    src = Path(sys.argv[3])
    target = root / "model.bin"
    shutil.copy(src, target)
    opened = tv.load_vectors(target) if kind == "fasttext" else tv.load_fasttext(target, mmap=True)
    before = opened["nightx"].copy()
    victim = target
else:
    stored = v if kind == "float32" else v.quantize(kind)
    stored.save(root / "folder")
    opened = tv.load_vectors(root / "folder")
    victim = root / "folder" / "vectors.npy"
print(opened["w1"][:2] if not kind.startswith("fasttext") else "ok", flush=True)
with open(victim, "r+b") as f:  # rewritten in place (same file): cp over it, a retraining
    f.truncate(200)
try:
    if kind.startswith("fasttext"):
        assert np.array_equal(opened["nightx"], before)
        print("SAME", flush=True)
    else:
        opened["w4999"]
        opened.most_similar("w4000")
        print("READ", flush=True)
except tv.VectorFormatError as exc:
    print("ERROR", exc, flush=True)
"""


def checkpoint(tmp_path: Path) -> Path:

    model = Word2Vec(min_count=1, vector_size=8, epochs=1, threads=1)
    model.train([["a", "b", "c", "d"] * 5] * 10, progress=False, checkpoint=tmp_path / "c")
    return tmp_path / "c"


def npy_with_header(header: dict) -> bytes:
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue()


def rewrite_member(weights: Path, name: str, header: dict, payload: bytes, compress: int):
    import zipfile

    with zipfile.ZipFile(weights) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    members[f"{name}.npy"] = npy_with_header(header) + payload
    with zipfile.ZipFile(weights, "w", compression=compress) as z:
        for member, data in members.items():
            z.writestr(member, data)


def glove_file(tmp_path: Path) -> Path:
    path = tmp_path / "v.txt"
    if not path.exists():
        vectors(50, 8).save(path, format="glove")
    return path


ROOT = Path(__file__).resolve().parents[1]


def small() -> tv.Vectors:
    return tv.Vectors(["a", "b", "c"], np.arange(6, dtype=np.float32).reshape(3, 2) + 1)
