"""Sync the roster into ngshare: the course exists, staff are instructors, students are students.

Idempotent: it adds or updates what differs and reports what it did (or, dry_run, what it would
do). Nobody is removed: a student who leaves the roster keeps their submissions in ngshare (the
hub stops admitting them: hub/hub_sync.py).

    python -m hub.ngshare_sync     # once (what `course roster sync` calls; hub.admin_service
                                   # runs it at every hub start)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

from hub.course import load_course
from hub.ngshare import Ngshare
from hub.roster import Person, Roster, load_roster


@dataclasses.dataclass
class SyncReport:
    course_created: bool = False
    instructors_added: list[str] = dataclasses.field(default_factory=list)
    students_added: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    dry_run: bool = False  # what a sync would do (course roster diff)

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
            parts.append("create the course" if self.dry_run else "created the course")
        for label, names in (
            ("add instructors" if self.dry_run else "added instructors", self.instructors_added),
            ("add students" if self.dry_run else "added students", self.students_added),
            ("update" if self.dry_run else "updated", self.updated),
        ):
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        return ("ngshare would: " if self.dry_run else "ngshare: ") + "; ".join(parts)


def _names(person: Person) -> dict[str, str]:
    first, _, last = person.name.partition(" ")
    return {"first_name": first, "last_name": last or "-", "email": person.email}


def _differs(record: dict, person: Person) -> bool:
    want = _names(person)
    return any(record.get(k) != v for k, v in want.items())


def sync(ngshare: Ngshare, course_id: str, roster: Roster, dry_run: bool = False) -> SyncReport:
    report = SyncReport(dry_run=dry_run)
    exists = course_id in ngshare.courses()
    if not exists:
        if not dry_run:
            ngshare.post(f"course/{course_id}", instructors="[]")
        report.course_created = True
    for kind, people, records, added in (
        ("instructor", roster.staff, ngshare.instructors, report.instructors_added),
        ("student", roster.students, ngshare.students, report.students_added),
    ):
        known = records(course_id) if exists or not dry_run else {}
        for person in people:
            record = known.get(person.username)
            if record is None or _differs(record, person):
                if not dry_run:
                    ngshare.post(f"{kind}/{course_id}/{person.username}", **_names(person))
                (added if record is None else report.updated).append(person.username)
    return report


def sync_from_files(
    course_file: Path, ngshare: Ngshare | None = None, dry_run: bool = False
) -> SyncReport:
    course = load_course(course_file)
    roster = load_roster(course_file.parent / course.roster)
    return sync(ngshare or Ngshare.from_env(), course.course.id, roster, dry_run)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--course-file", default=os.environ.get("COURSE_FILE", "/srv/course/course.yml")
    )
    args = parser.parse_args(argv)
    print(sync_from_files(Path(args.course_file)))


if __name__ == "__main__":
    main()
