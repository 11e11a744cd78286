"""The course stack for real: proxy, hub, DockerSpawner containers, ngshare, through a real client.

Needs the built images (make images); CI runs it through `make test`.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
import requests
from hubclient import HubClient

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def student1(stack):
    client = HubClient(stack.url)
    client.login("student1", stack.password)
    assert client.logged_in()
    client.start_server()
    yield client


def test_hub_health_through_the_proxy(stack):
    r = requests.get(f"{stack.url}/hub/health", timeout=10)
    assert r.ok


def test_wrong_password_is_refused(stack):
    client = HubClient(stack.url)
    r = client.login("student1", "not-the-password")
    assert not client.logged_in()
    assert "Invalid username or password" in r.text


def test_name_not_on_the_roster_is_refused(stack):
    client = HubClient(stack.url)
    r = client.login("mallory", stack.password)
    assert not client.logged_in()
    # refused by the roster check at sign-in, saying why (hub/auth.py)
    assert r.status_code == 403, (r.status_code, r.url)
    assert "is not on the roster" in r.text and "mallory" in r.text, r.text[-2000:]


def test_the_demo_banner_names_logins_of_the_roster_the_hub_runs_with(stack):
    out = stack.exec(f"{stack.name}_hub_1", "python", "-m", "hub.demo_banner", "pw").stdout
    assert out.splitlines() == [
        "  student login: student1 / pw",
        "  staff login:   instructor / pw   (also staff: ta1, ta2)",
    ], out


def test_student_server_runs_as_uid_1000_with_course_limits(stack, student1):
    info = stack.inspect(stack.container_name("student1"))
    assert info["Config"]["User"] in ("1000", "jovyan")
    uid = stack.exec(stack.container_name("student1"), "id", "-u").stdout.strip()
    assert uid == "1000"
    host = info["HostConfig"]
    # course.yml's cpu profile: 2 CPUs, 4G, 1024 pids
    assert host["NanoCpus"] == 2 * 10**9 or host["CpuQuota"] == 200000
    assert host["Memory"] == 4 * 1024**3
    assert host["PidsLimit"] == 1024
    assert "no-new-privileges:true" in host["SecurityOpt"]
    assert host["CapDrop"] == ["ALL"]
    expected = f"course-student:{os.environ.get('IMAGE_TAG', 'latest')}"
    assert info["Config"]["Image"] == os.environ.get("STUDENT_IMAGE", expected)
    mounts = {m["Destination"]: m for m in info["Mounts"]}
    assert mounts["/home/jovyan"]["Name"] == f"{stack.name}-home-student1"
    assert mounts["/srv/labs.git"]["RW"] is False
    assert "/var/run/docker.sock" not in mounts


def test_files_survive_stop_and_start_and_a_kernel_runs(stack, student1):
    marker = uuid.uuid4().hex
    assert student1.put_file("persist.txt", marker).status_code in (200, 201)
    kernel = student1.kernel()
    assert kernel.execute("1+1").strip() == "2"
    kernel.close()
    student1.stop_server()
    student1.start_server()
    r = student1.get_file("persist.txt")
    assert r.status_code == 200 and r.json()["content"] == marker


def test_another_student_cannot_open_student1s_server(stack, student1):
    other = HubClient(stack.url)
    other.login("student2", stack.password)
    # The API refuses outright; a page sends the browser to the hub's OAuth authorisation,
    # which refuses student2 for student1's server.
    r = other.s.get(f"{stack.url}/user/student1/api/contents", timeout=30,
                    allow_redirects=True)
    assert r.status_code == 403, (r.status_code, r.url, r.text[:300])
    assert "persist.txt" not in r.text
    r = other.s.get(f"{stack.url}/user/student1/lab", timeout=30, allow_redirects=True)
    assert r.status_code == 403, (r.status_code, r.url, r.text[:300])
    assert "/hub/api/oauth2/authorize" in r.url, r.url
    assert "persist.txt" not in r.text
    r = other.api("GET", "/users/student1")
    assert r.status_code in (403, 404)


@pytest.fixture(scope="module")
def five_servers(stack, student1) -> dict[str, HubClient]:
    """student1's server and four more, started at once."""
    clients = {"student1": student1}
    for user in ("student2", "student3", "student4", "student5"):
        clients[user] = HubClient(stack.url)
        clients[user].login(user, stack.password, next_url="/hub/home")
        clients[user].request_server()
    for client in clients.values():
        client.finish_start()
    return clients


