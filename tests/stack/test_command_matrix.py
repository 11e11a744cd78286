"""Every `course` subcommand where staff run it, on the session's stack after its A1 cycle
(tests/stack/conftest.py): in a staff server's terminal (the instructor's), on the host (the
staff-tools container or, for roster and publish-labs, the stack's hub container), and in the
hub container as a deployed server's `sudo course` calls it (tests/deploy runs the wrapper
itself). Each command gets its happy path and one bad input, and the test asserts the effect:
files written, ngshare's state, the exit code and the message, never a traceback.

The similarity report, end to end: student1 and student2 submitted the same solved A1, student6
(below) a copy of it with its variables renamed, student5 the untouched template; every pair of
the three copies is flagged, the template with nobody.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shlex

import nbformat
import pytest
from coursework import (
    A1_SOURCE,
    COURSE,
    MALFORMED,
    in_server,
    roster_students,
    submit_directly,
)
from stackctl import course_cli

pytestmark = pytest.mark.docker

PLACES = ("server", "host", "hub")
TEMPLATE_ONLY = "student5"  # submits the released template untouched
RENAMED = "student6"  # submits the solution with its variables renamed
COPIES = ("student1", "student2", RENAMED)
# Local names of the A1 solution, renamed as someone hiding a copy would.
RENAMES = {"shifted": "centred", "probs": "p_hat", "onehot": "target", "cache": "memo",
           "grads": "gradients", "dZ": "delta", "A_prev": "a_in", "dA": "delta_in",
           "losses": "history", "grad": "g", "old": "saved"}


def renamed(notebook: str) -> str:
    nb = nbformat.reads(notebook, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            for old, new in RENAMES.items():
                cell.source = re.sub(rf"\b{old}\b", new, cell.source)
    return nbformat.writes(nb)


def course(stack, place: str, *argv: str, toolbox: bool = True, host_dir=None):
    """`course <argv>` in `place`; returns (exit code, stdout + stderr)."""
    if place == "server":  # its own course file: the course folder, mounted at /srv/course
        done = in_server(stack, "instructor", shlex.join(["course", *argv]), check=False)
    elif place == "host":
        done = course_cli(stack, *argv, check=False, toolbox=toolbox)
    else:  # what ansible's /usr/local/bin/course runs: compose exec hub course, with the caller
        env = {"COURSE_HOST_CWD": str(host_dir), "COURSE_HOST_UID": str(os.getuid())}
        done = stack.exec(f"{stack.name}_hub_1", "course", *argv, check=False,
                          env=env if host_dir else None)
    text = done.stdout + done.stderr
    assert "Traceback" not in text, text[-3000:]
    return done.returncode, text


def grading_file(stack, path: str) -> str:
    return in_server(stack, "instructor", f"cat grading/{path}").stdout


@pytest.fixture(scope="module")
def two_more(stack, cycle, admin):
    """student5 and student6 submit after the cycle's collect; collecting them from the host is
    the collect's happy path there."""
    submit_directly(stack, TEMPLATE_ONLY, cycle["template"])
    submit_directly(stack, RENAMED, renamed(cycle["solved"]))
    return course(stack, "host", "collect", "A1")


# -- validate, links: anywhere ------------------------------------------------------------------


@pytest.mark.parametrize("place", PLACES)
def test_validate(stack, cycle, place):
    code, text = course(stack, place, "validate", toolbox=False)
    assert code == 0 and f"({COURSE})" in text and "10 students" in text, text
    code, text = course(stack, place, "--course", "/nonexistent/course.yml", "validate",
                        toolbox=False)
    assert code == 1 and "/nonexistent/course.yml: cannot read" in text, text


@pytest.mark.parametrize("place", PLACES)
def test_links(stack, cycle, place):
    code, text = course(stack, place, "links", toolbox=False)
    assert code == 0 and "week01-pytorch-basics\topen\t" in text and "git-pull?repo=" in text, text
    code, text = course(stack, place, "links", "--now", "next tuesday", toolbox=False)
    assert code == 1 and "'next tuesday' is not an ISO 8601 time" in text, text


# -- roster, publish-labs: in the hub container -------------------------------------------------


@pytest.mark.parametrize("command", [("roster", "diff"), ("roster", "sync"), ("publish-labs",)])
def test_hub_only_commands_say_where_in_a_staff_server(stack, cycle, command):
    code, text = course(stack, "server", *command)
    assert code == 2, text
    assert text.strip().count("\n") == 0, text  # one line
    assert f"`course {' '.join(command)}` runs in the hub container" in text
    assert f"sudo course {' '.join(command)}" in text


