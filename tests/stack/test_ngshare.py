"""ngshare in the stack: the roster sync at start, and an assignment and a submission that are
really stored (checked through ngshare's API: nbgrader exits 0 even when ngshare stored nothing)."""

from __future__ import annotations

import pytest
from coursework import roster_students, wait_for_roster
from hubclient import HubClient

from hub.ngshare import Ngshare

pytestmark = pytest.mark.docker

COURSE = "dl101"
MAKE_ASSIGNMENT = r"""
import nbformat, os
from nbformat.v4 import new_notebook, new_code_cell
os.makedirs('source/ps1', exist_ok=True)
open('nbgrader_config.py', 'w').write(
    "c = get_config()\nc.CourseDirectory.course_id = 'dl101'\n")
answer = new_code_cell(
    'def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION',
    metadata={'nbgrader': {'grade': False, 'solution': True, 'locked': False,
                           'grade_id': 'answer', 'schema_version': 3}})
test = new_code_cell('assert square(3) == 9',
    metadata={'nbgrader': {'grade': True, 'solution': False, 'locked': True, 'points': 1,
                           'grade_id': 'test', 'schema_version': 3}})
nbformat.write(new_notebook(cells=[answer, test]), 'source/ps1/ps1.ipynb')
"""


@pytest.fixture(scope="module")
def ngshare(stack) -> Ngshare:
    client = Ngshare(f"{stack.url}/services/ngshare", stack.secret("course_admin_token"))
    wait_for_roster(client, COURSE, roster_students(stack.course_dir))
    return client


def server_for(stack, username) -> str:
    client = HubClient(stack.url)
    client.login(username, stack.password)
    client.start_server()
    return stack.container_name(username)


def test_roster_is_synced_into_ngshare_at_start(stack, ngshare):
    assert COURSE in ngshare.courses()
    assert set(ngshare.instructors(COURSE)) == {"instructor", "ta1", "ta2"}
    students = ngshare.students(COURSE)
    assert set(students) == {f"student{i}" for i in range(1, 11)}
    assert students["student4"]["email"] == "student4@example.edu"


def test_roster_sync_is_idempotent(stack):
    done = stack.exec(f"{stack.name}_hub_1", "course", "roster", "sync")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "hub is in sync with the roster: nothing to change" in lines, done.stdout
    assert "ngshare is in sync with the roster: nothing to change" in lines, done.stdout


def test_release_and_submit_are_stored_in_ngshare(stack, ngshare):
    instructor = server_for(stack, "instructor")
    staff_env = {"HOME": "/home/jovyan"}
    stack.exec(instructor, "mkdir", "-p", "/tmp/course", env=staff_env)
    stack.exec(instructor, "python", "-c", MAKE_ASSIGNMENT, workdir="/tmp/course")
    # Staff servers' nbgrader works on ~/grading by default: point it at this scratch course.
    root = "--CourseDirectory.root=/tmp/course"
    stack.exec(instructor, "bash", "-c",
               f"cd /tmp/course && nbgrader generate_assignment ps1 --force {root} && "
               f"nbgrader release_assignment ps1 {root}")
    assert "ps1" in ngshare.assignments(COURSE)

    student = server_for(stack, "student5")
    fetched = stack.exec(student, "bash", "-c",
                         "cd /home/jovyan && nbgrader fetch_assignment ps1 --course dl101 && "
                         "find /home/jovyan -name ps1.ipynb")
    assert "ps1.ipynb" in fetched.stdout
    stack.exec(student, "bash", "-c", "cd /home/jovyan && nbgrader submit ps1 --course dl101")
    submissions = ngshare.submissions(COURSE, "ps1")
    assert [s["student_id"] for s in submissions] == ["student5"]
    assert submissions[0]["timestamp"]  # ngshare's server-side time


def test_student_cannot_release(stack, ngshare):
    """A student's own release of an assignment reaches nothing: ngshare stores no ps9 (what
    nbgrader prints or exits with is not the proof; see the module's docstring)."""
    student = stack.container_name("student5")
    stack.exec(student, "mkdir", "-p", "/tmp/mine")
    stack.exec(student, "python", "-c", MAKE_ASSIGNMENT.replace("ps1", "ps9"),
               workdir="/tmp/mine")
    result = stack.exec(student, "bash", "-c",
                        "cd /tmp/mine && nbgrader generate_assignment ps9 --force && "
                        "nbgrader release_assignment ps9 --course dl101", check=False)
    out = result.stdout + result.stderr
    assert "ps9" not in ngshare.assignments(COURSE), out
    # nbgrader reports ngshare's refusal but exits 0 all the same
    assert "ngshare endpoint /assignment/dl101/ps9 returned failure: Permission denied" in out
