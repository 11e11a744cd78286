"""The staff's assignment commands for `course`: release, collect, autograde, feedback, grades,
similarity, extend.

Where a command runs (docs/staff-guide.md):
- in a staff server (the grading folder is at /home/jovyan/grading) or in the staff-tools
  container: directly, with the staff user's (or the course-admin service's) hub token;
- on the host or in the hub container (no grading folder, a Docker engine): in a throw-away
  staff-tools container of the stack named by --stack / $STACK_NAME (hub/grading/toolbox.py).
`course autograde` always needs the Docker engine (it starts one sandbox per submission), so
in a staff server it says where to run it instead.

The hub image has neither nbformat nor nbgrader: each command decides where it runs before it
imports the modules that need them (workflow, export, similarity).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import io
import json
import os
import tarfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hub.course import load_course

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

HOST_HINT = (
    "`course autograde` starts a sandbox container per submission, which needs the Docker "
    "engine; staff servers have none (by design: student code never runs here). Run it on the "
    "course server instead:\n"
    "    sudo course autograde {a}                 (a server set up by `make deploy`)\n"
    "    make course ARGS='autograde {a}'          (from the repository)\n"
    "    docker-compose exec hub course autograde {a}   (in the stack's folder)\n"
    "The scores land in this grading folder; `course feedback {a}` then works from here."
)


# -- where to run ---------------------------------------------------------------------------------

# The same as hub.grading.workflow.DEFAULT_GRADING_DIR, which cannot be imported where nbgrader
# is missing (the hub container); a unit test keeps the two equal.
DEFAULT_GRADING_DIR = "/home/jovyan/grading"


def local_grading_dir(args: argparse.Namespace) -> Path | None:
    """The grading folder when this process can use it directly, else None (use a toolbox)."""
    if args.stack:
        return None
    if os.environ.get("COURSE_GRADING_DIR"):
        return Path(os.environ["COURSE_GRADING_DIR"])
    if Path(DEFAULT_GRADING_DIR).is_dir():
        return Path(DEFAULT_GRADING_DIR)
    return None


def stack_name(args: argparse.Namespace) -> str:
    return args.stack or os.environ.get("STACK_NAME", "course")


def open_toolbox(args: argparse.Namespace):
    import docker

    from hub.grading.toolbox import Toolbox, docker_available

    if not docker_available():
        raise SystemExit(
            "no grading folder here (/home/jovyan/grading or $COURSE_GRADING_DIR) "
            "and no Docker engine: run this in a staff server or on the course "
            "server"
        )
    course = load_course(args.course)
    dev = Path(args.dev_source) if args.dev_source else None
    return Toolbox(
        docker.from_env(timeout=600),
        stack_name(args),
        course.images.student,
        course,
        args.course.resolve(),
        dev,
    )


def run_in_toolbox(args: argparse.Namespace, argv: list[str], fetch: str | None = None) -> int:
    """Run `course <argv>` in a staff-tools container; copy its folder `fetch` (relative to the
    grading folder) to --out on this machine."""
    with open_toolbox(args) as box:
        out.print(f"[dim]staff-tools container of stack {box.stack} ({box.image})[/]")
        code, _ = box.run(
            "course",
            "--course",
            "/srv/course/course.yml",
            *argv,
            stream=lambda t: print(t, end="", flush=True),
        )
        if code == 0 and fetch:
            target = Path(args.out)
            target.mkdir(parents=True, exist_ok=True)
            data = box.get_tar(f"/home/jovyan/grading/{fetch}")
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                tar.extractall(target, filter="data")
            out.print(f"copied grading/{fetch} to {target / Path(fetch).name}")
    return code


# -- the commands ---------------------------------------------------------------------------------


def cmd_release(args: argparse.Namespace) -> int:
    root = local_grading_dir(args)
    if root is None:
        return run_in_toolbox(
            args, ["release", args.assignment, *(["--force"] if args.force else [])]
        )
    from hub.grading import workflow

    report = workflow.release(
        root, load_course(args.course), args.course, args.assignment, args.force
    )
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
        err.print(f"[red]{e}[/]")
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
        err.print(f"[red]{e}[/]")
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
    report = compare_course_folder(
        root, args.assignment, root / "similarity" / args.assignment, course.similarity.threshold
    )
    out.print(
        f"{len(report.flagged)} pair(s) above {course.similarity.threshold}: "
        f"{report.csv}, {report.html}",
        markup=False,
    )
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


# -- autograde: orchestrated from wherever the Docker engine is -----------------------------------


def cmd_autograde(args: argparse.Namespace) -> int:
    if local_grading_dir(args) is not None and not args.stack:
        err.print(HOST_HINT.format(a=args.assignment), markup=False)
        return 2
    from hub.grading.sandbox import Limits  # docker-py: on the host and in the hub only

    limits = Limits(
        cpus=args.cpus,
        memory=args.memory,
        pids=args.pids,
        cell_timeout=args.cell_timeout,
        timeout=args.timeout,
    )
    with open_toolbox(args) as box:
        rows = autograde_all(box, args.assignment, args.student, limits, args.jobs)
    failed = [r for r in rows if r["status"] != "graded"]
    out.print(
        f"{args.assignment}: {len(rows) - len(failed)} graded, {len(failed)} failed"
        + (f" ({', '.join(r['student'] + ': ' + r['reason'] for r in failed)})" if failed else ""),
        markup=False,
    )
    return 1 if failed else 0


def autograde_all(box, assignment: str, only: list[str] | None, limits, jobs: int) -> list[dict]:
    """Pack, sandbox and score every collected submission; one failure fails only itself."""
    args = ["prepare-autograde", assignment] + [a for s in only or [] for a in ("--student", s)]
    students = json.loads(box.step(*args))
    scoring = threading.Lock()  # one gradebook writer at a time
    rows: list[dict] = []
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
    ) as progress:
        task = progress.add_task(f"autograde {assignment}", total=len(students))
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {
                pool.submit(_grade_one, box, assignment, s, limits, scoring): s for s in students
            }
            for future in as_completed(futures):
                student = futures[future]
                try:
                    row = future.result()
                except Exception as e:  # noqa: BLE001  reported per student, others go on
                    row = {"student": student, "status": "failed", "reason": f"error: {e}"}
                rows.append(row)
                progress.console.print(_row_text(row), markup=False)
                progress.advance(task)
    box.put_json("/tmp/autograde-rows.json", rows)
    box.step("log", assignment, "/tmp/autograde-rows.json")
    return sorted(rows, key=lambda r: r["student"])


def _grade_one(box, assignment: str, student: str, limits, scoring: threading.Lock) -> dict:
    from hub.grading.sandbox import run_sandbox

    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    scratch = f"/tmp/scratch/{student}"
    box.step("pack", assignment, student, scratch)
    scratch_tar = box.get_tar(f"{scratch}/course")
    result = run_sandbox(box.client, box.image, scratch_tar, assignment, student, limits, box.stack)
    box.check("rm", "-rf", scratch)
    row = {"student": student, "at": when, "seconds": result.seconds}
    if not result.ok:
        return {
            **row,
            "status": "failed",
            "reason": result.reason,
            "log_tail": result.log_tail[-1500:],
        }
    executed = f"/tmp/executed/{student}"
    box.check("rm", "-rf", executed)
    box.put_tar(executed, result.output_tar)
    with scoring:
        score = json.loads(box.step("score", assignment, student, f"{executed}/{assignment}"))
    box.check("rm", "-rf", executed)
    return {
        **row,
        "status": "graded",
        "reason": "",
        "score": score["score"],
        "max_score": score["max_score"],
        "notes": score["notes"],
    }


def _row_text(row: dict) -> str:
    if row["status"] == "graded":
        notes = f" ({'; '.join(row['notes'])})" if row.get("notes") else ""
        return f"  {row['student']}: graded {row['score']:g}/{row['max_score']:g}{notes}"
    return f"  {row['student']}: FAILED: {row['reason']}"


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
        p.set_defaults(func=cmd.func)
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
