"""Per-student extensions: where they are kept and which due time they give.

Two sources, both counted:
- the course file's `extensions:` list (reviewed, version-controlled decisions);
- the extensions store, `extensions.json` in the grading folder, written by `course extend`.

Precedence: none is needed, because a pair (assignment, student) may have an extension in only
one of them. `add_extension` refuses a pair the course file already has, and reading both
sources raises `ExtensionError` naming both entries when they disagree (identical entries are
accepted). Nothing overrides anything silently. Within the store, recording a pair again
replaces its entry (the latest staff decision counts) and the previous one is returned.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hub.course import Course
from hub.roster import Roster

STORE_NAME = "extensions.json"
STORE_VERSION = 1


class ExtensionError(ValueError):
    """An extension is invalid, conflicts with another, or the store cannot be read."""


@dataclasses.dataclass(frozen=True)
class Granted:
    """One extension: the student's due time for the assignment becomes `until`."""

    assignment: str
    student: str
    until: dt.datetime  # aware
    reason: str = ""
    source: str = STORE_NAME  # "course.yml" or the store's file name
    recorded_at: dt.datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.assignment, self.student)

    def to_json(self) -> dict:
        return {
            "assignment": self.assignment,
            "student": self.student,
            "until": self.until.isoformat(),
            "reason": self.reason,
            "recorded_at": self.recorded_at.isoformat() if self.recorded_at else None,
        }


def store_path(grading_dir: str | Path) -> Path:
    return Path(grading_dir) / STORE_NAME


def read_store(path: str | Path) -> list[Granted]:
    """The store's extensions; a missing file is an empty store."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as err:
        raise ExtensionError(f"{path}: cannot read the extensions store: {err}") from None
    if not isinstance(data, dict) or data.get("version") != STORE_VERSION:
        raise ExtensionError(f"{path}: not an extensions store (expected version {STORE_VERSION})")
    out = []
    for i, item in enumerate(data.get("extensions", [])):
        try:
            out.append(Granted(
                assignment=item["assignment"],
                student=item["student"],
                until=_aware(dt.datetime.fromisoformat(item["until"]), dt.UTC),
                reason=item.get("reason", ""),
                source=path.name,
                recorded_at=(dt.datetime.fromisoformat(item["recorded_at"])
                             if item.get("recorded_at") else None),
            ))
        except (KeyError, TypeError, ValueError) as err:
            raise ExtensionError(f"{path}: extensions[{i}] is malformed: {err!r}") from None
    return out


def add_extension(
    path: str | Path,
    course: Course,
    roster: Roster,
    assignment: str,
    student: str,
    until: dt.datetime,
    reason: str = "",
    now: dt.datetime | None = None,
) -> tuple[Granted, Granted | None]:
    """Record (or replace) `student`'s extension on `assignment` in the store at `path`.

    `until` may be naive: it is then read in the course's time zone. It must be after the
    assignment's due time (an extension moves the due time later). Returns the new entry and
    the one it replaced, if any. The write is atomic and serialised with a file lock, so two
    staff running `course extend` at once both land.
    """
    path = Path(path)
    granted = validate_extension(course, roster, assignment, student, until, reason)
    in_course = [e for e in course_extensions(course) if e.key == granted.key]
    if in_course:
        raise ExtensionError(
            f"{assignment}/{student} already has an extension in course.yml (until "
            f"{in_course[0].until.isoformat()}); change it there, not with `course extend`"
        )
    granted = dataclasses.replace(granted, recorded_at=now or dt.datetime.now(dt.UTC))
    with _locked(path):
        current = read_store(path)
        previous = next((e for e in current if e.key == granted.key), None)
        kept = [e for e in current if e.key != granted.key]
        _write_store(path, [*kept, granted])
    return granted, previous


def remove_extension(path: str | Path, assignment: str, student: str) -> Granted | None:
    """Delete a pair's extension from the store; returns what was removed (None: nothing)."""
    path = Path(path)
    with _locked(path):
        current = read_store(path)
        removed = next((e for e in current if e.key == (assignment, student)), None)
        if removed:
            _write_store(path, [e for e in current if e is not removed])
    return removed


def validate_extension(
    course: Course, roster: Roster, assignment: str, student: str, until: dt.datetime,
    reason: str = "",
) -> Granted:
    problems = []
    try:
        a = course.assignment(assignment)
    except KeyError:
        problems.append(
            f"no assignment {assignment!r}; valid: {', '.join(x.id for x in course.assignments)}"
        )
        a = None
    person = roster.get(student)
    if person is None:
        problems.append(f"{student!r} is not on the roster")
    elif person.is_staff:
        problems.append(f"{student!r} is {person.role}, not a student")
    until = _aware(until, course.tz)
    if a is not None and until <= course.due(a):
        problems.append(
            f"until {until.isoformat()} is not after {assignment}'s due time "
            f"{course.due(a).isoformat()}; an extension moves the due time later"
        )
    if problems:
        raise ExtensionError("; ".join(problems))
    return Granted(assignment, student, until, reason)


def course_extensions(course: Course) -> list[Granted]:
    return [
        Granted(e.assignment, e.student, _aware(e.until, course.tz), e.reason, "course.yml")
        for e in course.extensions
    ]


def extension_table(
    course: Course, stored: list[Granted]
) -> dict[tuple[str, str], Granted]:
    """Every extension by (assignment, student), from the course file and the store.

    Raises ExtensionError listing every pair the two sources disagree on, and every entry
    whose due time does not move later (for example after the course file's due date moved).
    """
    table: dict[tuple[str, str], Granted] = {}
    problems = []
    for e in [*course_extensions(course), *stored]:
        other = table.get(e.key)
        if other is not None and other.until != e.until:
            problems.append(
                f"{e.assignment}/{e.student}: {other.source} says until {other.until.isoformat()}"
                f" but {e.source} says {e.until.isoformat()}; keep one of them"
            )
            continue
        table.setdefault(e.key, e)
    for e in table.values():
        try:
            due = course.due(course.assignment(e.assignment))
        except KeyError:
            problems.append(f"{e.source}: {e.assignment}/{e.student}: no such assignment")
            continue
        if e.until <= due:
            problems.append(
                f"{e.source}: {e.assignment}/{e.student}: until {e.until.isoformat()} is not "
                f"after the due time {due.isoformat()}"
            )
    if problems:
        raise ExtensionError("; ".join(problems))
    return table


def load_extensions(course: Course, grading_dir: str | Path) -> dict[tuple[str, str], Granted]:
    """The course file's and the grading folder's extensions, checked together."""
    return extension_table(course, read_store(store_path(grading_dir)))


def due_for(
    course: Course, table: dict[tuple[str, str], Granted], assignment: str, student: str
) -> dt.datetime:
    """The student's due time for the assignment: the extension's `until`, else the course's."""
    granted = table.get((assignment, student))
    return granted.until if granted else course.due(course.assignment(assignment))


def _aware(when: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=tz)


def _write_store(path: Path, entries: list[Granted]) -> None:
    data = {
        "version": STORE_VERSION,
        "extensions": [e.to_json() for e in sorted(entries, key=lambda e: e.key)],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o660)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
