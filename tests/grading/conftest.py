"""Fixtures for the grading tests: a small course file and roster in a temp folder."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from hub.course import load_course
from hub.grading.extensions import load_extensions
from hub.grading.gradebook import sync_due_dates
from hub.roster import load_roster

# nbgrader's Gradebook runs the `alembic` command: it must be on PATH, in tests as on a server
VENV_BIN = str(Path(sys.executable).parent)
if VENV_BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

COURSE_YML = """\
course:
  id: gradetest
  title: "Grading test course"
  timezone: Europe/London
  semester_start: 2026-09-16
weeks:
{weeks}
assignments:
  - {{id: A1, title: "First", release: 2, due: 4, weight: 5}}
  - {{id: A2, title: "Second", release: 4, due: "2026-10-24T18:30:00", weight: 15}}
late_policy: {{mode: scale, rate_per_day: 0.10, max_days: 3, grace_minutes: 0}}
extensions:
  - {{student: student2, assignment: A1, until: "2026-10-09T18:30:00", reason: "medical"}}
similarity: {{threshold: 0.6}}
"""

ROSTER_CSV = """\
username,name,email,role,team
student1,Student One,student1@example.edu,student,
student2,Student Two,student2@example.edu,student,
student3,Student Three,student3@example.edu,student,
student4,Student Four,student4@example.edu,student,
student5,Student Five,student5@example.edu,student,
teacher,The Teacher,teacher@example.edu,instructor,
"""


def write_course(folder: Path, extra: str = "") -> Path:
    weeks = "\n".join(f"  - {{week: {n}, title: 'Week {n}'}}" for n in range(1, 14))
    path = folder / "course.yml"
    path.write_text(COURSE_YML.format(weeks=weeks) + textwrap.dedent(extra), encoding="utf-8")
    return path


@pytest.fixture
def course_file(tmp_path: Path) -> Path:
    return write_course(tmp_path)


@pytest.fixture
def course(course_file: Path):
    return load_course(course_file)


@pytest.fixture
def roster(tmp_path: Path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER_CSV, encoding="utf-8")
    return load_roster(path)


# ngshare's server-side stamps (naive UTC, its API format); A1 is due 2026-10-07 17:30 UTC
SUBMISSIONS = {
    "student1": "2026-10-10 17:30:01.000000",  # 72 h + 1 s late: too late, 0
    "student2": "2026-10-08 23:30:00.000000",  # 30 h late, but course.yml extends to +48 h
    "student3": "2026-10-08 17:30:01.000000",  # 24 h + 1 s late: day 2, 80 %
    "student4": "2026-10-07 17:29:59.000000",  # on time
}  # student5 never submits


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory):
    """A real nbgrader course folder whose A1 the real `nbgrader autograde` has graded.

    Read-only for tests: copy it (`copy_graded`) before changing anything.
    """
    from nbgrader_course import make_course, nbgrader, submit

    base = tmp_path_factory.mktemp("graded")
    course_file = write_course(base)
    course = load_course(course_file)
    root = make_course(base / "course", course_file)
    nbgrader(root, "generate_assignment", "A1", "--force")
    db_url = f"sqlite:///{root}/gradebook.db"
    sync_due_dates(db_url, course, load_extensions(course, root))
    for student, stamp in SUBMISSIONS.items():
        submit(root, student, stamp)
    log = nbgrader(root, "autograde", "A1").stderr
    sync_due_dates(db_url, course, load_extensions(course, root))
    return root, course_file, log


@pytest.fixture
def copy_graded(graded_course, tmp_path):
    """A private copy of `graded_course` (course folder and course file) to change."""
    root, _, _ = graded_course
    base = tmp_path / "graded"
    shutil.copytree(root.parent, base)
    config = base / "course" / "nbgrader_config.py"
    config.write_text(config.read_text().replace(str(root.parent), str(base)))
    return base / "course", base / "course.yml"
