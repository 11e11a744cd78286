"""Student containers, hardened: asserted by `docker inspect` and from inside the container.

What test_stack.py already checks for student1 (uid 1000, the profile's CPU/memory/pids values,
no-new-privileges, CapDrop ALL, home and labs mounts) is not repeated; this module adds what a
student's own code sees and can reach. docs/security.md explains each decision.

Users: student7 and student8 (two running servers), student9 (image refusals), instructor
(the staff mounts).
"""

from __future__ import annotations

import json

import pytest
import yaml
from hostile import tried
from hubclient import HubClient
from inside import default_gateway, listening, probe

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def servers(stack) -> dict[str, HubClient]:
    clients = {}
    for user in ("student7", "student8", "instructor"):
        client = HubClient(stack.url)
        client.login(user, stack.password, next_url="/hub/home")
        client.request_server()
        clients[user] = client
    for client in clients.values():  # all three spawn at once
        client.finish_start()
    return clients


def student_image(stack) -> str:
    return yaml.safe_load((stack.course_dir / "course.yml").read_text())["images"]["student"]


# -- docker inspect -------------------------------------------------------------------------------


def test_a_student_container_gets_nothing_beyond_its_limits(stack, servers):
    info = stack.inspect(stack.container_name("student7"))
    host = info["HostConfig"]
    assert host["Privileged"] is False
    assert not host["CapAdd"]
    assert host["CapDrop"] == ["ALL"]
    assert "no-new-privileges:true" in host["SecurityOpt"]
    # no host namespaces, devices or published ports; on the stack's network only
    assert host["PidMode"] in ("", "private") and host["IpcMode"] != "host"
    assert host["UsernsMode"] == "" and host["UTSMode"] == ""
    assert not host["Devices"] and not host["DeviceRequests"]  # the cpu profile: no GPU
    assert not host["PortBindings"] and not info["NetworkSettings"]["Ports"].get("8888/tcp")
    assert host["NetworkMode"] == f"{stack.name}-net"
    # limits exist (their values per profile: test_stack.py)
    assert host["Memory"] > 0 and host["PidsLimit"] > 0 and (host["NanoCpus"] or host["CpuQuota"])
    # the hub re-creates servers: no restart policy of their own (see test_faults.py)
    assert host["RestartPolicy"]["Name"] in ("", "no")


def test_a_student_sees_only_their_home_the_labs_and_the_data_read_only(stack, servers):
    info = stack.inspect(stack.container_name("student7"))
    mounts = {m["Destination"]: m for m in info["Mounts"]}
    data = str((stack.course_dir / "data").resolve())
    assert set(mounts) == {"/home/jovyan", "/srv/labs.git", "/srv/course-data"}, mounts
    assert mounts["/home/jovyan"]["Type"] == "volume" and mounts["/home/jovyan"]["RW"]
    assert mounts["/home/jovyan"]["Name"] == f"{stack.name}-home-student7"
    assert mounts["/srv/labs.git"]["Type"] == "volume" and not mounts["/srv/labs.git"]["RW"]
    # the only host path: the course's data folder, read-only
    binds = [m for m in info["Mounts"] if m["Type"] == "bind"]
    assert [(m["Source"], m["RW"]) for m in binds] == [(data, False)]


def test_staff_also_get_the_grading_volume_and_the_course_folder_read_only(stack, servers):
    info = stack.inspect(stack.container_name("instructor"))
    mounts = {m["Destination"]: m for m in info["Mounts"]}
    assert set(mounts) == {
        "/home/jovyan",
        "/srv/labs.git",
        "/srv/course-data",
        "/home/jovyan/grading",
        "/srv/course",
    }, mounts
    assert mounts["/home/jovyan/grading"]["Name"] == f"{stack.name}-grading"
    assert mounts["/home/jovyan/grading"]["RW"]
    course = mounts["/srv/course"]
    assert course["Type"] == "bind" and not course["RW"]
    assert course["Source"] == str(stack.course_dir.resolve())
    assert not mounts["/srv/course-data"]["RW"]
    assert info["HostConfig"]["CapDrop"] == ["ALL"]


# -- from inside a student container --------------------------------------------------------------


