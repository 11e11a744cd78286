"""The grade export from a real, autograded nbgrader gradebook."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from conftest import ROSTER_CSV

from hub.course import load_course
from hub.grading.export import export_grades, total_column
from hub.grading.extensions import add_extension, load_extensions, store_path
from hub.grading.gradebook import read_submissions
from hub.roster import parse_roster

pytestmark = pytest.mark.slow  # builds on the real autograde run in conftest


def export(root, course_file, roster, tmp_path):
    course = load_course(course_file)
    result = export_grades(
        f"sqlite:///{root}/gradebook.db", course, roster, load_extensions(course, root),
        tmp_path / "grades.csv", tmp_path / "plots",
    )
    with result.csv.open(newline="", encoding="utf-8") as fh:
        rows = {r["Username"]: r for r in csv.DictReader(fh)}
    return rows, result, course


def test_one_row_per_roster_student_with_every_number(graded_course, roster, tmp_path):
    root, course_file, _ = graded_course
    rows, result, course = export(root, course_file, roster, tmp_path)
    plots = result.plots
    assert result.not_on_roster == []
    assert list(rows) == ["student1", "student2", "student3", "student4", "student5"]
    total = total_column(course)
    assert total == "Assignments total (% of course, max 20)"

    def a1(user, *cols):
        return tuple(rows[user][f"A1 {c}"] for c in cols)

    cols = ("raw", "max", "seconds late", "days late", "penalty", "final", "status")
    assert a1("student1", *cols) == ("10", "10", "259201", "4", "10", "0", "too_late")
    assert a1("student2", *cols) == ("10", "10", "0", "0", "0", "10", "on_time")
    assert a1("student3", *cols) == ("10", "10", "86401", "2", "2", "8", "late")
    assert a1("student4", *cols) == ("10", "10", "0", "0", "0", "10", "on_time")
    assert a1("student5", *cols) == ("0", "10", "0", "0", "0", "0", "missing")
    assert rows["student5"]["A1 submitted"] == ""
    # ngshare's UTC stamp, shown in the course's time zone
    assert rows["student3"]["A1 submitted"] == "2026-10-08T18:30:01+01:00"
    assert rows["student2"]["A1 extension until"] == "2026-10-09T18:30:00+01:00"
    assert rows["student2"]["A1 due"] == "2026-10-09T18:30:00+01:00"
    assert "A1: extension until 2026-10-09T18:30:00+01:00" in rows["student2"]["Notes"]
    # A2 was never generated: everyone is missing it, with no max yet
    assert {r["A2 status"] for r in rows.values()} == {"missing"}
    assert {r["A2 max"] for r in rows.values()} == {""}
    # weighted total: A1 is worth 5 % of the course
    assert {u: rows[u][total] for u in rows} == {
        "student1": "0", "student2": "5", "student3": "4", "student4": "5", "student5": "0",
    }
    assert rows["student1"]["Email"] == "student1@example.edu"
    assert "teacher" not in rows
    assert [p.name for p in plots] == ["A1-scores.png", "A2-scores.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in plots)


def test_an_extension_not_yet_autograded_is_exported_and_flagged(copy_graded, roster, tmp_path):
    root, course_file = copy_graded
    course = load_course(course_file)
    add_extension(store_path(root), course, roster, "A1", "student3",
                  dt.datetime(2026, 10, 10, 18, 30), "medical certificate")
    rows, _, _ = export(root, course_file, roster, tmp_path)
    r = rows["student3"]
    assert (r["A1 final"], r["A1 status"], r["A1 extension until"]) == (
        "10", "on_time", "2026-10-10T18:30:00+01:00")
    assert "gradebook penalty 2 differs from 0; re-run autograde" in r["Notes"]


def test_submitters_missing_from_the_roster_are_reported(graded_course, tmp_path):
    root, course_file, _ = graded_course
    without_student4 = [ln for ln in ROSTER_CSV.splitlines() if not ln.startswith("student4,")]
    roster = parse_roster("\n".join(without_student4))
    rows, result, _ = export(root, course_file, roster, tmp_path)
    assert "student4" not in rows
    assert result.not_on_roster == ["student4"]


def test_the_gradebook_opens_without_the_environment_on_path(graded_course, monkeypatch):
    """nbgrader runs `alembic` from PATH; a CLI started by full path may not have it there."""
    root, _, _ = graded_course
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    max_scores, submissions = read_submissions(f"sqlite:///{root}/gradebook.db")
    assert max_scores["A1"] == 10.0 and len(submissions) == 4
