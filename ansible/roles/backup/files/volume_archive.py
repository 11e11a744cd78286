"""Archive a volume into a .tar.gz, or restore it; run inside a throw-away container.

    python3 - archive /volume /backup/NAME.tar.gz
    python3 - restore /backup/NAME.tar.gz /volume missing|replace

SQLite databases are copied with SQLite's online backup API (consistent while in use), and
their side files (`<db>-journal`, `<db>-wal`, `<db>-shm`) are left out: the copy already holds
what they add. Any other file is archived as it is, with owner and mode, whatever its name (a
student's `lab-journal` is not a database's side file). `missing` restores only paths that do
not exist; `replace` empties the volume first. Prints what it did.
"""

import os
import shutil
import sqlite3
import sys
import tarfile
import tempfile
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"
SQLITE_SIDE_SUFFIXES = ("-journal", "-wal", "-shm")


def is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(16) == SQLITE_MAGIC
    except OSError:
        return False


def is_sqlite_side_file(path: Path) -> bool:
    """`x.db-wal` beside a SQLite database `x.db`: its content is in the database's copy."""
    if not path.is_file() or path.is_symlink():
        return False
    for suffix in SQLITE_SIDE_SUFFIXES:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            database = path.with_name(path.name[: -len(suffix)])
            if database.is_file() and not database.is_symlink() and is_sqlite(database):
                return True
    return False


def archive(volume: Path, dest: Path) -> None:
    count = 0
    with tarfile.open(dest, "w:gz") as tar, tempfile.TemporaryDirectory() as tmp:
        for path in sorted(volume.rglob("*")):
            rel = path.relative_to(volume)
            if is_sqlite_side_file(path):
                continue  # folded into the database's copy
            info = tar.gettarinfo(str(path), arcname=str(rel))
            if path.is_file() and not path.is_symlink() and is_sqlite(path):
                copy = Path(tmp) / "db"
                with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as src, \
                        sqlite3.connect(copy) as dst:
                    src.backup(dst)
                info.size = copy.stat().st_size
                with open(copy, "rb") as f:
                    tar.addfile(info, f)
                copy.unlink()
            elif path.is_file() and not path.is_symlink():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
            count += 1
    print(f"archived {count} entries of {volume} into {dest}")


def restore(src: Path, volume: Path, mode: str) -> None:
    if mode not in ("missing", "replace"):
        raise SystemExit(f"mode must be 'missing' or 'replace', not {mode!r}")
    if mode == "replace":
        for child in volume.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    restored = 0
    with tarfile.open(src, "r:gz") as tar:
        for member in tar.getmembers():
            target = volume / member.name
            if os.path.lexists(target):
                continue
            tar.extract(member, volume, numeric_owner=True)
            restored += 1
    print(f"restored {restored} entries into {volume} ({mode})")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "archive":
        archive(Path(args[0]), Path(args[1]))
    elif command == "restore":
        restore(Path(args[0]), Path(args[1]), args[2])
    else:
        raise SystemExit(f"unknown command {command!r}")
