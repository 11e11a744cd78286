"""The late policy through a real `nbgrader autograde` run (real CLI, real gradebook)."""

from __future__ import annotations

import datetime as dt

import pytest
from nbgrader.api import Gradebook
from nbgrader_course import nbgrader

from hub.course import load_course
from hub.grading.extensions import add_extension, store_path

pytestmark = pytest.mark.slow  # the nbgrader CLI: about 1 min on a quiet 2-core machine


def penalties(root):
    with Gradebook(f"sqlite:///{root}/gradebook.db") as gb:
        return {
            s.student_id: (s.score, s.late_submission_penalty, s.total_seconds_late)
            for s in gb.find_assignment("A1").submissions
        }


def test_autograde_applies_the_course_policy_and_extensions(graded_course):
    root, _, log = graded_course
    assert "Traceback" not in log
    got = penalties(root)
    assert got["student1"][:2] == (10.0, 10.0)  # 72 h + 1 s: too late, all points off
    assert got["student3"][:2] == (10.0, 2.0)  # 24 h + 1 s: day 2, 80 % kept
    assert got["student4"][:2] == (10.0, 0.0)  # on time
    # 30 h after the due time, but course.yml extends student2 by 48 h: no penalty
    assert got["student2"][:2] == (10.0, 0.0)
    # sync_due_dates wrote the extension into nbgrader's own column, so formgrader agrees
    assert got["student2"][2] == 0
    assert got["student3"][2] == 24 * 3600 + 1
    assert "A1/student3/A1: 86401 s after 2026-10-07T18:30:00+01:00 -> day 2" in log


def test_an_extension_recorded_after_grading_counts_once_autograde_reruns(
    copy_graded, roster
):
    root, course_file = copy_graded
    course = load_course(course_file)
    assert penalties(root)["student3"][1] == 2.0
    # staff grant student3 three days, after the original due time has passed
    add_extension(store_path(root), course, roster, "A1", "student3",
                  dt.datetime(2026, 10, 10, 18, 30), "medical certificate")
    nbgrader(root, "autograde", "A1", "--student", "student3", "--force")
    assert penalties(root)["student3"][1] == 0.0
    assert penalties(root)["student1"][1] == 10.0
