"""`course`: the staff and admin command line.

    course validate [--course course.yml]     check the course file, roster and labs; exit 1 on errors
    course roster sync                        bring ngshare in line with the roster
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console

from hub.course import CourseFileError, load_course
from hub.problems import Problem, ProblemsError
from hub.roster import RosterError, load_roster

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def default_course_file() -> str:
    return os.environ.get("COURSE_FILE", "course.yml")


def collect_problems(course_file: Path) -> list[Problem]:
    """Every problem with the course file, its roster and its lab folders, all at once."""
    try:
        course = load_course(course_file)
    except CourseFileError as e:
        return e.problems
    problems: list[Problem] = []
    try:
        load_roster(course_file.parent / course.roster)
    except RosterError as e:
        problems += e.problems
    labs_dir = course_file.parent / "labs"
    for i, week in enumerate(course.weeks):
        if week.lab and not (labs_dir / week.lab).is_dir():
            problems.append(Problem(
                str(course_file), f"weeks[{i}].lab",
                f"week {week.week}'s lab folder {labs_dir / week.lab} does not exist",
            ))
    return problems


def cmd_validate(args: argparse.Namespace) -> int:
    course_file = Path(args.course)
    problems = collect_problems(course_file)
    if problems:
        err.print(f"[bold red]{len(problems)} problem(s)[/] in the course setup:")
        for p in problems:
            err.print(f"  {p}", markup=False)
        return 1
    course = load_course(course_file)
    roster = load_roster(course_file.parent / course.roster)
    out.print(
        f"[green]ok[/] {course_file}: {course.course.title} ({course.course.id}), "
        f"{len(course.weeks)} weeks, {len(course.assignments)} assignments, "
        f"{len(roster.students)} students, {len(roster.staff)} staff"
    )
    return 0


def cmd_roster_sync(args: argparse.Namespace) -> int:
    from hub.ngshare_sync import sync_from_files

    out.print(str(sync_from_files(Path(args.course))))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description="Run the course: staff and admin tools")
    parser.add_argument(
        "--course", default=default_course_file(),
        help="the course file (default: $COURSE_FILE or ./course.yml)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("validate", help="check course file, roster and labs").set_defaults(
        func=cmd_validate
    )
    roster = sub.add_parser("roster", help="roster tools").add_subparsers(
        dest="roster_command", required=True
    )
    roster.add_parser("sync", help="bring ngshare in line with the roster").set_defaults(
        func=cmd_roster_sync
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ProblemsError as e:
        for p in e.problems:
            err.print(f"  {p}", markup=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
