"""Tests of tokenvec.io.files: atomic saves that never remove what they did not write,
files flushed before they are renamed, devices and FIFOs never replaced."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tokenvec as tv
from support import ROOT, cli, small, special_targets, vectors
from tokenvec.io import files as _files
from tokenvec.io.files import atomic_path, clean_stale
from tokenvec.word2vec import Word2Vec


def _record_fsyncs(monkeypatch) -> list[str]:
    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


def test_save_refuses_a_users_folder(tmp_path):
    user = tmp_path / "some_dir"
    user.mkdir()
    (user / "thesis.tex").write_text("years of work")
    for call in (
        lambda: small().save(user),
        lambda: small().save(user, overwrite=True),
    ):
        with pytest.raises(FileExistsError, match="not a tokenvec-vectors folder"):
            call()
        assert (user / "thesis.tex").read_text() == "years of work"
    res = cli("convert", str(small().save(tmp_path / "v.txt", format="glove")), str(user))
    assert res.returncode == 1 and "not a tokenvec-vectors folder" in res.stderr
    res = cli("convert", str(tmp_path / "v.txt"), str(user), "--overwrite")
    assert res.returncode == 1 and (user / "thesis.tex").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["some_dir", "v.txt"]


def test_overwrite_replaces_only_an_artefact_of_the_same_kind(tmp_path):
    target = small().save(tmp_path / "v")
    with pytest.raises(FileExistsError, match="pass overwrite=True"):
        small().save(target)
    bigger = tv.Vectors(["x", "y"], np.ones((2, 2), np.float32))
    bigger.save(target, overwrite=True)
    assert tv.load_vectors(target).index_to_key == ["x", "y"]
    (target / "notes.txt").write_text("mine")  # a user's file inside: never removed
    with pytest.raises(FileExistsError, match=r"did not write \(notes.txt\)"):
        small().save(target, overwrite=True)
    assert (target / "notes.txt").read_text() == "mine"
    # A word2vec checkpoint is another kind: vectors may not replace it.
    model = Word2Vec(min_count=1, vector_size=4, epochs=1, threads=1)
    model.train([["a", "b"]] * 5, progress=False, checkpoint=tmp_path / "ckpt")
    with pytest.raises(FileExistsError, match="not a tokenvec-vectors folder"):
        small().save(tmp_path / "ckpt", overwrite=True)
    # Single files: replaced only with overwrite.
    f = small().save(tmp_path / "v.bin", format="word2vec")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        bigger.save(f, format="word2vec")
    bigger.save(f, format="word2vec", overwrite=True)
    assert tv.load_vectors(f).index_to_key == ["x", "y"]


@pytest.mark.parametrize("fmt", ["native", "glove"])
def test_saves_follow_the_umask(tmp_path, fmt):
    old = os.umask(0o022)
    try:
        out = small().save(tmp_path / f"v.{fmt}", format=fmt)
    finally:
        os.umask(old)
    paths = [out, *out.iterdir()] if out.is_dir() else [out]
    for p in paths:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o755 if p.is_dir() else 0o644), (p, oct(mode))


def test_temporaries_of_killed_saves_are_cleaned_by_the_next_save(tmp_path):
    target = tmp_path / "v"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    stale_dir = tmp_path / f".v.tokenvec-{dead}-abcd.tmp"
    stale_dir.mkdir()
    (stale_dir / "vectors.npy").write_bytes(b"x" * 1000)
    stale_file = tmp_path / f".v.tokenvec-{dead}-efgh.tmp"
    stale_file.write_bytes(b"y")
    live = tmp_path / f".v.tokenvec-{os.getpid()}-ijkl.tmp"  # a save in progress: kept
    live.write_bytes(b"z")
    other = tmp_path / ".v.other-1.tmp"  # not ours: kept
    other.write_bytes(b"w")
    small().save(target)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["v", live.name, other.name])
    assert clean_stale(target) == 0
    # A folder where a file save's temporary would be is not one: it is left alone.
    odd = tmp_path / f".f.txt.tokenvec-{dead}-mnop.tmp"
    odd.mkdir()
    (odd / "notes").write_text("mine")
    small().save(tmp_path / "f.txt", format="glove")
    assert (odd / "notes").read_text() == "mine"


def test_folder_swap_leaves_no_moment_without_target(tmp_path, monkeypatch):
    # The swap is one renameat2(RENAME_EXCHANGE): os.rename of the target is never needed.
    target = small().save(tmp_path / "v")
    renames: list[tuple[str, str]] = []
    real = os.rename
    monkeypatch.setattr(os, "rename", lambda a, b: (renames.append((a, b)), real(a, b)))
    tv.Vectors(["q"], np.ones((1, 2), np.float32)).save(target, overwrite=True)
    assert renames == [] and tv.load_vectors(target).index_to_key == ["q"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v"]


def test_atomic_path_removes_its_temporary_on_error(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "f.txt") as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_killed_saves_never_lose_the_target():
    # scripts/kill_saves.py with a few kills per kind of target; run it with --kills 300 for
    # the full check.
    res = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "kill_saves.py"), "--kills", "8"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout + res.stderr[-2000:]
    sys.path.insert(0, str(ROOT / "scripts"))
    from kill_saves import KINDS

    assert res.stdout.count("missing 0, broken 0") == len(KINDS) == 12, res.stdout  # every writer


def test_fallback_swap_puts_the_old_folder_back_if_the_new_one_cannot_move(tmp_path, monkeypatch):
    # Where renameat2 is missing, two renames are used; if the second fails, the old
    # artefact must be back at the target, not left under a temporary name.
    import tokenvec.io.files as files

    target = small().save(tmp_path / "v")
    monkeypatch.setattr(files, "_renameat2", lambda *a: False)
    real = os.rename

    def second_fails(a, b):
        if str(a).endswith(".tmp"):
            raise OSError("disk gone")
        return real(a, b)

    monkeypatch.setattr(os, "rename", second_fails)
    with pytest.raises(OSError, match="disk gone"):
        tv.Vectors(["q"], np.ones((1, 2), np.float32)).save(target, overwrite=True)
    monkeypatch.undo()
    assert tv.load_vectors(target).index_to_key == ["a", "b", "c"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v"]


@pytest.mark.parametrize("fmt", ["glove", "word2vec", "native", "fasttext-bin"])
def test_overwrite_never_replaces_devices_fifos_or_sockets(tmp_path, fmt):
    v = vectors(5, 3)
    for target in special_targets(tmp_path):
        before = os.lstat(target)
        with pytest.raises(FileExistsError) as err:
            v.save(target, format=fmt, overwrite=True)
        after = os.lstat(target)
        assert (after.st_ino, after.st_mode, after.st_rdev) == (
            before.st_ino,
            before.st_mode,
            before.st_rdev,
        ), target
        assert str(target) in str(err.value)
    assert os.path.exists("/dev/null") and not Path("/dev/null").is_file()


def test_a_symlink_to_a_regular_file_is_still_replaceable(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old\n")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    vectors(5, 3).save(link, format="glove", overwrite=True)
    assert len(tv.load_vectors(link)) == 5


def test_a_file_save_flushes_the_file_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    renamed: list[int] = []
    synced = _record_fsyncs(monkeypatch)
    real_rename = _files._renameat2
    monkeypatch.setattr(
        _files, "_renameat2", lambda *a: (renamed.append(len(synced)), real_rename(*a))[1]
    )
    vectors(10, 3).save(tmp_path / "v.txt", format="glove")
    assert renamed == [1]  # one fsync (the temporary file) before the rename
    assert ".tokenvec-" in synced[0] and synced[0].endswith(".tmp")
    assert synced[1:] == [str(tmp_path)]  # the parent folder after it


def test_a_folder_save_flushes_every_file_and_both_folders(tmp_path, monkeypatch):
    synced = _record_fsyncs(monkeypatch)
    target = tmp_path / "vecs"
    vectors(10, 3).save(target)
    inside = [s for s in synced if ".tokenvec-" in s]
    names = {Path(s).name for s in inside if not s.endswith(".tmp")}
    assert {"vectors.npy", "keys.bin", "meta.json", "key_offsets.npy"} <= names
    assert inside[-1].endswith(".tmp")  # the temporary folder itself, after its files
    assert synced[-1] == str(tmp_path)
