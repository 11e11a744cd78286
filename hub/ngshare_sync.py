"""Sync the roster into ngshare: the course exists, staff are instructors, students are students.

Idempotent: it adds or updates what differs and reports what it did. Nobody is removed: a student
who leaves the roster keeps their submissions in ngshare (the hub stops admitting them).

    python -m hub.ngshare_sync            # once (what `course roster sync` calls)
    python -m hub.ngshare_sync --serve    # the hub's course-admin service: sync at start, wait
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import time
from pathlib import Path

from hub.course import load_course
from hub.ngshare import Ngshare, NgshareError
from hub.roster import Person, Roster, load_roster


@dataclasses.dataclass
class SyncReport:
    course_created: bool = False
    instructors_added: list[str] = dataclasses.field(default_factory=list)
    students_added: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.course_created or self.instructors_added or self.students_added or self.updated
        )

    def __str__(self) -> str:
        if not self.changed:
            return "ngshare is in sync with the roster: nothing to change"
        parts = []
        if self.course_created:
            parts.append("created the course")
        for label, names in (
            ("added instructors", self.instructors_added),
            ("added students", self.students_added),
            ("updated", self.updated),
        ):
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        return "ngshare: " + "; ".join(parts)


def _names(person: Person) -> dict[str, str]:
    first, _, last = person.name.partition(" ")
    return {"first_name": first, "last_name": last or "-", "email": person.email}


def _differs(record: dict, person: Person) -> bool:
    want = _names(person)
    return any(record.get(k) != v for k, v in want.items())


def sync(ngshare: Ngshare, course_id: str, roster: Roster) -> SyncReport:
    report = SyncReport()
    if course_id not in ngshare.courses():
        ngshare.post(f"course/{course_id}", instructors="[]")
        report.course_created = True
    instructors = ngshare.instructors(course_id)
    students = ngshare.students(course_id)
    for person in roster.staff:
        record = instructors.get(person.username)
        if record is None or _differs(record, person):
            ngshare.post(f"instructor/{course_id}/{person.username}", **_names(person))
            (report.instructors_added if record is None else report.updated).append(
                person.username
            )
    for person in roster.students:
        record = students.get(person.username)
        if record is None or _differs(record, person):
            ngshare.post(f"student/{course_id}/{person.username}", **_names(person))
            (report.students_added if record is None else report.updated).append(
                person.username
            )
    return report


def sync_from_files(course_file: Path, ngshare: Ngshare | None = None) -> SyncReport:
    course = load_course(course_file)
    roster = load_roster(course_file.parent / course.roster)
    return sync(ngshare or Ngshare.from_env(), course.course.id, roster)


def serve(course_file: Path) -> None:
    """Sync once ngshare answers (it may start after the hub), then idle until stopped."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ngshare = Ngshare(
        os.environ.get("NGSHARE_URL", "http://ngshare:10101/services/ngshare"),
        os.environ["JUPYTERHUB_API_TOKEN"],
    )
    delay = 1.0
    while True:
        try:
            print(sync_from_files(course_file, ngshare), flush=True)
            break
        except (NgshareError, OSError) as err:  # requests' errors are OSErrors
            print(f"roster sync: waiting for ngshare ({err})", flush=True)
            time.sleep(delay)
            delay = min(delay * 2, 30)
    while True:
        time.sleep(3600)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="sync, then wait (hub service)")
    parser.add_argument(
        "--course-file", default=os.environ.get("COURSE_FILE", "/srv/course/course.yml")
    )
    args = parser.parse_args(argv)
    if args.serve:
        serve(Path(args.course_file))
    else:
        print(sync_from_files(Path(args.course_file)))


if __name__ == "__main__":
    main()
