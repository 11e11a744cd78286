"""The A1 cycle the assignment tests and the command matrix share (one per test session: it
costs servers, sandboxes and minutes). What it does is in test_assignments.py's docstring."""

from __future__ import annotations

import json
import shutil
import time

import pytest
from coursework import (
    COURSE,
    MALFORMED,
    ROOT,
    in_server,
    install_working_tree,
    solved,
    submit_directly,
    wait_for_ngshare,
)
from hubclient import HubClient
from stackctl import course_cli

from hub.ngshare import Ngshare

STUDENTS = ("student1", "student2", "student3")  # with servers; student3 never submits A1


@pytest.fixture(scope="session")
def admin(stack) -> Ngshare:
    return Ngshare(f"{stack.url}/services/ngshare", stack.secret("course_admin_token"))


@pytest.fixture(scope="session")
def clients(stack) -> dict[str, HubClient]:
    # The course folder holds the assignments' sources next to course.yml, as in the repository.
    shutil.copytree(
        ROOT / "assignments",
        stack.course_dir / "assignments",
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("release", "gradebook.db", ".ipynb_checkpoints"),
    )
    clients = {}
    for user in ("instructor", *STUDENTS):
        client = HubClient(stack.url)
        client.login(user, stack.password)
        client.start_server()
        clients[user] = client
    install_working_tree(stack, "instructor")
    return clients


@pytest.fixture(scope="session")
def cycle(stack, clients, admin):
    facts: dict = {}
    facts["release"] = course_cli(stack, "release", "A1").stdout
    facts["release_again"] = course_cli(stack, "release", "A1").stdout

    for user in STUDENTS:
        in_server(stack, user, "nbgrader fetch_assignment A1 --course dl101")
    template = clients["student1"].get_file("A1/A1.ipynb").json()["content"]  # a notebook
    facts["template"] = json.dumps(template)
    facts["solved"] = solved(template)

    clients["student1"].put_file("A1/A1.ipynb", facts["solved"])
    in_server(stack, "student1", "nbgrader submit A1 --course dl101")
    in_server(stack, "student2", "nbgrader submit A1 --course dl101")  # the untouched template
    time.sleep(1.5)
    clients["student2"].put_file("A1/A1.ipynb", facts["solved"])
    in_server(stack, "student2", "nbgrader submit A1 --course dl101")
    facts["submissions"] = admin.submissions(COURSE, "A1")

    # A notebook cut off half-way (an interrupted save, or a client of one's own): ngshare takes
    # any bytes; grading must fail this submission alone.
    submit_directly(stack, MALFORMED, facts["template"][: len(facts["template"]) // 2])

    stack.compose("restart", "ngshare")  # between submit and collect: nothing may be lost
    wait_for_ngshare(admin)

    facts["collect"] = in_server(
        stack, "instructor", "course --course /tmp/course/course.yml collect A1"
    ).stdout
    # exits 1: one submission failed (the malformed one)
    facts["autograde_run"] = course_cli(stack, "autograde", "A1", "--cell-timeout", "120",
                                        check=False)
    facts["autograde"] = facts["autograde_run"].stdout
    facts["feedback"] = course_cli(stack, "feedback", "A1").stdout
    for user in ("student1", "student2"):
        in_server(stack, user, "nbgrader fetch_feedback A1 --course dl101")
    return facts
