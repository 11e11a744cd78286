"""The staff's assignment steps, run where the grading folder is: a staff server, or the
staff-tools container that `course` starts from the host (hub/grading/toolbox.py).

The grading folder (`$COURSE_GRADING_DIR`, default /home/jovyan/grading: the `<stack>-grading`
volume) is the nbgrader course directory shared by the staff: nbgrader_config.py, source/,
release/, gradebook.db, submitted/, autograded/, feedback/, extensions.json, autograde/.

nbgrader's exit codes prove nothing with ngshare (it can exit 0 having stored nothing), so every
step that goes through ngshare is checked through ngshare's API afterwards.

Internal steps of the sandboxed autograde (called by the orchestrator through `docker exec`):

    python -m hub.grading.workflow prepare-autograde A1 [--student S ...]   # JSON: students
    python -m hub.grading.workflow pack A1 STUDENT OUT_DIR                  # scratch course
    python -m hub.grading.workflow score A1 STUDENT EXECUTED_DIR            # JSON: the scores
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import parse_utc

from hub.course import Course, load_course
from hub.ngshare import Ngshare

DEFAULT_GRADING_DIR = "/home/jovyan/grading"
ADMIN_USER = "course-admin"  # the hub service whose token the staff-tools container carries
CELL_TIMEOUT = 300  # seconds; the assignments' README promises students this limit


class WorkflowError(RuntimeError):
    pass


def grading_dir() -> Path:
    return Path(os.environ.get("COURSE_GRADING_DIR", DEFAULT_GRADING_DIR))


def db_url(root: Path) -> str:
    return f"sqlite:///{root}/gradebook.db"


# -- the grading folder ------------------------------------------------------------------------

CONFIG_TEMPLATE = '''"""nbgrader configuration of the grading folder (written by `course release`).

