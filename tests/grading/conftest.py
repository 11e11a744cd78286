"""Fixtures for the grading tests: a small course file and roster in a temp folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hub.course import load_course
from hub.roster import load_roster

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
