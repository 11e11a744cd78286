"""Build a tiny real nbgrader course folder and run the real nbgrader CLI on it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
NBGRADER = Path(sys.executable).with_name("nbgrader")
SOLUTION = "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION\n"
STUB = "raise NotImplementedError()"


def _cell(source: str, **nbgrader) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"schema_version": 3, "locked": False, "grade": False,
                                 "solution": False, **nbgrader}
    return cell


def make_course(root: Path, course_file: Path) -> Path:
    """A course folder with source/A1/A1.ipynb (one answer cell, one 10-point test)."""
    (root / "source" / "A1").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        _cell(SOLUTION, solution=True, grade_id="answer"),
        _cell("assert add(1, 2) == 3", grade=True, locked=True, points=10, grade_id="test"),
    ]
    nbformat.write(nb, root / "source" / "A1" / "A1.ipynb")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'gradetest'\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        "c.AssignLatePenalties.plugin_class = 'hub.grading.nbgrader_plugin.CourseLatePolicy'\n"
        f"c.CourseLatePolicy.course_file = {str(course_file)!r}\n"
    )
    return root


def submit(root: Path, student: str, timestamp: str, correct: bool = True) -> None:
    """What `nbgrader collect` leaves: the released notebook, answered, and ngshare's time."""
    released = nbformat.read(root / "release" / "A1" / "A1.ipynb", as_version=4)
    if correct:
        answer = released.cells[0]
        answer.source = answer.source.replace(STUB, "return a + b")
    folder = root / "submitted" / student / "A1"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(released, folder / "A1.ipynb")
    (folder / "timestamp.txt").write_text(timestamp)


def nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    # nbgrader's Gradebook runs the `alembic` command, so the venv's bin must be on PATH
    env = {**os.environ, "PYTHONPATH": str(REPO),
           "PATH": f"{NBGRADER.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("COURSE_FILE", None)
    result = subprocess.run(
        [str(NBGRADER), *args], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result
