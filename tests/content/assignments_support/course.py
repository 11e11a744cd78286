"""A throw-away copy of the assignments' nbgrader course, and the real nbgrader CLI run on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

REPO = Path(__file__).resolve().parents[3]
ASSIGNMENTS = REPO / "assignments"
COURSE_FILE = REPO / "course.yml"
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def nbgrader_env(scratch: Path) -> dict[str, str]:
    """nbgrader runs `alembic` from PATH; Jupyter and IPython write only under `scratch`
    (the repository and HOME may be read-only where the lead runs this)."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["COURSE_FILE"] = str(COURSE_FILE)
    for var, sub in (("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"),
                     ("MPLCONFIGDIR", "mpl"), ("JUPYTER_DATA_DIR", "data")):
        (scratch / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(scratch / sub)
    return env


def nbgrader(course: Path, env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{done.stderr[-6000:]}")


def new_course(root: Path) -> Path:
    course = root / "course"
    shutil.copytree(ASSIGNMENTS, course, ignore=shutil.ignore_patterns(
        "gradebook.db", "release", "submitted", "autograded", "feedback", ".ipynb_checkpoints"))
    return course


def write_submission(course: Path, assignment: str, student: str,
                     notebooks: dict[str, nbformat.NotebookNode]) -> None:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True)
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / name)


Scores = dict[str, dict[str, tuple[float, float]]]  # student -> grade cell -> (score, max)
Submissions = dict[str, dict[str, nbformat.NotebookNode]]  # student -> file name -> notebook


class AssignmentRun:
    """One assignment: generated once, then graded in `shares` parts, each part by one
    `nbgrader autograde` process in its own clone of the course folder (gradebook included),
    so that no two processes ever write one SQLite file."""

    def __init__(self, assignment: str, root: Path, shares: int,
                 make_submissions: Callable[[Path], Submissions]):
        self.assignment, self.root, self.shares = assignment, root, shares
        self.make_submissions = make_submissions
        self.env = nbgrader_env(root / "scratch")
        self.course = new_course(root)
        self.submissions: Submissions = {}
        self._lock = threading.Lock()

    def generate_once(self) -> None:
        with self._lock:
            if not self.submissions:
                nbgrader(self.course, self.env, "generate_assignment", self.assignment)
                self.submissions = self.make_submissions(self.course)

    def grade_share(self, index: int) -> Scores:
        self.generate_once()
        share = sorted(self.submissions)[index::self.shares]
        if not share:
            return {}
        clone = self.root / f"worker{index}"
        shutil.copytree(self.course, clone)
        for student in share:
            write_submission(clone, self.assignment, student, self.submissions[student])
        nbgrader(clone, self.env, "autograde", self.assignment)
        return read_scores(clone, self.assignment, share)


def run_all(runs: list[AssignmentRun], workers: int) -> dict[str, Scores]:
    """Grade every run's shares on `workers` threads. Tasks go share by share across the
    assignments, so a thread never waits for another's `generate_assignment`."""
    tasks = [(run, index) for index in range(max(r.shares for r in runs)) for run in runs
             if index < run.shares]
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda task: (task[0].assignment, task[0].grade_share(task[1])),
                                tasks))
    scores: dict[str, Scores] = {run.assignment: {} for run in runs}
    for assignment, part in results:
        scores[assignment].update(part)
    return scores


def read_scores(course: Path, assignment: str, students: list[str]) -> Scores:
    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            submission = gb.find_submission(assignment, student)
            out[student] = {grade.name: (grade.score, grade.max_score)
                            for notebook in submission.notebooks for grade in notebook.grades}
    return out


def marked_lines(nb: nbformat.NotebookNode, markers: tuple[str, str]) -> set[str]:
    """The stripped lines between a pair of nbgrader markers, across all cells."""
    lines: set[str] = set()
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if markers[0] in line:
                inside = True
            elif markers[1] in line:
                inside = False
            elif inside and line.strip():
                lines.add(line.strip())
    return lines


def outside_lines(nb: nbformat.NotebookNode) -> set[str]:
    """Stripped lines of the notebook outside every solution and hidden-test region."""
    lines: set[str] = set()
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if any(m in line for m in (SOLUTION_MARKERS[0], HIDDEN_MARKERS[0])):
                inside = True
            elif any(m in line for m in (SOLUTION_MARKERS[1], HIDDEN_MARKERS[1])):
                inside = False
            elif not inside:
                lines.add(line.strip())
    return lines