Edit the course file, not this file: `course release` rewrites it when the course id changes.
"""
import importlib.util

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
c.ExecutePreprocessor.timeout = {cell_timeout}
# Autograding runs in sandboxes (`course autograde`); this folder only scores their output.
if importlib.util.find_spec("hub.grading.nbgrader_plugin"):
    c.AssignLatePenalties.plugin_class = "hub.grading.nbgrader_plugin.CourseLatePolicy"
'''


def ensure_grading_dir(root: Path, course: Course) -> None:
    root.mkdir(parents=True, exist_ok=True)
    config = root / "nbgrader_config.py"
    text = CONFIG_TEMPLATE.format(course_id=course.course.id, cell_timeout=CELL_TIMEOUT)
    if not config.exists() or config.read_text() != text:
        config.write_text(text)


def ensure_source(root: Path, course_file: Path, assignment: str) -> str:
    """Put the assignment's nbgrader source in the grading folder if it is not there yet."""
    target = root / "source" / assignment
    if target.is_dir() and any(target.glob("*.ipynb")):
        return f"source/{assignment} already in the grading folder (kept: staff may have edited it)"
    origin = course_file.parent / "assignments" / "source" / assignment
    if not origin.is_dir():
        raise WorkflowError(
            f"no source for {assignment}: neither {target} nor {origin} has its notebooks"
        )
    shutil.copytree(origin, target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return f"copied {origin} to {target}"


def nbgrader_env() -> dict[str, str]:
    """The environment nbgrader's ngshare exchange needs: a hub token and a user name."""
    env = dict(os.environ)
    token_file = env.get("COURSE_ADMIN_TOKEN_FILE")
    if token_file and not env.get("JUPYTERHUB_API_TOKEN"):
        env["JUPYTERHUB_API_TOKEN"] = Path(token_file).read_text().strip()
        env.setdefault("JUPYTERHUB_USER", ADMIN_USER)
    if "JUPYTERHUB_USER" not in env and "USER" not in env:
        env["USER"] = ADMIN_USER  # ngshare_exchange raises KeyError without one of them
    # nbgrader's gradebook runs `alembic` from PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def ngshare() -> Ngshare:
    env = nbgrader_env()
    token = env.get("JUPYTERHUB_API_TOKEN")
    if not token:
        raise WorkflowError("no hub token: run this in a staff server or through `course` on "
                            "the host (which passes the course-admin service's token)")
    return Ngshare(env.get("NGSHARE_URL", "http://ngshare:10101/services/ngshare"), token)


def nbgrader(root: Path, *args: str, timeout: float = 1800) -> str:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=nbgrader_env(),
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise WorkflowError(f"nbgrader {' '.join(args)} failed (exit {done.returncode}):\n"
                            f"{done.stderr[-4000:]}")
    return done.stdout + done.stderr


# -- release --------------------------------------------------------------------------------------

@dataclasses.dataclass
class ReleaseReport:
    assignment: str
    source: str
    files: list[str]  # what ngshare stores for the assignment
    already_released: bool


def release(root: Path, course: Course, course_file: Path, assignment: str,
            force: bool = False) -> ReleaseReport:
    course.assignment(assignment)  # KeyError names an unknown assignment
    ensure_grading_dir(root, course)
    source = ensure_source(root, course_file, assignment)
    share = ngshare()
    cid = course.course.id
    already = assignment in share.assignments(cid)
    if already and not force:
        return ReleaseReport(assignment, source, _stored_files(share, cid, assignment), True)
    nbgrader(root, "generate_assignment", assignment, "--force")
    _sync_due_dates(root, course)
    if already:
        share._call("DELETE", f"assignment/{cid}/{assignment}")
    nbgrader(root, "release_assignment", assignment, "--force")
    stored = _stored_files(share, cid, assignment)
    expected = sorted(str(p.relative_to(root / "release" / assignment))
                      for p in (root / "release" / assignment).rglob("*") if p.is_file())
    missing = sorted(set(expected) - set(stored))
    if missing:
        raise WorkflowError(f"ngshare does not have {assignment}'s {', '.join(missing)} after "
                            "release_assignment (nbgrader reported success)")
    return ReleaseReport(assignment, source, stored, False)


def _stored_files(share: Ngshare, cid: str, assignment: str) -> list[str]:
    files = share._call("GET", f"assignment/{cid}/{assignment}?list_only=true")["files"]
    return sorted(f["path"] for f in files)


def _sync_due_dates(root: Path, course: Course) -> None:
    from hub.grading.extensions import load_extensions
    from hub.grading.gradebook import sync_due_dates

    sync_due_dates(db_url(root), course, load_extensions(course, root))


# -- collect --------------------------------------------------------------------------------------

@dataclasses.dataclass
class CollectRow:
    student: str
    submissions: int  # how many times the student submitted (ngshare)
    latest: str  # ngshare's server time of the newest one (UTC)
    collected: str  # the timestamp.txt now in submitted/<student>/<A>/
    ok: bool


def collect(root: Path, course: Course, assignment: str) -> list[CollectRow]:
    """`nbgrader collect --update`, then check every student's newest ngshare submission is in
    submitted/ (same server timestamp). Raises WorkflowError naming any student that is not."""
    course.assignment(assignment)
    ensure_grading_dir(root, course)
    records = ngshare().submissions(course.course.id, assignment)
    by_student: dict[str, list[str]] = {}
    for r in records:
        by_student.setdefault(r["student_id"], []).append(r["timestamp"])
    if by_student:
        nbgrader(root, "collect", assignment, "--update")
    rows = []
    for student, stamps in sorted(by_student.items()):
        latest = max(stamps, key=parse_utc)
        stamp_file = root / "submitted" / student / assignment / "timestamp.txt"
        collected = stamp_file.read_text().strip() if stamp_file.exists() else ""
        ok = bool(collected) and parse_utc(collected) == parse_utc(latest)
        rows.append(CollectRow(student, len(stamps), latest, collected, ok))
    lost = [r.student for r in rows if not r.ok]
    if lost:
        raise WorkflowError(f"collect incomplete for {', '.join(lost)}: their newest ngshare "
                            "submission is not in submitted/ (run `course collect` again)")
    return rows


# -- autograde: the steps around the sandbox ------------------------------------------------------

def submitted_students(root: Path, assignment: str) -> list[str]:
    return sorted(p.parent.name for p in root.glob(f"submitted/*/{assignment}") if p.is_dir())


def prepare_autograde(root: Path, course: Course, assignment: str,
                      only: list[str] | None = None) -> list[str]:
    course.assignment(assignment)
    ensure_grading_dir(root, course)
    with Gradebook(db_url(root), course.course.id) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise WorkflowError(f"{assignment} is not in the gradebook: run `course release "
                                f"{assignment}` first") from None
    _sync_due_dates(root, course)
    students = submitted_students(root, assignment)
    if only:
        unknown = sorted(set(only) - set(students))
        if unknown:
            raise WorkflowError(f"no collected {assignment} submission from {', '.join(unknown)}")
        students = [s for s in students if s in only]
    return students


SANDBOX_CONFIG = '''c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
'''


def pack(root: Path, course_id: str, assignment: str, student: str, out: Path) -> Path:
    """The scratch course folder a sandbox gets: `out/course/` with a gradebook that holds the
    assignment's cells and no student (no other student's grades reach student code), the
    assignment's non-notebook source files, and this student's submission."""
    scratch = out / "course"
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    (scratch / "nbgrader_config.py").write_text(SANDBOX_CONFIG.format(course_id=course_id))
    with sqlite3.connect(root / "gradebook.db") as src, \
            sqlite3.connect(scratch / "gradebook.db") as dst:
        src.backup(dst)
    with Gradebook(db_url(scratch), course_id) as gb:
        for s in list(gb.students):
            gb.remove_student(s.id)
    source = root / "source" / assignment
    for f in source.rglob("*"):
        if f.is_file() and f.suffix != ".ipynb" and ".ipynb_checkpoints" not in f.parts:
            dest = scratch / "source" / assignment / f.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, dest)
    (scratch / "source" / assignment).mkdir(parents=True, exist_ok=True)
    shutil.copytree(root / "submitted" / student / assignment,
                    scratch / "submitted" / student / assignment)
    return scratch


