"""`course`: the staff and admin command line.

    course validate                  check the course file, roster and labs (exit 1 on errors)
    course roster sync               bring the running hub and ngshare in line with the roster
    course roster diff               show what `roster sync` would change, change nothing
    course publish-labs [--now T]    publish the labs released by now (T: ISO time, for tests)
    course links [--all]             one nbgitpuller link per released week
    course data status|fetch         the shared course data folder (labs/data-manifest.yml)
    course data export|import FILE   a verified bundle of it, for an air-gapped server

`--course FILE` (default $COURSE_FILE or ./course.yml) chooses the course.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console

from hub.course import CourseFileError, load_course
from hub.in_hub import elsewhere
from hub.problems import Problem, ProblemsError
from hub.roster import RosterError, load_roster

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)
STACK_HELP = "on the host: the stack whose hub container runs it (default $STACK_NAME or course)"


def collect_problems(course_file: Path) -> list[Problem]:
    """Every problem with the course file, its roster and its lab folders, all at once."""
    from hub.datamanifest import data_problems
    from hub.publish import lab_problems

    try:
        course = load_course(course_file)
    except CourseFileError as e:
        return e.problems
    problems: list[Problem] = []
    try:
        load_roster(course_file.parent / course.roster)
    except RosterError as e:
        problems += e.problems
    problems += lab_problems(course, course_file.parent / "labs", str(course_file))
    problems += data_problems(course_file.parent / "labs")
    return problems


def cmd_validate(args: argparse.Namespace) -> int:
    problems = collect_problems(args.course)
    if problems:
        err.print(f"[bold red]{len(problems)} problem(s)[/] in the course setup:")
        for p in problems:
            err.print(f"  {p}", markup=False)
        return 1
    course = load_course(args.course)
    roster = load_roster(args.course.parent / course.roster)
    out.print(
        f"[green]ok[/] {args.course}: {course.course.title} ({course.course.id}), "
        f"{len(course.weeks)} weeks, {len(course.assignments)} assignments, "
        f"{len(roster.students)} students, {len(roster.staff)} staff"
    )
    return 0


def roster_sync(course_file: Path, dry_run: bool) -> list[str]:
    """The hub first (who may sign in), then ngshare (who may submit)."""
    from hub import hub_sync
    from hub.ngshare_sync import sync_from_files

    course = load_course(course_file)
    roster = load_roster(course_file.parent / course.roster)
    plan = hub_sync.sync(hub_sync.HubApi.from_env(), roster, course.auth.admin_users, dry_run)
    return [*plan.lines(done=not dry_run), str(sync_from_files(course_file, dry_run=dry_run))]


def cmd_roster_sync(args: argparse.Namespace) -> int:
    if (code := elsewhere(["roster", "sync"], args.stack)) is not None:
        return code
    for line in roster_sync(args.course, dry_run=False):
        out.print(line, markup=False)
    return 0


def cmd_roster_diff(args: argparse.Namespace) -> int:
    if (code := elsewhere(["roster", "diff"], args.stack)) is not None:
        return code
    for line in roster_sync(args.course, dry_run=True):
        out.print(line, markup=False)
    return 0


def cmd_publish_labs(args: argparse.Namespace) -> int:
    from hub.publish import parse_now, publish

    if not args.repo:  # the served labs repository lives in the hub container
        argv = ["publish-labs", *(["--now", args.now] if args.now else [])]
        if (code := elsewhere(argv, args.stack)) is not None:
            return code
    course = load_course(args.course)
    publication = publish(
        course, args.course.parent / "labs", parse_now(args.now, course), repo=args.repo
    )
    out.print(publication.summary(), markup=False)
    return 0


def cmd_links(args: argparse.Namespace) -> int:
    from hub.links import link_lines
    from hub.publish import parse_now

    course = load_course(args.course)
    for line in link_lines(course, parse_now(args.now, course), args.base_url, args.all):
        print(line)  # tab-separated, for scripts: no rich formatting
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description="staff and admin tools")
    parser.add_argument(
        "--course", type=Path, default=Path(os.environ.get("COURSE_FILE", "course.yml")),
        help="the course file (default: $COURSE_FILE or ./course.yml)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("validate", help="check course file, roster and labs").set_defaults(
        func=cmd_validate
    )

    roster = sub.add_parser("roster", help="roster tools").add_subparsers(
        dest="roster_command", required=True, metavar="ACTION"
    )
    for action, func, text in (
        ("sync", cmd_roster_sync, "bring the running hub and ngshare in line with the roster"),
        ("diff", cmd_roster_diff, "show what `roster sync` would change, change nothing"),
    ):
        p = roster.add_parser(action, help=text)
        p.add_argument("--stack", help=STACK_HELP)
        p.set_defaults(func=func)

    publish = sub.add_parser("publish-labs", help="publish the labs released by now")
    publish.add_argument("--now", help="ISO 8601 time to publish as of (default: now)")
    publish.add_argument("--repo", help="git repository (default: the course's lab source)")
    publish.add_argument("--stack", help=STACK_HELP)
    publish.set_defaults(func=cmd_publish_labs)

    from hub.datacommands import add_data_commands

    add_data_commands(sub)

    links = sub.add_parser("links", help="nbgitpuller links of the released weeks")
    links.add_argument("--all", action="store_true", help="every week, open or not")
    links.add_argument("--now", help="ISO 8601 time (default: now)")
    links.add_argument(
        "--base-url", default=os.environ.get("PUBLIC_URL", "/"),
        help="the hub's public URL (default: $PUBLIC_URL or /)",
    )
    links.set_defaults(func=cmd_links)

    from hub.grading.commands import add_grading_commands

    add_grading_commands(sub)
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
