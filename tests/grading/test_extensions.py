"""Extensions: stored atomically, validated, merged with the course file without surprises."""

from __future__ import annotations

import datetime as dt
import json
import threading
from zoneinfo import ZoneInfo

import pytest

from hub.grading.extensions import (
    ExtensionError,
    add_extension,
    due_for,
    extension_table,
    load_extensions,
    read_store,
    remove_extension,
    store_path,
)
from hub.grading.late import apply_late_policy, seconds_between

LONDON = ZoneInfo("Europe/London")
A1_DUE = dt.datetime(2026, 10, 7, 18, 30, tzinfo=LONDON)  # week 4's lab


def test_add_persists_and_a_fresh_read_sees_it(tmp_path, course, roster):
    path = store_path(tmp_path)
    granted, previous = add_extension(
        path, course, roster, "A1", "student3", dt.datetime(2026, 10, 9, 12, 0), "medical"
    )
    assert previous is None
    assert granted.until == dt.datetime(2026, 10, 9, 12, 0, tzinfo=LONDON)  # naive: course tz
    [again] = read_store(path)  # as after a restart: only the file
    assert (again.assignment, again.student, again.until, again.reason) == (
        "A1", "student3", granted.until, "medical"
    )
    assert json.loads(path.read_text())["version"] == 1
    leftovers = {p.name for p in tmp_path.iterdir()} - {"extensions.json", ".extensions.json.lock"}
    assert leftovers == {"course.yml", "roster.csv"}  # no temp file left behind


def test_recording_again_replaces_and_returns_the_previous(tmp_path, course, roster):
    path = store_path(tmp_path)
    first, _ = add_extension(path, course, roster, "A1", "student3", A1_DUE + dt.timedelta(days=1))
    second, previous = add_extension(
        path, course, roster, "A1", "student3", A1_DUE + dt.timedelta(days=2)
    )
    assert previous.until == first.until
    assert [e.until for e in read_store(path)] == [second.until]
    assert remove_extension(path, "A1", "student3").until == second.until
    assert read_store(path) == []
    assert remove_extension(path, "A1", "student3") is None


@pytest.mark.parametrize(
    ("assignment", "student", "until", "message"),
    [
        ("A9", "student3", A1_DUE + dt.timedelta(days=1), "no assignment 'A9'; valid: A1, A2"),
        ("A1", "nobody", A1_DUE + dt.timedelta(days=1), "'nobody' is not on the roster"),
        ("A1", "teacher", A1_DUE + dt.timedelta(days=1), "'teacher' is instructor"),
        ("A1", "student3", A1_DUE, "moves the due time later"),
        ("A1", "student3", A1_DUE - dt.timedelta(days=1), "is not after A1's due time"),
    ],
)
def test_invalid_extensions_are_refused_with_the_reason(
    tmp_path, course, roster, assignment, student, until, message
):
    with pytest.raises(ExtensionError, match=message):
        add_extension(store_path(tmp_path), course, roster, assignment, student, until)
    assert not store_path(tmp_path).exists()


def test_a_pair_in_the_course_file_cannot_be_changed_from_the_cli(tmp_path, course, roster):
    with pytest.raises(ExtensionError, match="already has an extension in course.yml"):
        add_extension(store_path(tmp_path), course, roster, "A1", "student2",
                      A1_DUE + dt.timedelta(days=5))


def test_both_sources_count_and_disagreement_is_an_error(tmp_path, course, roster):
    path = store_path(tmp_path)
    add_extension(path, course, roster, "A2", "student1", dt.datetime(2026, 10, 30, 12, 0))
    table = load_extensions(course, tmp_path)
    assert table[("A1", "student2")].source == "course.yml"
    assert table[("A2", "student1")].source == "extensions.json"
    # someone edits the store by hand to contradict the course file: reported, not resolved
    data = json.loads(path.read_text())
    data["extensions"].append({"assignment": "A1", "student": "student2",
                               "until": "2026-10-20T12:00:00+01:00", "reason": ""})
    path.write_text(json.dumps(data))
    with pytest.raises(ExtensionError, match="course.yml says until .* but extensions.json says"):
        extension_table(course, read_store(path))


def test_a_corrupt_store_is_an_error_not_an_empty_store(tmp_path):
    store_path(tmp_path).write_text("{not json")
    with pytest.raises(ExtensionError, match="cannot read the extensions store"):
        read_store(store_path(tmp_path))


def test_concurrent_writers_both_land(tmp_path, course, roster):
    path = store_path(tmp_path)
    students = ["student1", "student3"] * 5
    threads = [
        threading.Thread(target=add_extension, args=(
            path, course, roster, "A1", s, A1_DUE + dt.timedelta(hours=i + 1)))
        for i, s in enumerate(students)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {e.student for e in read_store(path)} == {"student1", "student3"}


def test_extension_moves_the_due_time_before_and_after_the_original(tmp_path, course, roster):
    """An extension to Friday: Wednesday (before the original due) and Thursday (after it, before
    the extension) are on time; Saturday is counted from the extension, not the original."""
    table = load_extensions(course, tmp_path)  # student2: A1 until Fri 9 Oct 18:30 (course.yml)
    due = due_for(course, table, "A1", "student2")
    assert due == dt.datetime(2026, 10, 9, 18, 30, tzinfo=LONDON)
    assert due_for(course, table, "A1", "student1") == A1_DUE

    def outcome(student, when):
        seconds = seconds_between(due_for(course, table, "A1", student), when)
        return apply_late_policy(10, 10, seconds, course.late_policy)

    before_original = A1_DUE - dt.timedelta(hours=1)
    after_original = A1_DUE + dt.timedelta(days=1)
    after_extension = due + dt.timedelta(hours=30)
    assert outcome("student2", before_original).status == "on_time"
    assert outcome("student2", after_original).status == "on_time"
    assert outcome("student1", after_original).final_score == 9.0
    late = outcome("student2", after_extension)
    assert (late.days_late, late.final_score) == (2, 8.0)
    # the same lateness without the extension would be past 72 h
    assert outcome("student1", after_extension).status == "too_late"
