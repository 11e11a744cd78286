"""The backup's volume archiver (ansible/roles/backup/files/volume_archive.py), run as the backup
runs it (`python3 volume_archive.py archive|restore ...`), on a home full of awkward files.

It once left out every file whose name ended in -journal, -wal or -shm, so a student's
`lab-journal` was never backed up. Only a SQLite database's own side files may be left out, and
only because the database's consistent copy already holds what they add. The deploy tests run
the same script on the converged target (tests/deploy/test_converge.py)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ARCHIVER = Path(__file__).resolve().parents[2] / "ansible/roles/backup/files/volume_archive.py"
LARGE = 24 * 1024 * 1024 + 7  # bigger than any buffer of tarfile or gzip, not a round size


def run_archiver(*args: str | Path) -> str:
    result = subprocess.run(
        [sys.executable, str(ARCHIVER), *map(str, args)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def tree(root: Path) -> dict[str, tuple]:
    """Everything a restore must give back: kind, mode, content (hash) or link target, mtime."""
    out = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            out[rel] = ("dir", oct(st.st_mode & 0o7777))
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            out[rel] = ("file", oct(st.st_mode & 0o7777), digest, int(st.st_mtime))
    return out


@pytest.fixture
def home(tmp_path) -> Path:
    """A student's home: files named like SQLite side files that are not, symlinks, odd modes,
    a large file, and a notebook's own SQLite database in WAL mode with rows only in its WAL."""
    home = tmp_path / "home"
    (home / "week03").mkdir(parents=True)
    (home / "lab-journal").write_text("what I tried in week 3\n")
    (home / "week03" / "x-wal").write_bytes(b"not a database's side file")
    (home / "notes-shm").write_text("shared memory notes")
    (home / "-journal").write_text("a file named only like the suffix")
    (home / "big.bin").write_bytes(os.urandom(LARGE))
    (home / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (home / "run.sh").chmod(0o751)
    (home / "private.txt").write_text("secret-ish")
    (home / "private.txt").chmod(0o600)
    (home / "week03" / "latest").symlink_to("../lab-journal")
    (home / "dangling").symlink_to("/nowhere/at/all")
    (home / "locked").mkdir(mode=0o700)
    (home / "locked").chmod(0o700)
    (home / "locked" / "inside.txt").write_text("in a private folder")
    return home


def open_wal_database(path: Path) -> sqlite3.Connection:
    """A database in WAL mode whose rows are still in its -wal file (held open, no checkpoint),
    as a running service leaves it."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("CREATE TABLE runs (epoch INTEGER, loss REAL)")
    db.executemany("INSERT INTO runs VALUES (?, ?)", [(i, 1 / (i + 1)) for i in range(50)])
    db.commit()
    assert path.with_name(path.name + "-wal").stat().st_size > 0
    return db


def test_every_file_of_a_home_comes_back_byte_for_byte(home, tmp_path):
    db = open_wal_database(home / "runs.db")
    try:
        before = tree(home)
        archive = tmp_path / "home.tar.gz"
        run_archiver("archive", home, archive)
    finally:
        db.close()
    restored = tmp_path / "restored"
    restored.mkdir()
    out = run_archiver("restore", archive, restored, "missing")
    assert "restored" in out

    got = tree(restored)
    # The database's side files are the only things left out; the database holds their rows.
    side_files = {"runs.db-wal", "runs.db-shm"}
    expected = {k: v for k, v in before.items() if k not in side_files and k != "runs.db"}
    assert {k: v for k, v in got.items() if k != "runs.db"} == expected
    for name in ("lab-journal", "week03/x-wal", "notes-shm", "-journal"):
        assert name in got, f"{name} was not backed up"
    assert got["big.bin"][2] == before["big.bin"][2]
    with sqlite3.connect(restored / "runs.db") as copy:
        assert copy.execute("SELECT count(*) FROM runs").fetchone() == (50,)


def test_missing_mode_puts_back_only_what_is_gone(home, tmp_path):
    archive = tmp_path / "home.tar.gz"
    run_archiver("archive", home, archive)
    (home / "lab-journal").unlink()
    (home / "private.txt").write_text("changed since the backup")
    run_archiver("restore", archive, home, "missing")
    assert (home / "lab-journal").read_text() == "what I tried in week 3\n"
    assert (home / "private.txt").read_text() == "changed since the backup"


def test_replace_mode_makes_the_volume_exactly_the_backup(home, tmp_path):
    before = tree(home)
    archive = tmp_path / "home.tar.gz"
    run_archiver("archive", home, archive)
    (home / "lab-journal").write_text("overwritten")
    (home / "week03" / "x-wal").unlink()
    (home / "new-since-backup.txt").write_text("not in the backup")
    (home / "new-folder").mkdir()
    (home / "dangling").unlink()
    (home / "dangling").write_text("now a file")
    run_archiver("restore", archive, home, "replace")
    assert tree(home) == before


def test_a_bad_restore_mode_is_refused_and_changes_nothing(home, tmp_path):
    archive = tmp_path / "home.tar.gz"
    run_archiver("archive", home, archive)
    before = tree(home)
    result = subprocess.run(
        [sys.executable, str(ARCHIVER), "restore", str(archive), str(home), "overwrite"],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "mode must be 'missing' or 'replace', not 'overwrite'" in result.stderr
    assert tree(home) == before