@dataclasses.dataclass
class Score:
    student: str
    score: float
    max_score: float
    notes: list[str]


def score(root: Path, course_id: str, assignment: str, student: str, executed: Path) -> Score:
    """Record the sandbox's executed notebooks in the real gradebook without executing anything:
    `nbgrader autograde` on a staging copy, with execution and output clearing disabled, so
    SaveAutoGrades reads the outputs and the late-penalty plugin runs with ngshare's time."""
    submitted = root / "submitted" / student / assignment
    with Gradebook(db_url(root), course_id) as gb:
        notebooks = {nb.name for nb in gb.find_assignment(assignment).notebooks}
    with tempfile.TemporaryDirectory(prefix="scoring-") as tmp:
        staging = Path(tmp) / student / assignment
        shutil.copytree(submitted, staging, ignore=shutil.ignore_patterns("*.ipynb"))
        notes = []
        for name in sorted(notebooks):
            nb_path = executed / f"{name}.ipynb"
            if nb_path.exists():
                shutil.copy(nb_path, staging / nb_path.name)
                notes += _execution_notes(nb_path)
        nbgrader(root, "autograde", assignment, "--student", student, "--force",
                 f"--CourseDirectory.submitted_directory={tmp}",
                 "--Execute.enabled=False", "--ClearOutput.enabled=False")
    with Gradebook(db_url(root), course_id) as gb:
        sub = gb.find_submission(assignment, student)
        return Score(student, float(sub.score), float(sub.max_score), notes)


