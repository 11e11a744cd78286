"""Hostile and bad input for the course file and roster loaders (hypothesis).

Whatever the bytes, `load_course` and `load_roster` either load or raise their own validation
error (CourseFileError, RosterError) whose every problem names the file and where in it (a field
path, "line N" or "line N, column M"); never another exception, never a traceback. Each test
counts its cases (tests/hostile.py; the run's summary lists them).
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import os
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hostile import tried
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hub.course import CourseFileError, load_course
from hub.roster import COLUMNS, RosterError, load_roster

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_COURSE = yaml.safe_load((ROOT / "course.yml").read_text())
SAMPLE_ROSTER = (ROOT / "roster.csv").read_text()
CASES = settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
WHERE_LINE = re.compile(r"^line \d+(, column \d+)?$")


SCRATCH = tempfile.TemporaryDirectory(prefix="hostile-")  # removed when the run ends


def _file(content: bytes | str, name: str) -> Path:
    path = Path(SCRATCH.name) / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def check_course(content: bytes | str) -> None:
    path = _file(content, "course.yml")
    try:
        load_course(path)
    except CourseFileError as err:
        assert err.problems
        for p in err.problems:
            assert p.source == str(path), p
            assert p.message and "Traceback" not in p.message, p
        # YAML syntax errors give line and column; validation errors the field path; only a
        # whole-file problem (not a mapping, unreadable, not UTF-8) names no place.
        assert all(
            p.where or "the file" in p.message or "cannot read" in p.message or "UTF-8" in p.message
            for p in err.problems
        ), err.problems


def check_roster(content: bytes | str) -> None:
    path = _file(content, "roster.csv")
    try:
        load_roster(path)
    except RosterError as err:
        assert err.problems
        for p in err.problems:
            assert p.source == str(path), p
            assert p.message and "Traceback" not in p.message, p
            # a line ("line 7") or the whole roster (no people, no instructor, not UTF-8)
            assert WHERE_LINE.match(p.where) or p.where == "", p


# -- the course file ------------------------------------------------------------------------------

json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.dates()
    | st.datetimes(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(data, prefix=()):
    """Every path into the sample course (dict keys and list indexes)."""
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, (*prefix, i))


COURSE_PATHS = [p for p in _paths(SAMPLE_COURSE) if p]


@st.composite
def mutated_courses(draw) -> str:
    """The sample course with a few values replaced by anything, keys added or removed."""
    data = copy.deepcopy(SAMPLE_COURSE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(COURSE_PATHS))
        target = data
        try:
            for part in path[:-1]:
                target = target[part]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                target[path[-1]] = draw(json_like)
            elif action == "delete":
                del target[path[-1]]
            elif isinstance(target, dict):
                target[draw(st.text(max_size=12))] = draw(json_like)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path's parent
    return yaml.safe_dump(data, allow_unicode=True)


@CASES
@given(mutated_courses())
@example(
    (ROOT / "course.yml").read_text().replace("timezone: Europe/London", "timezone: Europe")
)  # a folder of the zone database
@example(
    (ROOT / "course.yml")
    .read_text()
    .replace("semester_start: 2026-09-16", "semester_start: 9999-12-30")
)  # past the calendar's end
def test_a_mutated_course_file_loads_or_names_its_problems(text):
    tried("course file: mutated sample")
    check_course(text)


@CASES
@given(st.text(max_size=400) | st.binary(max_size=400))
@example(b"\xff\xfe not UTF-8")
@example("[" * 5000)  # nesting deeper than the YAML parser's recursion
@example("course: &a [*a]")  # an alias inside itself
@example("a: !!python/object/apply:os.system ['true']")  # safe_load refuses it
@example("")
def test_any_bytes_as_a_course_file_load_or_name_their_problems(content):
    tried("course file: arbitrary bytes")
    check_course(content)


# -- the roster ------------------------------------------------------------------------------------

cell = st.one_of(
    st.sampled_from(
        [
            "student1",
            "ann",
            "Ann",
            "x" * 40,
            "",
            " ",
            "ta",
            "student",
            "instructor",
            "a@b.c",
            "bad@",
            "team-1",
            "-team",
            "1abc",
            "ann;rm -rf /",
            "../../x",
            "\u00e9l\u00e8ve",
            "=cmd|' /C calc'!A0",
            "\x00",
            "\u202e",
        ]
    ),
    st.text(max_size=20),
)


@st.composite
def rosters(draw) -> str:
    header = draw(
        st.sampled_from(
            [
                list(COLUMNS),
                list(COLUMNS[:4]),
                [*COLUMNS, "extra"],
                ["username", "name", "email"],
                [" username ", "name", "email", "role"],
                list(reversed(COLUMNS)),
            ]
        )
        | st.lists(cell, max_size=6)
    )
    rows = draw(st.lists(st.lists(cell, max_size=7), max_size=8))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


@CASES
@given(rosters())
def test_a_random_roster_loads_or_names_each_bad_line(text):
    tried("roster: random rows")
    check_roster(text)


@CASES
@given(st.text(max_size=400) | st.binary(max_size=400))
@example(b"\xff\xfe not UTF-8")
@example("username,name,email,role\n" + "x" * 200_000 + ",n,e@x.y,student\n")  # huge field
@example('username,name,email,role\n"unterminated,quote,a@b.c,student\n')
@example("username,name,email,role\nann,Ann,a@b.c,student\x00\n")
@example("")
def test_any_bytes_as_a_roster_load_or_name_their_problems(content):
    tried("roster: arbitrary bytes")
    check_roster(content)


@CASES
@given(st.lists(st.sampled_from(SAMPLE_ROSTER.splitlines()[1:]) | cell, max_size=10))
def test_the_sample_roster_with_lines_shuffled_and_replaced(lines):
    tried("roster: sample lines shuffled")
    check_roster("\n".join([SAMPLE_ROSTER.splitlines()[0], *lines]) + "\n")


def test_the_samples_still_load():
    assert load_course(ROOT / "course.yml").course.id == "dl101"
    assert len(load_roster(ROOT / "roster.csv")) == 13
    assert dt.date.fromisoformat(str(SAMPLE_COURSE["course"]["semester_start"]))


# -- what the property tests found, pinned with their messages ---------------------------------


def _course_problems(text: str) -> list[str]:
    path = _file(text, "course.yml")
    try:
        load_course(path)
    except CourseFileError as err:
        return [str(p).replace(str(path), "course.yml") for p in err.problems]
    raise AssertionError("loaded")


def test_found_a_zone_folder_is_an_unknown_time_zone_not_a_crash():
    sample = (ROOT / "course.yml").read_text()
    [msg] = _course_problems(sample.replace("Europe/London", "Europe"))
    assert msg.startswith("course.yml: course.timezone: ") and "unknown time zone" in msg


def test_found_a_semester_start_past_the_calendar_is_refused():
    sample = (ROOT / "course.yml").read_text()
    [msg] = _course_problems(sample.replace("2026-09-16", "9999-12-30"))
    assert msg.startswith("course.yml: course.semester_start: ") and "plausible" in msg


def test_found_deep_nesting_binary_and_control_characters_are_named():
    assert _course_problems("[" * 5000) == [
        "course.yml: the file nests deeper than any course file needs"
    ]
    assert _course_problems("course:\n  id: \x1f\n") == [
        "course.yml: line 2, column 7: not valid YAML: the character '\\x1f' is not allowed"
    ]
    path = _file(b"\xff", "course.yml")
    with pytest.raises(CourseFileError, match="not UTF-8"):
        load_course(path)


def test_found_a_huge_csv_field_names_its_line():
    path = _file(
        "username,name,email,role\nann,A,a@b.c,student\n" + "x" * 200_000 + "\n", "roster.csv"
    )
    with pytest.raises(RosterError) as raised:
        load_roster(path)
    [p] = raised.value.problems
    assert p.where == "line 3" and "not valid CSV: field larger than field limit" in p.message