@pytest.mark.parametrize("place", ("host", "hub"))
def test_roster_diff_and_sync(stack, cycle, admin, place):
    code, text = course(stack, place, "roster", "diff", toolbox=False)
    assert code == 0, text
    assert "ngshare is in sync with the roster: nothing to change" in text, text
    code, text = course(stack, place, "roster", "sync", toolbox=False)
    assert code == 0, text
    assert set(admin.students(COURSE)) == roster_students(stack.course_dir)
    if place == "host":
        assert f"in the hub container {stack.name}_hub_1" in text, text
        code, text = course(stack, place, "roster", "diff", "--stack", "nosuchstack",
                            toolbox=False)
        assert code == 1 and "no running hub container for stack 'nosuchstack'" in text, text


@pytest.mark.parametrize("place", ("host", "hub"))
def test_publish_labs(stack, cycle, place):
    code, text = course(stack, place, "publish-labs", toolbox=False)
    assert code == 0, text
    assert "released weeks: 1, 2, 3" in text or "weeks 1, 2, 3 (" in text, text
    code, text = course(stack, place, "publish-labs", "--now", "soon", toolbox=False)
    assert code == 1 and "'soon' is not an ISO 8601 time" in text, text


# -- the assignment commands --------------------------------------------------------------------


@pytest.mark.parametrize("place", PLACES)
def test_release(stack, cycle, admin, place):
    before = admin.get(f"assignment/{COURSE}/A1?list_only=true")["files"]
    code, text = course(stack, place, "release", "A1")
    assert code == 0 and "A1 was already released" in text, text
    assert admin.get(f"assignment/{COURSE}/A1?list_only=true")["files"] == before
    code, text = course(stack, place, "release", "A9")
    assert code == 1 and "no assignment 'A9'; valid: A1, A2, A3, A4" in text, text
    assert "A9" not in admin.assignments(COURSE)


@pytest.mark.parametrize("place", PLACES)
def test_collect(stack, two_more, admin, place):
    code, text = two_more if place == "host" else course(stack, place, "collect", "A1")
    assert code == 0 and "5 students submitted" in text, text
    newest = {s["student_id"]: s["timestamp"] for s in admin.submissions(COURSE, "A1")}
    for student in (TEMPLATE_ONLY, RENAMED):
        stamp = grading_file(stack, f"submitted/{student}/A1/timestamp.txt").strip()
        assert stamp.split(".")[0] == newest[student].split(".")[0]
    code, text = course(stack, place, "collect", "A9")
    assert code == 1 and "no assignment 'A9'" in text, text


@pytest.mark.parametrize("place", ("host", "hub"))
def test_autograde_refuses_a_student_not_on_the_roster_or_not_collected(stack, cycle, place):
    log_before = grading_file(stack, "autograde/A1.json")
    code, text = course(stack, place, "autograde", "A1", "--student", "nobody")
    assert code == 1 and "nobody: not a student on the roster" in text, text
    code, text = course(stack, place, "autograde", "A1", "--student", "student3")
    assert code == 1 and "no collected A1 submission from student3" in text, text
    assert grading_file(stack, "autograde/A1.json") == log_before  # nothing graded


def test_autograde_in_a_staff_server_says_where(stack, cycle):
    code, text = course(stack, "server", "autograde", "A1")
    assert code == 2 and "make course ARGS='autograde A1'" in text, text


@pytest.mark.parametrize("place", PLACES)
def test_feedback(stack, cycle, admin, place):
    code, text = course(stack, place, "feedback", "A1")
    assert code == 0 and "feedback released for 2 students: student1, student2" in text, text
    stamp = grading_file(stack, "submitted/student1/A1/timestamp.txt").strip()
    held = admin.get(f"feedback/{COURSE}/A1/student1?timestamp={stamp.replace(' ', '%20')}")
    assert held["files"], held
    code, text = course(stack, place, "feedback", "A9")
    assert code == 1 and "no assignment 'A9'" in text, text


@pytest.mark.parametrize("place", PLACES)
def test_grades(stack, cycle, place, tmp_path):
    """`course grades` takes no assignment or student, so it has no bad input of that kind."""
    code, text = course(stack, place, "grades", "--out", str(tmp_path), host_dir=tmp_path)
    assert code == 0, text
    if place == "server":  # written in the grading folder, where staff open it
        table = grading_file(stack, "exports/grades.csv")
    else:  # copied back to --out on the host
        table = (tmp_path / "exports" / "grades.csv").read_text()
        assert (tmp_path / "exports" / "A1-scores.png").stat().st_size > 1000
    rows = {r["Username"]: r for r in csv.DictReader(table.splitlines())}
    assert set(rows) == {f"student{i}" for i in range(1, 11)}
    assert rows["student1"]["A1 final"] == "20"


