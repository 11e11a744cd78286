"""The shared course data folder: what is staged (`status`), staging what is missing (`fetch`),
and moving it to an air-gapped server as a verified bundle (`export_bundle`, `import_bundle`).

An entry is present when its marker exists in its target folder (what coursekit checks). Every
entry arrives whole: it is fetched or unpacked into `<data dir>/.staging/`, checked, given a
record of its files (`.course-data.json`: size and sha256 of each) and only then renamed into
place. An interrupted fetch or import leaves only scratch, which the next run clears.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from hub.datamanifest import Entry, Manifest

RECORD = ".course-data.json"
STAGING = ".staging"
BUNDLE_INDEX = "course-data-bundle.json"
REPORT_TAG = "COURSE-DATA "  # the last line of `course data fetch`, for the deploy


def present(entry: Entry, data_dir: Path) -> bool:
    return (data_dir / entry.target / entry.marker).exists()


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def human(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def status_lines(manifest: Manifest, data_dir: Path) -> tuple[list[str], int]:
    """One line per entry (name, kind, present/missing, size, labs) and the number missing."""
    rows, missing = [], 0
    for entry in manifest.entries:
        if present(entry, data_dir):
            state, size = "present", human(folder_size(data_dir / entry.target))
        else:
            state, size, missing = "missing", f"(~{entry.size_mb:g} MB)", missing + 1
        rows.append((entry.name, entry.kind, state, size, ", ".join(entry.labs)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)] if rows else [0] * 4
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r[:4], widths, strict=True)) + "  " + r[4]
        for r in rows
    ]
    return lines, missing


def file_record(folder: Path) -> dict[str, dict]:
    """Relative path -> size and sha256 of every file in `folder` (the record itself aside)."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != RECORD:
            digest = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
            files[path.relative_to(folder).as_posix()] = {
                "size": path.stat().st_size,
                "sha256": digest.hexdigest(),
            }
    return files


@contextlib.contextmanager
def staging(data_dir: Path) -> Iterator[Path]:
    """The scratch folder, locked (one fetch or import at a time) and cleared of old leftovers."""
    area = data_dir / STAGING
    area.mkdir(parents=True, exist_ok=True)
    with open(area / "lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another fetch or import is using {data_dir}") from None
        for old in area.iterdir():
            if old.name != "lock":
                shutil.rmtree(old) if old.is_dir() else old.unlink()
        yield area


def put_in_place(entry: Entry, finished: Path, data_dir: Path, origin: str) -> int:
    """Write the entry's record into the finished folder and rename it to its target."""
    files = file_record(finished)
    record = {
        "name": entry.name,
        "kind": entry.kind,
        "source": entry.source,
        "from": origin,
        "staged_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": files,
    }
    (finished / RECORD).write_text(json.dumps(record, indent=1) + "\n")
    target = data_dir / entry.target
    if target.exists():  # an incomplete earlier copy (its marker is missing)
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    finished.rename(target)
    for path in [target, *target.rglob("*")]:  # students read it, nobody but the owner writes
        path.chmod(0o755 if path.is_dir() else 0o644)
    return sum(f["size"] for f in files.values())


@dataclass
class Report:
    present: list[str] = field(default_factory=list)
    fetched: list[dict] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)

    def as_json(self) -> str:
        return json.dumps(
            {"present": self.present, "fetched": self.fetched, "missing": self.missing}
        )

    def lacks(self, entry: Entry, reason: str, say) -> None:
        """Record and say that `entry` stays missing, why, and which labs fall back."""
        self.missing.append({"name": entry.name, "reason": reason, "labs": entry.labs})
        say(f"{entry.name}: MISSING ({reason}); labs that fall back: {', '.join(entry.labs)}")

    def summary(self) -> str:
        parts = [
            f"{len(self.present)} present",
            f"{len(self.fetched)} fetched",
            f"{len(self.missing)} missing",
        ]
        return "course data: " + ", ".join(parts)


def fetch_missing(manifest: Manifest, data_dir: Path, mirror: str | None, say=print) -> Report:
    """Fetch every entry that is not present, one line per entry; failures are reported."""
    from hub.datafetch import FetchError, Mirror, fetch_entry

    report = Report()
    source = Mirror(mirror) if mirror else None
    origin = f"mirror {mirror}" if mirror else "the public sources"
    with staging(data_dir) as area:
        for entry in manifest.entries:
            if present(entry, data_dir):
                report.present.append(entry.name)
                say(f"{entry.name}: present")
                continue
            say(f"{entry.name}: fetching {entry.kind} {entry.source} from {origin} ...")
            start = time.monotonic()
            work = area / entry.name
            work.mkdir()
            try:
                size = put_in_place(entry, fetch_entry(entry, source, work), data_dir, origin)
            except Exception as err:  # any library's failure: reported, the next entry goes on
                named = isinstance(err, FetchError)
                report.lacks(entry, str(err) if named else f"{type(err).__name__}: {err}", say)
                continue
            finally:
                shutil.rmtree(work, ignore_errors=True)
            report.fetched.append({"name": entry.name, "size": size})
            say(f"{entry.name}: fetched {human(size)} in {time.monotonic() - start:.0f} s")
    return report