def test_inside_no_capability_no_way_to_gain_one_and_the_limits_hold(stack, servers):
    container = stack.container_name("student7")
    status = dict(
        line.split(":\t", 1)
        for line in stack.exec(container, "cat", "/proc/self/status").stdout.splitlines()
        if ":\t" in line
    )
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(status[cap], 16) == 0, (cap, status[cap])
    assert status["NoNewPrivs"].strip() == "1"
    assert status["Seccomp"].strip() == "2"  # Docker's default seccomp filter
    # setuid binaries exist in the image, but no-new-privileges makes them powerless
    su = stack.exec(container, "bash", "-c", "su -c id root </dev/null", check=False)
    assert su.returncode != 0
    setuid = stack.exec(container, "python", "-c", "import os; os.setuid(0)", check=False)
    assert "PermissionError" in setuid.stderr
    # read-only: the data folder, the labs repository, the system
    for path in ("/srv/course-data/x", "/srv/labs.git/x", "/usr/x", "/etc/x"):
        wrote = stack.exec(container, "touch", path, check=False)
        assert wrote.returncode != 0, path
    # the cgroup limits, as the kernel enforces them (cgroup v2 or v1)
    pids = stack.exec(
        container,
        "bash",
        "-c",
        "cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max",
    ).stdout.strip()
    memory = stack.exec(
        container,
        "bash",
        "-c",
        "cat /sys/fs/cgroup/memory.max 2>/dev/null || "
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes",
    ).stdout.strip()
    info = stack.inspect(container)["HostConfig"]
    assert int(pids) == info["PidsLimit"]
    assert int(memory) == info["Memory"]


def test_inside_no_docker_api(stack, servers):
    container = stack.container_name("student7")
    sockets = stack.exec(
        container,
        "bash",
        "-c",
        "ls /var/run/docker.sock /run/docker.sock /run/containerd 2>&1; "
        "printenv DOCKER_HOST || true",
        check=False,
    ).stdout
    assert sockets.count("No such file or directory") == 3, sockets
    gateway = default_gateway(stack, container)
    cases = [("tcp", gateway, port) for port in (2375, 2376)]
    cases += [("tcp", "hub", port) for port in (2375, 2376)]
    tried("inside: docker API", len(cases) + 3)
    results = probe(stack, container, cases)
    assert all(r in ("refused", "timeout") for r in results), list(zip(cases, results, strict=True))


def test_inside_another_students_server_wants_its_own_credentials(stack, servers):
    """Students share the stack's network, so student8's server is reachable from student7's
    container; what protects it is its authentication (docs/security.md)."""
    container = stack.container_name("student7")
    other = f"http://{stack.container_name('student8')}:8888/user/student8"
    cases = [
        ("http", "GET", f"{other}/lab"),
        ("http", "GET", f"{other}/api/contents"),
        ("http", "GET", f"{other}/api/contents", "token"),  # student7's own token
        ("http", "POST", f"{other}/api/kernels", "token", "{}"),
        ("http", "POST", f"{other}/api/terminals", None, "{}"),
        ("http", "GET", f"{other}/files/.bashrc"),
        ("http", "GET", f"{other}/git-pull?repo=file:///srv/labs.git", "token"),
    ]
    results = probe(stack, container, cases)
    tried("inside: another student's server", len(cases))
    login = results[0]
    assert login["status"] == 302 and "/hub/api/oauth2/authorize" in login["location"], login
    for case, r in zip(cases[1:], results[1:], strict=True):
        assert r["status"] in (302, 403), (case, r)
        if r["status"] == 302:
            assert "/hub/" in r["location"], (case, r)
        assert "jovyan" not in r["body"] and "kernel" not in r["body"].lower(), (case, r)


def test_inside_kernels_listen_on_loopback_only(stack, servers):
    kernel = servers["student8"].kernel()
    try:
        assert kernel.execute("1 + 1").strip() == "2"
        sockets = listening(stack, stack.container_name("student8"))
    finally:
        kernel.close()
    open_to_network = {
        s
        for s in sockets
        if not s.startswith("127.") and not s.startswith("00000000000000000000000001000000:")
    }
    assert open_to_network == {"0.0.0.0:8888"}, sockets


