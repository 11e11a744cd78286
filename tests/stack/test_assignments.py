"""The staff's assignment workflow through the running stack: real servers, the real nbgrader
CLI, real ngshare, sandboxed autograding. Every step is checked through its effect (ngshare's
API, files in the grading volume, the gradebook, the students' homes), never its exit code.

One A1 cycle is shared by these tests and the command matrix (session fixture `cycle`,
tests/stack/conftest.py):
  staff release (host: `course release`, through a staff-tools container)
  student1..3 fetch in their own servers; student1 submits; student2 submits the untouched
  template, then a solution (the newest counts); student3 does not submit; student4 (no server)
  sends a notebook cut off half-way straight to ngshare's API with their own token
  ngshare restarts (nothing may be lost)
  staff collect from the instructor's server
  autograde from the host (one sandbox per submission)
  feedback released (host), fetched by the students in their servers
  grade export (host)
"""

from __future__ import annotations

import csv
import json

import docker
import pytest
import requests
from coursework import COURSE, MALFORMED, in_server, wait_for_ngshare
from stackctl import course_cli

from hub.grading.sandbox import leftover_sandboxes
from hub.ngshare import Ngshare, NgshareError

pytestmark = pytest.mark.docker


# -- helpers ------------------------------------------------------------------------------------


def gradebook_scores(stack) -> dict[str, float]:
    script = (
        "python - <<'EOF'\nimport json\nfrom nbgrader.api import Gradebook\n"
        "with Gradebook('sqlite:////home/jovyan/grading/gradebook.db', 'dl101') as gb:\n"
        "    print(json.dumps({s.student_id: s.score for s in "
        "gb.find_assignment('A1').submissions}))\nEOF"
    )
    return json.loads(in_server(stack, "instructor", script).stdout.strip().splitlines()[-1])




# -- the shared cycle ------------------------------------------------------------------------------


# -- the A1 cycle ----------------------------------------------------------------------------------


def test_release_is_stored_in_ngshare_without_solutions(stack, cycle, admin):
    assert "A1" in admin.assignments(COURSE)
    files = admin.get(f"assignment/{COURSE}/A1?list_only=true")["files"]
    assert "A1.ipynb" in {f["path"] for f in files}
    assert (
        "BEGIN SOLUTION" not in cycle["template"]
        and "raise NotImplementedError" in cycle["template"]
    )
    released = in_server(stack, "instructor", "ls grading/release/A1 grading/source/A1").stdout
    assert "A1.ipynb" in released
    assert "already released" in cycle["release_again"]


def test_every_submission_reached_ngshare_with_its_server_time(cycle):
    by_student: dict[str, list] = {}
    for s in cycle["submissions"]:
        by_student.setdefault(s["student_id"], []).append(s["timestamp"])
    assert {k: len(v) for k, v in by_student.items()} == {"student1": 1, "student2": 2}


def test_collect_takes_each_newest_submission_after_an_ngshare_restart(stack, cycle):
    latest = max(s["timestamp"] for s in cycle["submissions"] if s["student_id"] == "student2")
    stamp = in_server(
        stack, "instructor", "cat grading/submitted/student2/A1/timestamp.txt"
    ).stdout.strip()
    assert stamp.split(".")[0] == latest.split(".")[0]
    listed = in_server(stack, "instructor", "ls grading/submitted").stdout.split()
    assert sorted(listed) == ["student1", "student2", MALFORMED]
    assert "3 students submitted" in cycle["collect"]


def test_autograde_scores_the_newest_submission_in_sandboxes(stack, cycle):
    scores = gradebook_scores(stack)
    assert scores == {"student1": 20.0, "student2": 20.0}, cycle["autograde"]
    log = json.loads(in_server(stack, "instructor", "cat grading/autograde/A1.json").stdout)
    assert {s: r["status"] for s, r in log.items() if s != MALFORMED} == {
        "student1": "graded", "student2": "graded"}
    assert leftover_sandboxes(docker.from_env(), stack.name) == []


