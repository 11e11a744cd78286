"""The roster over a semester, on a running stack: an admin edits roster.csv and runs
`course roster sync` in the hub container, with no hub restart. Checked through the hub's API,
ngshare's API and Docker: a new student signs in and is in ngshare; a student promoted to TA gets
staff rights at their next server start; a dropped student's server stops, they can no longer sign
in, and their home volume and ngshare record stay."""

from __future__ import annotations

import pytest
import requests
from authstack import auth_stack, hub_exec, wait_for_hub_user
from coursework import roster_students, wait_for_roster
from hubclient import HubClient
from stackctl import run

from hub.ngshare import Ngshare

pytestmark = pytest.mark.docker

COURSE = "dl101"


@pytest.fixture(scope="module")
def stack(request, tmp_path_factory):
    with auth_stack(request, tmp_path_factory, "roster", {"kind": "demo"}) as s:
        wait_for_hub_user(s, "student1")
        yield s


@pytest.fixture(scope="module")
def admin_token(stack) -> str:
    return stack.secret("course_admin_token")


@pytest.fixture(scope="module")
def ngshare(stack, admin_token) -> Ngshare:
    client = Ngshare(f"{stack.url}/services/ngshare", admin_token)
    wait_for_roster(client, COURSE, roster_students(stack.course_dir))
    return client


def hub_user(stack, token, name) -> dict | None:
    r = requests.get(
        f"{stack.url}/hub/api/users/{name}", timeout=30, headers={"Authorization": f"token {token}"}
    )
    return r.json() if r.ok else None


def container_env(stack, name) -> dict[str, str]:
    env = stack.inspect(stack.container_name(name))["Config"]["Env"]
    return dict(item.split("=", 1) for item in env)


def mounts(stack, name) -> set[str]:
    return {m["Destination"] for m in stack.inspect(stack.container_name(name))["Mounts"]}


def signed_in(stack, name) -> HubClient:
    client = HubClient(stack.url)
    client.login(name, stack.password)
    assert client.logged_in(), f"{name} could not sign in"
    return client


@pytest.fixture(scope="module")
def before(stack, ngshare):
    """Servers running before the roster changes: the student to drop and the one to promote."""
    dropped = signed_in(stack, "student9")
    dropped.start_server()
    assert dropped.put_file("notes.txt", "mine").status_code in (200, 201)
    promoted = signed_in(stack, "student8")
    promoted.start_server()
    assert container_env(stack, "student8")["COURSE_ROLE"] == "student"
    return {"dropped": dropped, "promoted": promoted}


@pytest.fixture(scope="module")
def edited(stack, before):
    """roster.csv edited on the server: student11 added, student8 promoted to TA, student9 gone."""
    roster = stack.course_dir / "roster.csv"
    lines = roster.read_text().splitlines()
    lines = [line for line in lines if not line.startswith("student9,")]
    lines = [
        line.replace(",student,team3", ",ta,") if line.startswith("student8,") else line
        for line in lines
    ]
    lines.append("student11,Student 11,student11@example.edu,student,team4")
    roster.write_text("\n".join(lines) + "\n")
    return roster


def test_diff_shows_the_changes_and_changes_nothing(stack, admin_token, ngshare, edited):
    out = hub_exec(stack, "course", "roster", "diff").stdout
    assert "would add users (they can sign in): student11" in out
    assert "would remove users no longer on the roster" in out and "student9" in out
    assert "group staff: +student8" in out
    assert "group students: +student11 -student8" in out
    assert "ngshare would: add instructors: student8; add students: student11" in out
    # nothing changed yet
    assert hub_user(stack, admin_token, "student11") is None
    assert hub_user(stack, admin_token, "student9") is not None
    assert "student11" not in ngshare.students(COURSE)
    assert stack.inspect(stack.container_name("student9"))["State"]["Running"]


@pytest.fixture(scope="module")
def synced(stack, edited):
    result = hub_exec(stack, "course", "roster", "sync")
    print(result.stdout, result.stderr)
    return result.stdout


def test_sync_reports_what_it_did(synced):
    assert "hub: added users (they can sign in): student11" in synced
    assert "hub: removed users no longer on the roster" in synced
    assert "ngshare: added instructors: student8; added students: student11" in synced


def test_new_student_signs_in_and_is_in_ngshare(stack, ngshare, synced):
    client = signed_in(stack, "student11")
    me = client.api("GET", "/user").json()
    assert me["name"] == "student11"
    assert {"students", "team-team4"} <= set(me["groups"])
    assert ngshare.students(COURSE)["student11"]["email"] == "student11@example.edu"


def test_dropped_student_is_stopped_refused_and_keeps_data(
    stack, admin_token, ngshare, synced, before
):
    assert hub_user(stack, admin_token, "student9") is None
    names = run("docker", "ps", "-a", "--format", "{{.Names}}").stdout.split()
    assert stack.container_name("student9") not in names  # server stopped (and removed)
    # the old session no longer works, and a new sign-in is refused
    assert before["dropped"].api("GET", "/user").status_code in (401, 403)
    client = HubClient(stack.url)
    client.login("student9", stack.password)
    assert not client.logged_in()
    # home volume and ngshare record kept
    volume = f"{stack.name}-home-student9"
    assert run("docker", "volume", "inspect", volume, check=False).returncode == 0
    kept = run(
        "docker",
        "run",
        "--rm",
        "-v",
        f"{volume}:/home/jovyan:ro",
        "--entrypoint",
        "cat",
        f"course-hub:{stack.env['IMAGE_TAG']}",
        "/home/jovyan/notes.txt",
    ).stdout
    assert kept == "mine"
    assert "student9" in ngshare.students(COURSE)


def test_promoted_ta_gets_staff_rights_at_next_server_start(stack, admin_token, synced, before):
    assert {"staff"} <= set(hub_user(stack, admin_token, "student8")["groups"])
    assert "students" not in hub_user(stack, admin_token, "student8")["groups"]
    # the running server is left alone ...
    assert container_env(stack, "student8")["COURSE_ROLE"] == "student"
    assert "/home/jovyan/grading" not in mounts(stack, "student8")
    # ... and the next one is a staff server
    promoted = before["promoted"]
    promoted.stop_server()
    promoted.start_server()
    assert container_env(stack, "student8")["COURSE_ROLE"] == "staff"
    assert "/home/jovyan/grading" in mounts(stack, "student8")
    # staff may list the students now (the course-staff role)
    assert promoted.api("GET", "/users").status_code == 200


def test_second_sync_changes_nothing(stack, synced):
    out = hub_exec(stack, "course", "roster", "sync").stdout
    assert "hub is in sync with the roster: nothing to change" in out
    assert "ngshare is in sync with the roster: nothing to change" in out


def test_readded_student_signs_in_again_with_the_same_home(stack, edited, synced):
    edited.write_text(
        edited.read_text() + "student9,Student 9,student9@example.edu,student,team3\n"
    )
    out = hub_exec(stack, "course", "roster", "sync").stdout
    assert "added users (they can sign in): student9" in out
    client = signed_in(stack, "student9")
    client.start_server()
    assert client.get_file("notes.txt").json()["content"] == "mine"
    client.stop_server()
