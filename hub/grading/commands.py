"""The staff's assignment commands for `course`: release, collect, autograde, feedback, grades,
similarity, extend; and their parser.

Where each runs, and how it gets there, is hub/grading/where.py; autograde's orchestration is
hub/grading/autograde.py. Every command checks its assignment and student against the course
file and roster first, wherever it runs, so a typo is one line and no staff-tools container.

The hub image has neither nbformat nor nbgrader: each command decides where it runs before it
imports the modules that need them (workflow, export, similarity).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools

from rich.console import Console
from rich.table import Table

from hub.course import load_course
from hub.grading.autograde import cmd_autograde
from hub.grading.where import ToolboxError, local_grading_dir, run_in_toolbox

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


# -- the commands ---------------------------------------------------------------------------------


def cmd_release(args: argparse.Namespace) -> int:
    root = local_grading_dir(args)
    if root is None:
        return run_in_toolbox(
            args, ["release", args.assignment, *(["--force"] if args.force else [])]
        )
    from hub.grading import workflow

    try:
        report = workflow.release(
            root, load_course(args.course), args.course, args.assignment, args.force
        )
    except workflow.WorkflowError as e:
        err.print(str(e), style="red", markup=False)
        return 1
    out.print(report.source, markup=False)
    if report.already_released:
        out.print(
            f"{args.assignment} was already released; ngshare holds "
            f"{', '.join(report.files)} (--force to replace it)",
            markup=False,
        )
    else:
        out.print(f"[green]released[/] {args.assignment}: ngshare holds {', '.join(report.files)}")
    return 0


def cmd_collect(args: argparse.Namespace) -> int:
    root = local_grading_dir(args)
    if root is None:
        return run_in_toolbox(args, ["collect", args.assignment])
    from hub.grading import workflow

    try:
        rows = workflow.collect(root, load_course(args.course), args.assignment)
    except workflow.WorkflowError as e:
        err.print(str(e), style="red", markup=False)
        return 1
    table = Table(
        "student",
        "submissions",
        "newest (ngshare, UTC)",
        "collected",
        "ok",
        title=f"{args.assignment}: {len(rows)} students submitted",
    )
    for r in rows:
        table.add_row(
            r.student,
            str(r.submissions),
            r.latest,
            r.collected,
            "[green]yes[/]" if r.ok else "[red]NO[/]",
        )
    out.print(table)
    # A submission ngshare holds but the grading folder lacks must not pass silently.
    return 0 if all(r.ok for r in rows) else 1


def cmd_feedback(args: argparse.Namespace) -> int:
    root = local_grading_dir(args)
    if root is None:
        return run_in_toolbox(args, ["feedback", args.assignment])
    from hub.grading import workflow

    try:
        rows = workflow.feedback(root, load_course(args.course), args.assignment)
    except workflow.WorkflowError as e:
        err.print(str(e), style="red", markup=False)
        return 1
    out.print(
        f"[green]feedback released[/] for {len(rows)} students: "
        f"{', '.join(r.student for r in rows)}"
    )
    return 0


def cmd_grades(args: argparse.Namespace) -> int:
    root = local_grading_dir(args)
    if root is None:
        return run_in_toolbox(args, ["grades"], fetch="exports")
    from hub.grading.export import export_grades
    from hub.grading.extensions import load_extensions
    from hub.grading.workflow import db_url
    from hub.roster import load_roster

    course = load_course(args.course)
    roster = load_roster(args.course.parent / course.roster)
    folder = root / "exports"
    result = export_grades(
        db_url(root), course, roster, load_extensions(course, root), folder / "grades.csv", folder
    )
    out.print(
        f"wrote {result.csv} ({len(result.rows)} students) and "
        f"{', '.join(p.name for p in result.plots)}",
        markup=False,
    )
    if result.not_on_roster:
        out.print(f"[yellow]graded but not on the roster:[/] {', '.join(result.not_on_roster)}")
    return 0


def cmd_similarity(args: argparse.Namespace) -> int:
    root = local_grading_dir(args)
    if root is None:
        return run_in_toolbox(
            args, ["similarity", args.assignment], fetch=f"similarity/{args.assignment}"
        )
    from hub.grading.similarity import compare_course_folder

    course = load_course(args.course)
    try:
        report = compare_course_folder(
            root, args.assignment, root / "similarity" / args.assignment,
            course.similarity.threshold,
        )
    except FileNotFoundError as e:  # not released yet: no template to subtract
        err.print(str(e), style="red", markup=False)
        return 1
    out.print(
        f"{len(report.pairs)} pair(s) compared, {len(report.flagged)} above "
        f"{course.similarity.threshold}: {report.csv}, {report.html}",
        markup=False,
    )
    for line in report.unreadable:
        err.print(f"not compared: {line}", markup=False)
    return 0


def cmd_extend(args: argparse.Namespace) -> int:
    root = local_grading_dir(args)
    if root is None:
        argv = ["extend", args.assignment, args.student, "--until", args.until]
        return run_in_toolbox(args, argv + (["--reason", args.reason] if args.reason else []))
    from hub.grading.extensions import ExtensionError, add_extension, store_path
    from hub.roster import load_roster

    course = load_course(args.course)
    roster = load_roster(args.course.parent / course.roster)
    try:
        granted, previous = add_extension(
            store_path(root),
            course,
            roster,
            args.assignment,
            args.student,
            dt.datetime.fromisoformat(args.until),
            args.reason or "",
        )
    except ExtensionError as e:
        err.print(f"[red]refused:[/] {e}")
        return 1
    out.print(f"{args.assignment}/{args.student}: due {granted.until.isoformat()}", markup=False)
    if previous:
        out.print(f"(replaced the extension until {previous.until.isoformat()})", markup=False)
    out.print(
        f"run `course autograde {args.assignment} --student {args.student}` again if it "
        "was already graded",
        markup=False,
    )
    return 0


# -- the parser -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Cmd:
    name: str
    help: str
    func: object
    assignment: bool = True


COMMANDS = [
    _Cmd("release", "generate and release an assignment through ngshare (checked)", cmd_release),
    _Cmd(
        "collect",
        "collect every student's newest submission (checked against ngshare)",
        cmd_collect,
    ),
    _Cmd("autograde", "autograde each submission in a sandbox container", cmd_autograde),
    _Cmd("feedback", "generate and release feedback (checked against ngshare)", cmd_feedback),
    _Cmd("grades", "export the grades CSV and score plots", cmd_grades, assignment=False),
    _Cmd("similarity", "code similarity report of one assignment", cmd_similarity),
    _Cmd("extend", "record a student's extension", cmd_extend),
]


def checked(func):
    """The command, after its assignment and students are checked against the course file and
    roster here (one line, exit 1, before any container starts); a staff-tools container that
    cannot start is one line too."""

    @functools.wraps(func)
    def run(args: argparse.Namespace) -> int:
        problem = bad_input(args)
        if problem:
            err.print(problem, style="red", markup=False)
            return 1
        try:
            return func(args)
        except ToolboxError as e:
            err.print(str(e), style="red", markup=False)
            return 1

    return run


def bad_input(args: argparse.Namespace) -> str | None:
    """What is wrong with the command's assignment or students, or None."""
    from hub.roster import load_roster

    course = load_course(args.course)
    assignment = getattr(args, "assignment", None)
    if assignment is not None and assignment not in {a.id for a in course.assignments}:
        return (f"{args.course}: no assignment {assignment!r}; valid: "
                f"{', '.join(a.id for a in course.assignments)}")
    student = getattr(args, "student", None)
    named = [student] if isinstance(student, str) else (student or [])
    if named:
        roster = load_roster(args.course.parent / course.roster)
        students = {p.username for p in roster.students}
        unknown = [s for s in named if s not in students]
        if unknown:
            return (f"{', '.join(unknown)}: not a student on the roster "
                    f"{args.course.parent / course.roster}")
    return None