def test_inside_the_hubs_api_gives_a_student_token_only_its_own_user(stack, servers):
    container = stack.container_name("student7")
    hub = "http://hub:8081/hub/api"
    refused = [
        ("GET", "/users"),
        ("GET", "/users/student8"),
        ("POST", "/users/student8/server"),
        ("DELETE", "/users/student8/server"),
        ("POST", "/users/student8/tokens"),
        ("GET", "/users/student8/tokens"),
        ("POST", "/users/mallory"),
        ("PATCH", "/users/student7"),  # e.g. {"admin": true}
        ("DELETE", "/users/student8"),
        ("GET", "/groups"),
        ("POST", "/groups/staff/users"),
        ("GET", "/proxy"),
        ("POST", "/proxy"),
        ("GET", "/services"),
        ("POST", "/shutdown"),
        ("POST", "/users/student8/activity"),
    ]
    bodies = {"PATCH": json.dumps({"admin": True}), "POST": json.dumps({"users": ["student7"]})}
    cases = [("http", m, f"{hub}{p}", "token", bodies.get(m)) for m, p in refused]
    cases.append(("http", "GET", f"{hub}/user", "token"))  # positive control: itself
    results = probe(stack, container, cases)
    tried("inside: hub API with a student's server token", len(refused))
    for (method, path), r in zip(refused, results[:-1], strict=True):
        # 404 where the hub hides whether the resource exists
        assert r["status"] in (403, 404), (method, path, r)
    me = json.loads(results[-1]["body"])
    assert results[-1]["status"] == 200 and me["name"] == "student7" and not me["admin"]
    # nothing changed: still not admin, not staff
    check = probe(stack, container, [("http", "GET", f"{hub}/user", "token")])[0]
    assert json.loads(check["body"])["groups"] == me["groups"]
    assert "staff" not in me["groups"]


def test_inside_the_proxys_api_refuses_without_its_token(stack, servers):
    container = stack.container_name("student7")
    api = "http://proxy:8001/api/routes"
    cases = [
        ("http", "GET", api),
        ("http", "GET", api, "token"),
        (
            "http",
            "POST",
            f"{api}/user/student8",
            "token",
            json.dumps({"target": "http://evil:8888"}),
        ),
        ("http", "DELETE", f"{api}/user/student8"),
    ]
    results = probe(stack, container, cases)
    tried("inside: proxy API", len(cases))
    assert [r["status"] for r in results] == [403] * len(cases), results
    # student8's route still goes to student8's server
    assert servers["student8"].open_server("api/status").status_code == 200


NGSHARE_STAFF = [
    ("POST", "course/evil101"),
    ("DELETE", "course/dl101"),
    ("POST", "instructor/dl101/student7"),
    ("DELETE", "instructor/dl101/instructor"),
    ("POST", "student/dl101/mallory"),
    ("DELETE", "student/dl101/student8"),
    ("GET", "student/dl101/student8"),
    ("GET", "students/dl101"),
    ("POST", "students/dl101"),
    ("POST", "assignment/dl101/X1"),
    ("DELETE", "assignment/dl101/A1"),
    ("GET", "submissions/dl101/A1"),
    ("GET", "submissions/dl101/A1/student8"),
    ("GET", "submission/dl101/A1/student8"),
    ("POST", "feedback/dl101/A1/student8"),
    ("GET", "feedback/dl101/A1/student8"),
    ("GET", "initialize-Data6ase?action=dump"),
    ("GET", "initialize-Data6ase?action=clear"),
]


def test_inside_ngshare_direct_refuses_a_student_token_on_staff_endpoints(stack, servers):
    """Straight to ngshare's port, past the proxy (test_assignments.py checks four of these
    through the proxy)."""
    container = stack.container_name("student7")
    base = "http://ngshare:10101/services/ngshare"
    cases = [
        ("http", m, f"{base}/{p}", "token", "" if m == "POST" else None) for m, p in NGSHARE_STAFF
    ]
    cases.append(("http", "GET", f"{base}/courses", "token"))  # positive control
    results = probe(stack, container, cases)
    tried("inside: ngshare staff/admin endpoints with a student token", len(NGSHARE_STAFF))
    for (method, path), r in zip(NGSHARE_STAFF, results[:-1], strict=True):
        assert r["status"] == 403, (method, path, r)
    assert results[-1]["status"] == 200 and "dl101" in results[-1]["body"]


# -- images ---------------------------------------------------------------------------------------


def test_only_allowed_images_run_and_a_refusal_does_not_stick(stack):
    client = HubClient(stack.url)
    client.login("student9", stack.password, next_url="/hub/home")
    image = student_image(stack)
    tag = image.rsplit(":", 1)[-1]
    attempts = [
        {"image": f"course-hub:{tag}"},
        {"user_options": {"image": "alpine:latest"}},
        {"image": "course-student"},
        {"image": f"{image}@sha256:{'0' * 64}"},
    ]
    for body in attempts:
        r = client.api("POST", "/users/student9/server", json=body)
        assert r.status_code == 400 and "not in allowed list" in r.json()["message"], (body, r.text)
        ps = stack.student_containers()
        names = {stack.inspect(c)["Name"].lstrip("/") for c in ps}
        assert stack.container_name("student9") not in names
    tried("images: refused through the REST API", len(attempts))
    # the refused option is forgotten: a plain start (the home page's button) works
    client.start_server()
    try:
        assert stack.inspect(stack.container_name("student9"))["Config"]["Image"] == image
    finally:
        client.stop_server()
