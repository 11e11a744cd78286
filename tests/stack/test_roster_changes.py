"""The roster over a semester, on a running stack: an admin edits roster.csv and runs
`course roster sync` in the hub container, with no hub restart. Checked through the hub's API,
ngshare's API and Docker: a new student signs in and is in ngshare; a student promoted to TA gets
staff rights at their next server start; a dropped student's server stops, they can no longer sign
in, and their home volume and ngshare record stay.

Then the hub restarts (the last tests): a student dropped from the roster while it was down is
refused at once, before the start-up sync; and the idle culler, set short, stops an idle server
but not one whose kernel is computing with no browser open."""

from __future__ import annotations

import html
import time

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


# -- after a hub restart: the roster edited while it was down, and the idle culler -------------

# The site's escape hatch (jupyterhub_config.d/ beside the course file), written by this test
# only: the start-up roster sync comes 60 s late, so signing in during the window between the
# hub's start and that sync is certain, not a race; the idle culler stops servers idle 90 s
# (checked every 10 s; the course file allows 300 s at least), and servers report their
# activity every 10 s (JupyterHub's default is 300 s).
TEST_HUB_CONFIG = '''
# A file of jupyterhub_config.d/ starts from an empty config: rebuild the services and the
# servers' environment with the hub's own functions, then change them.
from hub.config import apply_services, apply_spawner
from hub.course import load_course
from hub.settings import Settings

settings = Settings.from_env()
course = load_course(settings.course_file)
apply_services(c, course, settings)
apply_spawner(c, course, settings)
for service in c.JupyterHub.services:
    if service["name"] == "course-admin":
        service["command"] = ["sh", "-c", 'sleep 60 && exec "$@"', "sh", *service["command"]]
    if service["name"] == "idle-culler":
        service["command"] = [*service["command"][:3], "--timeout=90", "--cull-every=10"]
c.DockerSpawner.environment = {**c.DockerSpawner.environment, "JUPYTERHUB_ACTIVITY_INTERVAL": "10"}
'''
CULL_TIMEOUT = 90


@pytest.fixture(scope="module")
def restarted(stack, admin_token, synced):
    """The hub stopped; student7 dropped from roster.csv meanwhile; the hub started again."""
    assert hub_user(stack, admin_token, "student7") is not None
    stack.compose("stop", "hub")
    hatch = stack.course_dir / "jupyterhub_config.d"
    hatch.mkdir(exist_ok=True)
    (hatch / "50-test-late-sync-fast-culler.py").write_text(TEST_HUB_CONFIG)
    roster = stack.course_dir / "roster.csv"
    lines = roster.read_text().splitlines(keepends=True)
    roster.write_text("".join(line for line in lines if not line.startswith("student7,")))
    stack.compose("start", "hub")
    stack.wait_healthy()
    started = time.monotonic()
    yield started
    (hatch / "50-test-late-sync-fast-culler.py").unlink()  # the stack goes down after this file


def test_a_student_dropped_while_the_hub_was_down_is_refused_at_once(stack, admin_token, restarted):
    client = HubClient(stack.url)
    r = client.login("student7", stack.password)
    assert not client.logged_in()
    page = html.unescape(r.text)  # what the browser shows
    assert r.status_code == 403 and "'student7' is not on the roster" in page, page[-2000:]
    # The window was open: the hub still had student7 (JupyterHub admits its existing users),
    # the start-up sync had not run yet.
    assert time.monotonic() - restarted < 60
    assert hub_user(stack, admin_token, "student7") is not None
    signed_in(stack, "student4")  # everyone on the roster signs in at once


def server_running(stack, token, name) -> bool:
    return bool((hub_user(stack, token, name) or {}).get("servers"))


def test_the_idle_culler_stops_an_idle_server_but_not_one_whose_kernel_computes(
    stack, admin_token, restarted
):
    """jupyterhub-idle-culler, with its role from hub/config.py, under today's JupyterHub: an
    untouched server is stopped after the timeout; a server whose kernel runs a long cell that
    prints nothing, with no browser open, is kept (hub/singleuser/busy_kernels.py)."""
    idle = signed_in(stack, "student5")
    idle.start_server()
    busy = signed_in(stack, "student6")
    busy.start_server()
    kernel = busy.kernel()
    assert kernel.execute("import time; print('ready')").strip() == "ready"
    kernel.send("time.sleep(900)")  # a training cell without progress output
    kernel.close()  # the browser is closed
    cell_started = time.monotonic()

    deadline = cell_started + CULL_TIMEOUT + 150
    while server_running(stack, admin_token, "student5"):
        assert time.monotonic() < deadline, "the idle server was not culled"
        time.sleep(5)
    print(f"idle server culled {time.monotonic() - cell_started:.0f} s after the busy cell began")
    names = run("docker", "ps", "-a", "--format", "{{.Names}}").stdout.split()
    assert stack.container_name("student5") not in names

    while time.monotonic() - cell_started < 2 * CULL_TIMEOUT + 20:
        assert server_running(stack, admin_token, "student6"), "the computing server was culled"
        time.sleep(5)
    state = busy.server_api("GET", f"kernels/{kernel.id}").json()["execution_state"]
    assert state == "busy"  # still in the same cell
    busy.stop_server()


def test_the_late_start_up_sync_still_removes_the_dropped_student(stack, admin_token, restarted):
    deadline = restarted + 180
    while hub_user(stack, admin_token, "student7") is not None:
        assert time.monotonic() < deadline, "the start-up sync did not remove student7"
        time.sleep(2)