def test_a_malformed_notebook_fails_its_own_submission_only(stack, cycle):
    run = cycle["autograde_run"]
    assert run.returncode == 1, (run.returncode, run.stdout[-2000:], run.stderr[-2000:])
    assert "A1: 2 graded, 1 failed (student4: " in run.stdout, run.stdout[-2000:]
    log = json.loads(in_server(stack, "instructor", "cat grading/autograde/A1.json").stdout)
    assert log[MALFORMED]["status"] == "failed" and log[MALFORMED]["reason"], log[MALFORMED]
    assert MALFORMED not in gradebook_scores(stack)  # no score recorded for it
    assert leftover_sandboxes(docker.from_env(), stack.name) == []


def test_students_fetch_their_feedback(stack, cycle):
    for user in ("student1", "student2"):
        # one folder per feedback release, named by the submission's time (it has a space)
        found = in_server(stack, user, "find A1/feedback -name A1.html").stdout.splitlines()
        assert len(found) == 1, (user, found)
        html = in_server(stack, user, "cat A1/feedback/*/A1.html").stdout
        assert "A1 (Score: 20.0 / 20.0)" in html
    # student3 did not submit: no feedback
    assert "feedback" not in in_server(stack, "student3", "ls A1").stdout


def test_grade_export_has_one_row_per_student(stack, cycle, tmp_path):
    course_cli(stack, "grades", "--out", str(tmp_path))
    rows = {r["Username"]: r for r in csv.DictReader((tmp_path / "exports" / "grades.csv").open())}
    assert set(rows) == {f"student{i}" for i in range(1, 11)}
    assert rows["student1"]["A1 final"] == "20" and rows["student1"]["A1 status"] == "on_time"
    assert rows["student2"]["A1 final"] == "20"
    assert rows["student3"]["A1 status"] == "missing" and rows["student3"]["A1 final"] == "0"
    assert (tmp_path / "exports" / "A1-scores.png").stat().st_size > 1000


# -- ngshare's authorisation -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def student_share(stack, cycle) -> Ngshare:
    token = stack.exec(
        stack.container_name("student3"), "printenv", "JUPYTERHUB_API_TOKEN"
    ).stdout.strip()
    return Ngshare(f"{stack.url}/services/ngshare", token)


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", f"submissions/{COURSE}/A1"),  # list everyone's
        ("GET", f"submissions/{COURSE}/A1/student1"),  # list another student's
        ("GET", f"submission/{COURSE}/A1/student1"),  # download (collect) one
        ("POST", f"assignment/{COURSE}/A9"),  # release
    ],
)
def test_a_student_token_is_refused(student_share, method, path):
    with pytest.raises(NgshareError) as refused:
        student_share._call(method, path)
    assert refused.value.status == 403, str(refused.value)


# -- oversized submissions ------------------------------------------------------------------------


def test_an_oversized_submission_is_refused_with_its_reason(stack, cycle, admin):
    # student3 never submitted A1; a 60 MB checkpoint left in the folder exceeds the 50 MB limit.
    in_server(stack, "student3", "head -c 62914560 /dev/zero > A1/weights.pt")
    try:
        done = in_server(stack, "student3", "nbgrader submit A1 --course dl101", check=False)
    finally:
        in_server(stack, "student3", "rm -f A1/weights.pt")
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "over the course's limit of 50 MB, so nothing was submitted" in out, out
    assert "weights.pt (60.0 MB)" in out, out
    assert "student3" not in {s["student_id"] for s in admin.submissions(COURSE, "A1")}


def test_an_oversized_request_is_refused_by_ngshare_and_harms_nothing(stack, cycle, admin):
    # A client that skips the check: ngshare (Tornado, 100 MB body limit) refuses the request.
    token = stack.exec(
        stack.container_name("student3"), "printenv", "JUPYTERHUB_API_TOKEN"
    ).stdout.strip()
    body = {"user": "student3", "files": "x" * (110 * 1024 * 1024)}
    try:
        r = requests.post(
            f"{stack.url}/services/ngshare/submission/{COURSE}/A1",
            data=body,
            headers={"Authorization": f"token {token}"},
            timeout=300,
        )
        accepted = r.ok and r.json().get("success")
    except requests.ConnectionError:
        accepted = False  # the server closed the connection: refused
    assert not accepted
    wait_for_ngshare(admin, timeout=30)  # still serving
    assert "student3" not in {s["student_id"] for s in admin.submissions(COURSE, "A1")}
