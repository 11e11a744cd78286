"""A throw-away copy of the assignments' nbgrader course, and the real nbgrader CLI run on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


def autograde_in_parallel(course: Path, assignment: str, env: dict[str, str],
                          submissions: dict[str, dict[str, nbformat.NotebookNode]],
                          workers: int) -> dict[str, dict[str, tuple[float, float]]]:
    """Grade each submission; returns {student: {grade cell: (score, max score)}}.

    Each worker grades its share in its own clone of the course (gradebook included), so
    several `nbgrader autograde` processes never write one SQLite file at once."""
    students = sorted(submissions)
    shares = [students[i::workers] for i in range(workers)]
    shares = [s for s in shares if s]

    def grade(index: int, share: list[str]) -> dict[str, dict[str, tuple[float, float]]]:
        clone = course.with_name(f"{course.name}-worker{index}")
        shutil.copytree(course, clone)
        for student in share:
            write_submission(clone, assignment, student, submissions[student])
        nbgrader(clone, env, "autograde", assignment)
        return read_scores(clone, assignment, share)

    with ThreadPoolExecutor(len(shares)) as pool:
        results = pool.map(grade, range(len(shares)), shares)
    return {student: cells for part in results for student, cells in part.items()}


def read_scores(course: Path, assignment: str,
                students: list[str]) -> dict[str, dict[str, tuple[float, float]]]:
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