@pytest.mark.parametrize("place", PLACES)
def test_extend(stack, cycle, place):
    student = {"server": "student7", "host": "student8", "hub": "student9"}[place]
    code, text = course(stack, place, "extend", "A1", student, "--until", "2030-01-02T18:30",
                        "--reason", "matrix test")
    assert code == 0 and f"A1/{student}: due 2030-01-02T18:30" in text, text
    store = json.loads(grading_file(stack, "extensions.json"))
    assert {(e["assignment"], e["student"]) for e in store["extensions"]} >= {("A1", student)}
    code, text = course(stack, place, "extend", "A1", "nobody", "--until", "2030-01-02T18:30")
    assert code == 1 and "nobody: not a student on the roster" in text, text
    assert json.loads(grading_file(stack, "extensions.json")) == store  # unchanged


# -- the similarity report ----------------------------------------------------------------------


def report_files(stack, place: str, tmp_path) -> tuple[str, str]:
    """The CSV and HTML of `course similarity A1` run in `place`, from where staff find them."""
    code, text = course(stack, place, "similarity", "A1", "--out", str(tmp_path),
                        host_dir=tmp_path)
    assert code == 0, text
    assert "6 pair(s) compared, 3 above 0.6" in text, text
    assert f"not compared: {MALFORMED}: " in text, text  # the half notebook, listed
    if place == "server":
        return (grading_file(stack, "similarity/A1/A1-similarity.csv"),
                grading_file(stack, "similarity/A1/A1-similarity.html"))
    folder = tmp_path / "A1"
    if place == "hub":  # through the deploy's wrapper: on the host, owned by the caller
        assert (folder / "A1-similarity.csv").stat().st_uid == os.getuid()
    return (folder / "A1-similarity.csv").read_text(), (folder / "A1-similarity.html").read_text()


@pytest.mark.parametrize("place", PLACES)
def test_similarity_flags_every_copy_and_never_the_template(stack, two_more, place, tmp_path):
    table, html = report_files(stack, place, tmp_path)
    rows = list(csv.DictReader(table.splitlines()))
    flagged = {(r["student_a"], r["student_b"]) for r in rows}
    assert flagged == {("student1", "student2"), ("student1", RENAMED), ("student2", RENAMED)}
    assert all(float(r["similarity"]) > 0.9 for r in rows), rows
    assert TEMPLATE_ONLY not in table
    matched = html.split("<h2>Matched Code</h2>")[1]
    assert f"{RENAMED}.py" in matched and f"{TEMPLATE_ONLY}.py" not in matched


def test_the_renamed_copy_is_renamed():
    """Guards the test above: in student6's copy, every answer cell has its names changed (the
    A1 source's answers, the ones `solved` puts in; the given and test cells stay as handed out)."""
    def answers(text: str) -> str:
        cells = nbformat.reads(text, as_version=4).cells
        return "\n".join(c.source for c in cells if c.metadata.get("nbgrader", {}).get("solution"))

    original = A1_SOURCE.read_text()
    copy = answers(renamed(original))
    assert copy != answers(original)
    for old, new in RENAMES.items():
        assert re.search(rf"\b{old}\b", copy) is None, old
        assert re.search(rf"\b{new}\b", copy), new


@pytest.mark.parametrize("place", PLACES)
def test_similarity_bad_input(stack, cycle, place):
    code, text = course(stack, place, "similarity", "A9")
    assert code == 1 and "no assignment 'A9'" in text, text
    code, text = course(stack, place, "similarity", "A2")  # in course.yml, never released
    assert code == 1 and "the released template is needed" in text, text


def test_the_matrix_covers_every_subcommand():
    """A new `course` subcommand must join the matrix above."""
    from hub.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    tested = {"validate", "links", "roster", "publish-labs", "release", "collect", "autograde",
              "feedback", "grades", "extend", "similarity"}
    # `course data` works on the shared data folder, not the stack: it is tested where it
    # runs, in the student image (tests/content/test_real_data.py), on the host
    # (tests/unit/test_data.py) and as `course-data` on the deployed server (tests/deploy).
    tested_elsewhere = {"data"}
    assert set(sub.choices) == tested | tested_elsewhere, set(sub.choices) ^ tested