def test_hub_restart_keeps_servers_and_open_websockets(stack, five_servers):
    student1 = five_servers["student1"]
    containers = {u: stack.inspect(stack.container_name(u))["Id"] for u in five_servers}
    kernel = student1.kernel()
    assert kernel.execute("x = 41; x + 1").strip() == "42"
    stack.compose("restart", "hub")
    stack.wait_healthy()
    # The websocket went through the proxy, not the hub: it is still open, the kernel alive.
    assert kernel.execute("x + 2").strip() == "43"
    kernel.close()
    # All five servers still run, in the same containers, and nobody was logged out: each
    # client's cookies from before the restart still open its server and the hub's API.
    for user, client in five_servers.items():
        info = stack.inspect(stack.container_name(user))
        assert info["Id"] == containers[user] and info["State"]["Running"], user
        assert client.open_server("api/status").status_code == 200, user
        me = client.api("GET", "/user")
        assert me.status_code == 200 and me.json()["name"] == user, (user, me.text)
        assert me.json()["servers"][""]["ready"], user
    # and a new login works once the hub is back
    fresh = HubClient(stack.url)
    fresh.login("student6", stack.password, next_url="/hub/home")
    assert fresh.logged_in()


SECRETS = ("cookie_secret", "proxy_token", "ngshare_token", "course_admin_token")


def test_a_restarted_proxy_gets_the_routes_back_without_a_hub_restart(stack, student1):
    """Routes live in the proxy's memory: a proxy restart (a crash under its restart policy, a
    deploy that recreates it) loses every student's route. The running hub notices within
    seconds (hub/proxy_watch.py: a marker route it asks for every 2 s) and puts them back at
    once: the student's server answers again within 10 s of the proxy's container running
    again (JupyterHub alone waits for its next route check, 60 s here, 300 s by default)."""
    hub = f"{stack.name}_hub_1"
    hub_started = stack.inspect(hub)["State"]["StartedAt"]
    assert student1.open_server("api/status").status_code == 200
    stack.compose("restart", "proxy")
    restarted = time.monotonic()
    while True:
        try:  # the server's own answer; without its route the proxy sends the hub's redirect
            r = student1.s.get(f"{student1.server_url}/api/status", allow_redirects=False,
                               timeout=5)
            if r.status_code == 200:
                break
        except requests.RequestException:
            pass
        assert time.monotonic() - restarted < 10, "student1's route did not come back in 10 s"
        time.sleep(0.25)
    print(f"route back {time.monotonic() - restarted:.1f} s after the proxy restart")
    assert stack.inspect(hub)["State"]["StartedAt"] == hub_started  # no hub restart needed


def test_secrets_are_mode_600_and_persist_across_restarts(stack, student1):
    hub = f"{stack.name}_hub_1"
    before = {name: stack.secret(name) for name in SECRETS}
    modes = stack.exec(hub, "stat", "-c", "%a %n",
                       *(f"/secrets/{name}" for name in SECRETS)).stdout.split("\n")
    assert all(line.startswith("600 ") for line in modes if line)
    stack.compose("up", "-d")  # the init step runs again and must keep the secrets
    stack.compose("restart", "proxy")  # it reads its token again; routes live in its memory
    stack.compose("restart", "hub")  # its start puts the routes back, with the same token
    stack.wait_healthy()
    assert {name: stack.secret(name) for name in SECRETS} == before
    # the same secrets in use: the session from before still works, the proxy still routes
    deadline = time.monotonic() + 60
    while student1.open_server("api/status").status_code != 200:
        assert time.monotonic() < deadline, "student1's route did not come back"
        time.sleep(2)
    assert student1.api("GET", "/user").json()["name"] == "student1"