def export_bundle(manifest: Manifest, data_dir: Path, bundle: Path, say=print) -> int:
    """Write every present entry into one tar file with an index of sizes and checksums;
    return the number of entries that were missing (and so left out)."""
    index, missing = {"entries": {}}, 0
    staged = [e for e in manifest.entries if present(e, data_dir)]
    for entry in manifest.entries:
        if entry not in staged:
            missing += 1
            say(f"{entry.name}: MISSING from {data_dir}, not in the bundle")
    for entry in staged:
        index["entries"][entry.name] = {
            "target": entry.target,
            "files": file_record(data_dir / entry.target),
        }
    partial = bundle.with_name(bundle.name + ".partial")
    with tarfile.open(partial, "w") as tar:
        raw = json.dumps(index, indent=1).encode()
        info = tarfile.TarInfo(BUNDLE_INDEX)
        info.size = len(raw)
        tar.addfile(info, fileobj=_bytes(raw))
        for entry in staged:
            for rel in index["entries"][entry.name]["files"]:
                tar.add(data_dir / entry.target / rel, arcname=f"{entry.target}/{rel}")
            say(f"{entry.name}: exported ({human(folder_size(data_dir / entry.target))})")
    partial.rename(bundle)
    say(f"bundle {bundle}: {len(staged)} entries, {human(bundle.stat().st_size)}")
    return missing


def _bytes(raw: bytes):
    import io

    return io.BytesIO(raw)


class BundleError(ValueError):
    """The bundle is unreadable or an entry in it is corrupt; the message names it."""


def read_index(tar: tarfile.TarFile, bundle: Path) -> dict:
    try:
        member = tar.extractfile(BUNDLE_INDEX)
        index = json.loads(member.read()) if member else None
    except (KeyError, ValueError):
        index = None
    if not isinstance(index, dict) or not isinstance(index.get("entries"), dict):
        raise BundleError(
            f"{bundle}: no {BUNDLE_INDEX} index; not a bundle from `course data export`"
        )
    return index


def import_bundle(manifest: Manifest, data_dir: Path, bundle: Path, say=print) -> Report:
    """Unpack each entry the data folder lacks, verify every file against the bundle's index,
    and only then put it in place. A corrupt entry is refused by name; nothing staged is touched."""
    report = Report()
    try:
        tar = tarfile.open(bundle)
    except (OSError, tarfile.TarError) as err:
        raise BundleError(f"{bundle}: cannot read it as a bundle ({err})") from None
    with tar, staging(data_dir) as area:
        index = read_index(tar, bundle)
        members = {m.name: m for m in tar.getmembers()}
        for entry in manifest.entries:
            if present(entry, data_dir):
                report.present.append(entry.name)
                say(f"{entry.name}: present, kept")
                continue
            listed = index["entries"].get(entry.name)
            if listed is None or listed.get("target") != entry.target:
                reason = (
                    "not in the bundle"
                    if listed is None
                    else (
                        f"the bundle has it at {listed.get('target')!r}, "
                        f"the manifest at {entry.target!r}"
                    )
                )
                report.lacks(entry, reason, say)
                continue
            work = area / entry.name
            try:
                problem = _unpack_entry(tar, members, entry, listed["files"], work)
                if problem:
                    report.missing.append(
                        {"name": entry.name, "reason": problem, "labs": entry.labs}
                    )
                    say(f"{entry.name}: REFUSED, the bundle is corrupt: {problem}")
                    continue
                size = put_in_place(entry, work, data_dir, f"bundle {bundle.name}")
            finally:
                shutil.rmtree(work, ignore_errors=True)
            report.fetched.append({"name": entry.name, "size": size})
            say(f"{entry.name}: imported {human(size)}, every file's sha256 checked")
    return report


def _unpack_entry(tar, members, entry: Entry, files: dict, work: Path) -> str | None:
    """Unpack `entry`'s files into `work` and check them; return what is wrong, or None."""
    if not files:
        return "the bundle lists no files for it"
    for rel, expected in files.items():
        if PurePosixPath(rel).is_absolute() or ".." in PurePosixPath(rel).parts:
            return f"{rel}: not a path inside the entry"
        member = members.get(f"{entry.target}/{rel}")
        if member is None or not member.isfile():
            return f"{rel} is listed in the index but not in the bundle"
        dest = work / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with tar.extractfile(member) as src, open(dest, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        if size != expected.get("size") or digest.hexdigest() != expected.get("sha256"):
            return f"{rel}: sha256 {digest.hexdigest()[:12]}... ({size} bytes) is not the index's"
    if not (work / entry.marker).exists():
        return f"its marker {entry.marker} is not among its files"
    return None
