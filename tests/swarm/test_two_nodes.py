"""Two swarm nodes: a student's GPU server is placed on the second node, and their home is the
same when their next server runs on the first.

Node 1 is this machine's engine (the manager; the hub runs here). Node 2 is a second Docker
engine in a container (tests/swarm/node: Debian's docker.io, vfs storage, its own network
namespace) that joins the swarm over the Docker bridge; the overlay network spans both. What
stands in, and why:
- `--privileged` is refused by this machine's engine (CAP_SYS_RESOURCE is not in its bounding
  set), so node 2 gets every other capability, no seccomp/AppArmor filter and a writable
  cgroup tree, and its containers go under a cgroup parent of their own;
- the student image (7 GB) would take far too long to load into a vfs engine, so this stack's
  servers run a small stand-in (tests/swarm/standin: the hub image plus jupyter-server, the
  single-user server without JupyterLab or a kernel): the contents API is what is used here;
- the shared folder is a host folder bind-mounted into node 2 at the same path, standing in
  for the NFS mount (this kernel has no NFS client; docs/scale-out.md).
Node 2 is labelled with one made-up GPU; node 1 has no GPU label, so GPU servers can only go
to node 2. Pausing node 2 (as an admin drains a node) sends the next server to node 1.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

import pytest
import requests
import yaml
from dockercheck import require_docker
from hubclient import HubClient
from stackctl import course_copy, free_port, run, serve
from swarmctl import SwarmStack, single_node_swarm

from hub.gpu.nodes import LABEL_NODE, LABEL_NODE_GPUS

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
NODE_IMAGE = "swarmtest-node:bookworm"
STANDIN = "course-student:swarmstandin"
GPU = "GPU-2b2b2b2b-0000-0000-0000-0000000node2"
PROFILES = [
    {"slug": "cpu", "display_name": "CPU", "cpu": 1, "memory": "1G", "default": True},
    {"slug": "gpu-shared", "display_name": "Shared GPU", "cpu": 1, "memory": "1G",
     "gpu": {"mode": "shared", "students_per_gpu": 2}},
]
# Every capability but CAP_SYS_RESOURCE, which this engine cannot grant (so no --privileged).
CAPS = """CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE
SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_TIME SYS_TTY_CONFIG
MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM
BLOCK_SUSPEND AUDIT_READ""".split()


def bridge_gateway() -> str:
    out = run("docker", "network", "inspect", "bridge",
              "--format", "{{range .IPAM.Config}}{{.Gateway}}{{end}}").stdout.strip()
    return out or "172.17.0.1"


def build(tag: str, folder: Path, **args: str) -> None:
    cmd = ["docker", "build", "-q", "-t", tag]
    for key, value in args.items():
        cmd += ["--build-arg", f"{key}={value}"]
    done = run(*cmd, str(folder), check=False)
    assert done.returncode == 0, f"building {tag}: {done.stdout[-2000:]}{done.stderr[-2000:]}"


def node2_docker(name: str, *args: str, check: bool = True, **kw):
    return run("docker", "exec", name, "docker", *args, check=check, **kw)


def remove_node2(name: str) -> None:
    node2_docker(name, "swarm", "leave", "--force", check=False)
    run("docker", "rm", "-f", "-v", name, check=False)
    # the nested engine's cgroups (empty once its containers are gone)
    for controller in Path("/sys/fs/cgroup").glob(f"*/{name}"):
        for folder in sorted(controller.rglob("*"), reverse=True) + [controller]:
            if folder.is_dir():
                try:
                    folder.rmdir()
                except OSError:
                    pass


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("shared2")
    folder.chmod(0o755)
    (folder / "labs.git").mkdir()
    (folder / "grading").mkdir()  # as make deploy makes it: the notebook user's
    os.chown(folder / "grading", 1000, 1000)
    return folder


@pytest.fixture(scope="module")
def two_nodes(shared):
    """(manager node id, node 2's id, node 2's container name) in a two-node swarm."""
    require_docker()
    tag = os.environ.get("IMAGE_TAG", "latest")
    build(NODE_IMAGE, HERE / "node")
    build(STANDIN, HERE / "standin", HUB_IMAGE=f"course-hub:{tag}")
    name = os.environ.get("TEST_STACK_NAME", "ctest") + "swarm2-node2"
    with single_node_swarm(advertise=bridge_gateway()) as manager:
        address = run("docker", "info", "--format", "{{.Swarm.NodeAddr}}").stdout.strip()
        assert not address.startswith("127."), (
            f"this engine is already in a swarm advertised at {address}, which another engine "
            "cannot reach; leave it (docker swarm leave --force) if it is a leftover")
        remove_node2(name)
        caps = [arg for cap in CAPS for arg in ("--cap-add", cap)]
        run("docker", "run", "-d", "--name", name, "--hostname", name, *caps,
            "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
            "--cgroupns", "host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
            "--tmpfs", "/run", "--tmpfs", "/var/run", "-v", f"{shared}:{shared}",
            NODE_IMAGE, "dockerd", "--storage-driver=vfs", f"--cgroup-parent=/{name}")
        node2 = None
        try:
            deadline = time.monotonic() + 60
            while node2_docker(name, "info", check=False).returncode != 0:
                assert time.monotonic() < deadline, run("docker", "logs", name).stderr[-3000:]
                time.sleep(1)
            saved = run("bash", "-c", f"docker save {STANDIN} | docker exec -i {name} docker load",
                        check=False, timeout=900)
            assert saved.returncode == 0, saved.stderr[-2000:]
            token = run("docker", "swarm", "join-token", "-q", "worker").stdout.strip()
            node2_docker(name, "swarm", "join", "--token", token, f"{address}:2377")
            node2 = node2_docker(name, "info", "--format", "{{.Swarm.NodeID}}").stdout.strip()
            run("docker", "node", "update", "--label-add",
                f"{LABEL_NODE_GPUS}={json.dumps([{'index': 0, 'uuid': GPU}])}", node2)
            yield manager, node2, name
        finally:
            remove_node2(name)
            if node2:
                run("docker", "node", "rm", "--force", node2, check=False)


@pytest.fixture(scope="module")
def stack2(two_nodes, shared, any_failed, tmp_path_factory):
    name = os.environ.get("TEST_STACK_NAME", "ctest") + "swarm2"
    s = SwarmStack(name=name, port=free_port(), password=secrets.token_urlsafe(12))
    s.course_dir = course_copy(tmp_path_factory.mktemp("swarm2-course"))
    course = yaml.safe_load((s.course_dir / "course.yml").read_text())
    course["profiles"] = PROFILES
    course["images"] = {"student": STANDIN, "allowed": []}
    (s.course_dir / "course.yml").write_text(yaml.safe_dump(course, sort_keys=False))
    s.shared_dir = shared
    # The course data folder is on the first node only here; the nfs role shares it.
    s.extra_env = {"COURSE_DATA_DIR": ""}
    with serve(s, failed=any_failed):
        yield s


def contents(client: HubClient, method: str, path: str, **kw):
    token = client.new_token("two-nodes")
    return requests.request(method, f"{client.server_url}/api/contents/{path}",
                            headers={"Authorization": f"token {token}"}, timeout=60, **kw)


def task_node(stack, username: str) -> str:
    return run("docker", "service", "ps", stack.container_name(username),
               "--filter", "desired-state=running", "--format", "{{.Node}}").stdout.strip()


def test_a_gpu_server_runs_on_node_2_and_the_home_follows_to_node_1(stack2, two_nodes, shared):
    _, node2, node2_name = two_nodes
    client = HubClient(stack2.url)
    client.login("student1", stack2.password, next_url="/hub/home")
    assert client.logged_in()
    client.start_server(timeout=600, options={"profile": "gpu-shared"})
    spec = stack2.service("student1")["Spec"]
    assert spec["Labels"][LABEL_NODE] == node2
    assert spec["TaskTemplate"]["Placement"]["Constraints"] == [f"node.id=={node2}"]
    assert task_node(stack2, "student1") == node2_name
    # The hub and the proxy (node 1) reach the server on node 2 over the overlay network.
    # The stand-in has no JupyterLab page to hand out an XSRF cookie: a token of the
    # student's own authenticates the contents API instead.
    r = contents(client, "PUT", "from-node2.txt",
                 json={"type": "file", "format": "text", "content": "written on node 2\n"})
    assert r.status_code in (200, 201), r.text
    assert (shared / "homes/student1/from-node2.txt").read_text() == "written on node 2\n"
    client.stop_server()

    # An admin pauses node 2 (docs/scale-out.md: draining): the next server goes to node 1.
    run("docker", "node", "update", "--availability", "pause", node2)
    try:
        client.start_server(timeout=300, options={"profile": "cpu"})
        manager_host = run("docker", "info", "--format", "{{.Name}}").stdout.strip()
        assert task_node(stack2, "student1") == manager_host
        r = contents(client, "GET", "from-node2.txt?content=1")
        assert r.json()["content"] == "written on node 2\n", r.text
        # A GPU server has nowhere to go while the only GPU node is paused.
        client.stop_server()
        r = client.api("POST", "/users/student1/server", json={"profile": "gpu-shared"})
        assert r.status_code == 409 and "has no GPU" in r.json()["message"], r.text
    finally:
        run("docker", "node", "update", "--availability", "active", node2, check=False)