def add_grading_commands(sub: argparse._SubParsersAction) -> None:
    """Register the grading subcommands on the `course` parser."""
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help)
        if cmd.assignment:
            p.add_argument("assignment", help="assignment id, e.g. A1")
        p.add_argument(
            "--stack",
            help="run through a staff-tools container of this stack "
            "(default on a machine without a grading folder: $STACK_NAME or course)",
        )
        p.add_argument("--dev-source", help=argparse.SUPPRESS)  # the working tree's hub/
        p.set_defaults(func=checked(cmd.func))
        if cmd.name == "release":
            p.add_argument(
                "--force", action="store_true", help="release again, replacing what ngshare holds"
            )
        if cmd.name in ("grades", "similarity"):
            p.add_argument(
                "--out",
                default="course-output",
                help="on the host: copy the results here (default ./course-output)",
            )
        if cmd.name == "extend":
            p.add_argument("student")
            p.add_argument(
                "--until",
                required=True,
                help="ISO 8601 time; without an offset, in the course's time zone",
            )
            p.add_argument("--reason", default="")
        if cmd.name == "autograde":
            p.add_argument("--student", action="append", help="only this student (repeatable)")
            p.add_argument("--jobs", type=int, default=2, help="sandboxes at once (default 2)")
            p.add_argument("--cpus", type=float, default=1.0, help="CPUs per sandbox")
            p.add_argument("--memory", default="2g", help="memory per sandbox (default 2g)")
            p.add_argument("--pids", type=int, default=256, help="processes per sandbox")
            p.add_argument(
                "--cell-timeout",
                type=int,
                default=300,
                help="seconds per notebook cell (default 300)",
            )
            p.add_argument(
                "--timeout",
                type=int,
                default=1200,
                help="seconds per submission, whole sandbox (default 1200)",
            )
