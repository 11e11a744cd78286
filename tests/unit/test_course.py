"""The course file: the sample loads, and every kind of bad input is a clear, located error."""

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml

from hub.course import CourseFileError, load_course, memory_bytes, parse_course

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = yaml.safe_load((ROOT / "course.yml").read_text())


def problems_of(data) -> list[str]:
    with pytest.raises(CourseFileError) as info:
        parse_course(data, "course.yml")
    return [str(p) for p in info.value.problems]


def changed(**edits):
    data = copy.deepcopy(SAMPLE)
    for path, value in edits.items():
        target = data
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return data


def test_sample_course_loads_with_the_syllabus_shape():
    course = load_course(ROOT / "course.yml")
    assert course.course.id == "dl101"
    assert [w.week for w in course.weeks] == list(range(1, 14))
    assert [a.id for a in course.assignments] == ["A1", "A2", "A3", "A4"]
    assert sum(a.weight for a in course.assignments) == 20
    # Syllabus: A1 out in week 2, due week 4, on the lab day at 18:30 local time.
    a1 = course.assignment("A1")
    assert course.release(a1) == dt.datetime(2026, 9, 23, 18, 30, tzinfo=course.tz)
    assert course.due(a1) == dt.datetime(2026, 10, 7, 18, 30, tzinfo=course.tz)


def test_weeks_follow_the_semester_start_across_dst():
    course = load_course(ROOT / "course.yml")
    # Europe/London leaves summer time on 2026-10-25: week 7 is GMT, week 6 BST.
    assert course.at(6).utcoffset() == dt.timedelta(hours=1)
    assert course.at(7).utcoffset() == dt.timedelta(0)
    assert course.at(7).hour == 18


def test_semester_start_is_configurable():
    course = parse_course(changed(course__semester_start="2027-01-20"))
    assert course.at(1).date() == dt.date(2027, 1, 20)
    assert course.due(course.assignment("A4")).date() == dt.date(2027, 3, 24)


def test_unknown_key_names_the_path_and_the_valid_keys():
    [msg] = problems_of(changed(course__titel="x"))
    assert msg.startswith("course.yml: course.titel: unknown key 'titel'")
    assert "title" in msg and "timezone" in msg


def test_misspelt_top_level_key():
    data = changed()
    data["profile"] = []
    [msg] = problems_of(data)
    assert "course.yml: profile: unknown key" in msg and "profiles" in msg


def test_wrong_type_is_located():
    [msg] = problems_of(changed(assignments__0__weight="lots"))
    assert msg.startswith("course.yml: assignments[0].weight:")
    assert "'lots'" in msg


def test_due_before_release_is_impossible():
    [msg] = problems_of(changed(assignments__1__due=3))
    assert "assignments[1].due" in msg and "must come after its release" in msg


def test_week_that_does_not_exist():
    msgs = problems_of(changed(assignments__0__due=14))
    assert any("assignments[0].due" in m and "week 14" in m for m in msgs)


def test_unknown_time_zone():
    [msg] = problems_of(changed(course__timezone="Mars/Olympus"))
    assert "course.timezone" in msg and "IANA" in msg


def test_an_old_course_file_with_labs_url_is_told_to_remove_it():
    """labs.url (an external git remote) was removed: nothing gave the hub its credentials."""
    data = copy.deepcopy(SAMPLE)
    data["labs"] = {"url": "git@git.example.edu:dl/labs.git", "branch": "main"}
    [msg] = problems_of(data)
    assert msg.startswith("course.yml: labs:"), msg
    assert "labs.url ('git@git.example.edu:dl/labs.git') is no longer supported" in msg
    assert "Remove labs.url from the course file" in msg


def test_release_outside_the_semester():
    [msg] = problems_of(changed(weeks__2__release="2030-01-01T10:00:00"))
    assert "weeks[2].release" in msg and "outside" in msg


def test_every_problem_is_reported_at_once():
    data = changed(course__titel="x", assignments__0__weight="lots", profiles__0__memory="4GB")
    msgs = problems_of(data)
    assert len(msgs) == 3
    assert any("profiles[0].memory" in m for m in msgs)


def test_duplicate_assignment_ids():
    data = changed()
    data["assignments"].append(dict(data["assignments"][0]))
    assert any("'A1' is used twice" in m for m in problems_of(data))


def test_not_a_mapping():
    assert problems_of(["a", "b"]) == [
        "course.yml: the file must be a YAML mapping with a 'course:' section"
    ]


def test_yaml_syntax_error_names_the_line(tmp_path):
    bad = tmp_path / "course.yml"
    bad.write_text("course:\n  id: [unclosed\n")
    with pytest.raises(CourseFileError) as info:
        load_course(bad)
    assert "line" in str(info.value) and str(bad) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(CourseFileError, match="cannot read"):
        load_course(tmp_path / "nope.yml")


def test_memory_notation():
    assert memory_bytes("4G") == 4 * 1024**3
    assert memory_bytes("512M") == 512 * 1024**2