def _execution_notes(path: Path) -> list[str]:
    notes = set()
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        grade = cell.metadata.get("nbgrader", {}).get("grade")
        if cell.cell_type == "code" and grade and cell.get("execution_count") is None:
            # nbgrader gives full marks to a test cell without an error output: an unexecuted
            # one must never be scored
            raise WorkflowError(f"{path.stem}: test cell "
                                f"{cell.metadata['nbgrader'].get('grade_id')} was not executed "
                                "in the sandbox (kernel died?)")
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            if out.get("ename") == "CellTimeoutError":
                notes.add(f"{path.stem}: a cell hit the per-cell time limit")
            elif out.get("ename") == "DeadKernelError":
                notes.add(f"{path.stem}: the kernel died (memory limit?)")
    return sorted(notes)


def write_autograde_log(root: Path, assignment: str, rows: list[dict]) -> Path:
    """autograde/<A>.json: every student's last autograde outcome (reason when it failed)."""
    path = root / "autograde" / f"{assignment}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(path.read_text()) if path.exists() else {}
    previous.update({r["student"]: r for r in rows})
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(previous, indent=2, sort_keys=True))
    tmp.replace(path)
    return path


# -- feedback ------------------------------------------------------------------------------------

@dataclasses.dataclass
class FeedbackRow:
    student: str
    files: int  # feedback files ngshare holds for the student's newest submission
    ok: bool


def feedback(root: Path, course: Course, assignment: str) -> list[FeedbackRow]:
    course.assignment(assignment)
    ensure_grading_dir(root, course)
    graded = sorted(p.parent.name for p in root.glob(f"autograded/*/{assignment}") if p.is_dir())
    if not graded:
        raise WorkflowError(f"nothing autograded for {assignment} yet: run `course autograde`")
    nbgrader(root, "generate_feedback", assignment, "--force")
    nbgrader(root, "release_feedback", assignment)
    share = ngshare()
    cid = course.course.id
    rows = []
    for student in graded:
        stamp = (root / "submitted" / student / assignment / "timestamp.txt").read_text().strip()
        try:
            files = share._call("GET", f"feedback/{cid}/{assignment}/{student}?timestamp="
                                + stamp.replace(" ", "%20"))["files"]
        except Exception:  # noqa: BLE001  any failure is "ngshare does not hold it"
            files = []
        rows.append(FeedbackRow(student, len(files), bool(files)))
    missing = [r.student for r in rows if not r.ok]
    if missing:
        raise WorkflowError(f"ngshare holds no feedback for {', '.join(missing)} after "
                            "release_feedback (nbgrader reported success)")
    return rows


# -- the internal steps' command line ------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.grading.workflow")
    parser.add_argument("--course-file", type=Path,
                        default=Path(os.environ.get("COURSE_FILE", "/srv/course/course.yml")))
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("prepare-autograde")
    p.add_argument("assignment")
    p.add_argument("--student", action="append")
    p = sub.add_parser("pack")
    p.add_argument("assignment")
    p.add_argument("student")
    p.add_argument("out", type=Path)
    p = sub.add_parser("score")
    p.add_argument("assignment")
    p.add_argument("student")
    p.add_argument("executed", type=Path)
    p = sub.add_parser("log")
    p.add_argument("assignment")
    p.add_argument("rows_file", type=Path)
    args = parser.parse_args(argv)
    root = grading_dir()
    course = load_course(args.course_file)
    try:
        if args.step == "prepare-autograde":
            print(json.dumps(prepare_autograde(root, course, args.assignment, args.student)))
        elif args.step == "pack":
            print(pack(root, course.course.id, args.assignment, args.student, args.out))
        elif args.step == "score":
            result = score(root, course.course.id, args.assignment, args.student, args.executed)
            print(json.dumps(dataclasses.asdict(result)))
        elif args.step == "log":
            rows = json.loads(args.rows_file.read_text())
            print(write_autograde_log(root, args.assignment, rows))
    except WorkflowError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
