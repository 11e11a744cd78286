"""The late policy through a real `nbgrader autograde` run (real CLI, real gradebook)."""

from __future__ import annotations

import datetime as dt

import pytest
from nbgrader.api import Gradebook
from nbgrader_course import nbgrader
from traitlets.config import Configurable

from hub.course import load_course
from hub.grading.extensions import add_extension, store_path
from hub.grading.nbgrader_plugin import CourseLatePolicy

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


class FakeAssignLatePenalties(Configurable):
    """What nbgrader's AssignLatePenalties offers its plugin while it runs."""

    def __init__(self, root, notebook_id="A1"):
        super().__init__()
        self.db_url = f"sqlite:///{root}/gradebook.db"
        self.assignment_id = "A1"
        self.notebook_id = notebook_id
        self.gradebook = Gradebook(self.db_url)


def test_deduct_mode_takes_rate_times_the_notebooks_max_per_day(copy_graded):
    root, course_file = copy_graded
    course_file.write_text(course_file.read_text().replace("mode: scale", "mode: deduct"))
    caller = FakeAssignLatePenalties(root)
    plugin = CourseLatePolicy(parent=caller, course_file=str(course_file))
    try:
        # student3 is in day 2; with 5 of 10 points, scale would take 1, deduct takes 2 x 1
        assert plugin.late_submission_penalty("student3", 5.0, 86401) == 2.0
        assert plugin.late_submission_penalty("student1", 5.0, 259201) == 5.0  # too late
        # nbgrader's own seconds-late argument is not trusted: the extension is re-read
        assert plugin.late_submission_penalty("student2", 5.0, 108000) == 0.0
    finally:
        caller.gradebook.close()


def test_the_course_file_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_FILE", str(tmp_path / "elsewhere.yml"))
    assert CourseLatePolicy().course_file == str(tmp_path / "elsewhere.yml")
    monkeypatch.delenv("COURSE_FILE")
    assert CourseLatePolicy().course_file == "/srv/course/course.yml"
