"""The swarm spawner for real: a single-node Docker Swarm on this machine, the course stack with
compose.swarm.yml, students' servers as swarm services.

What is real: the swarm, the services and their tasks, the overlay network between the hub and
the servers, the hub, the proxy, the login, JupyterLab and a kernel. What stands in:
- the node's GPU inventory is a label with a made-up GPU (this machine has none); a GPU
  server's task starts under runc, which ignores NVIDIA_VISIBLE_DEVICES, so the test checks
  what the NVIDIA runtime would receive (the service's environment and placement);
- the shared folder is a local folder, not an NFS mount (this kernel has no NFS client:
  /proc/filesystems lists no nfs). The hub and the servers see it at the same path, as every
  node would see the NFS mount. The two-node case is in docs/scale-out.md.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil

import pytest
import yaml
from dockercheck import require_docker
from hubclient import HubClient
from stackctl import ROOT, course_cli, course_copy, free_port, run, serve
from swarmctl import SwarmStack, node_label, single_node_swarm

from hub.gpu.nodes import LABEL_NODE, LABEL_NODE_GPUS

pytestmark = pytest.mark.docker

GPU0 = "GPU-5a5a5a5a-0000-0000-0000-00000swarm0"
PROFILES = [
    {"slug": "cpu", "display_name": "CPU (2 cores, 4 GB)", "cpu": 2, "memory": "4G",
     "pids": 1024, "default": True},
    {"slug": "gpu-shared", "display_name": "Shared GPU", "cpu": 1, "memory": "3G", "pids": 2048,
     "gpu": {"mode": "shared", "students_per_gpu": 1}},
]


@pytest.fixture(scope="module")
def swarm_node():
    require_docker()
    with single_node_swarm() as node:
        inventory = [{"index": 0, "uuid": GPU0, "memory_mib": 16384, "mig": []}]
        with node_label(node, LABEL_NODE_GPUS, json.dumps(inventory)):
            yield node


@pytest.fixture(scope="module")
def sstack(swarm_node, any_failed, tmp_path_factory):
    name = os.environ.get("TEST_STACK_NAME", "ctest") + "swarm"
    s = SwarmStack(name=name, port=free_port(), password=secrets.token_urlsafe(12))
    s.course_dir = course_copy(tmp_path_factory.mktemp("swarm-course"))
    course = yaml.safe_load((s.course_dir / "course.yml").read_text())
    course["profiles"] = PROFILES
    (s.course_dir / "course.yml").write_text(yaml.safe_dump(course, sort_keys=False))
    s.shared_dir = tmp_path_factory.mktemp("shared")
    s.shared_dir.chmod(0o755)
    (s.shared_dir / "labs.git").mkdir()
    (s.shared_dir / "grading").mkdir()  # as make deploy makes it: the notebook user's
    os.chown(s.shared_dir / "grading", 1000, 1000)
    with serve(s, failed=any_failed):
        yield s


def logged_in(stack, username: str) -> HubClient:
    client = HubClient(stack.url)
    client.login(username, stack.password, next_url="/hub/home")
    assert client.logged_in(), f"{username} could not log in"
    return client


def mounts(service: dict) -> dict[str, dict]:
    return {m["Target"]: m for m in service["Spec"]["TaskTemplate"]["ContainerSpec"]["Mounts"]}


def env(service: dict) -> dict[str, str]:
    pairs = service["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    return dict(p.split("=", 1) for p in pairs)


@pytest.fixture(scope="module")
def student(sstack):
    client = logged_in(sstack, "student1")
    client.start_server()
    return client


def test_the_server_is_a_service_with_the_profile_limits_mounts_and_no_gpu(sstack, student):
    service = sstack.service("student1")
    task = service["Spec"]["TaskTemplate"]
    limits = task["Resources"]["Limits"]
    assert limits == {"NanoCPUs": 2_000_000_000, "MemoryBytes": 4 * 1024**3, "Pids": 1024}
    assert task["ContainerSpec"]["CapabilityDrop"] == ["ALL"]
    assert task["RestartPolicy"]["Condition"] == "none"
    # A CPU server goes where the scheduler puts it: no node constraint.
    assert not (task.get("Placement") or {}).get("Constraints")
    assert env(service)["NVIDIA_VISIBLE_DEVICES"] == "void"
    assert service["Spec"]["Labels"]["course.gpu.mode"] == "none"
    m = mounts(service)
    home = m["/home/jovyan"]
    assert (home["Type"], home["Source"]) == ("bind", f"{sstack.shared_dir}/homes/student1")
    assert not home.get("ReadOnly")
    labs = m["/srv/labs.git"]
    assert (labs["Type"], labs["Source"], labs["ReadOnly"]) == (
        "bind", f"{sstack.shared_dir}/labs.git", True)
    assert m["/srv/course-data"]["ReadOnly"] is True
    # Students never get the grading folder nor the course folder (solutions).
    assert "/home/jovyan/grading" not in m and "/srv/course" not in m
    net = run("docker", "network", "inspect", "-f", "{{.Id}}", f"{sstack.name}-net").stdout.strip()
    assert [n["Target"] for n in task["Networks"]] == [net]
    assert service["Spec"]["EndpointSpec"]["Mode"] == "dnsrr"
    # The hub created the new home on the shared folder, owned by the notebook user.
    stat = os.stat(sstack.shared_dir / "homes" / "student1")
    assert (stat.st_uid, stat.st_gid) == (1000, 1000)


def test_the_server_works_contents_and_a_kernel(sstack, student):
    r = student.put_file("hello.txt", "from the swarm\n")
    assert r.status_code in (200, 201), r.text
    assert student.get_file("hello.txt").json()["content"] == "from the swarm\n"
    kernel = student.kernel()
    try:
        assert kernel.execute("import os; print(os.getuid(), 6 * 7)").strip() == "1000 42"
    finally:
        kernel.close()
    # The file is on the shared folder, where any node would see it.
    assert (sstack.shared_dir / "homes/student1/hello.txt").read_text() == "from the swarm\n"
    container = sstack.task_container("student1")
    assert container, "no running task container of student1's service"
    pids = run("docker", "inspect", "-f", "{{.HostConfig.PidsLimit}}", container).stdout
    assert pids.strip() == "1024"


def test_a_file_persists_across_stop_and_start(sstack, student):
    student.put_file("keep.txt", "still here\n").raise_for_status()
    student.stop_server()
    assert sstack.container_name("student1") not in run(
        "docker", "service", "ls", "--format", "{{.Name}}").stdout.split()
    student.start_server()
    assert student.get_file("keep.txt").json()["content"] == "still here\n"


def test_a_gpu_server_is_pinned_to_a_node_with_a_free_slot_and_its_device(sstack, swarm_node):
    client = logged_in(sstack, "student2")
    client.start_server(options={"profile": "gpu-shared"})
    service = sstack.service("student2")
    task = service["Spec"]["TaskTemplate"]
    assert task["Placement"]["Constraints"] == [f"node.id=={swarm_node}"]
    assert env(service)["NVIDIA_VISIBLE_DEVICES"] == GPU0
    assert env(service)["NVIDIA_DRIVER_CAPABILITIES"] == "compute,utility"
    labels = service["Spec"]["Labels"]
    assert labels[LABEL_NODE] == swarm_node
    assert (labels["course.gpu.mode"], labels["course.gpu.devices"]) == ("shared", GPU0)
    assert task["Resources"]["Limits"]["Pids"] == 2048
    # The node's only place is taken: the next student is refused, naming what is free.
    other = logged_in(sstack, "student3")
    r = other.api("POST", "/users/student3/server", json={"profile": "gpu-shared"}, timeout=120)
    assert r.status_code == 409, r.text
    message = r.json()["message"]
    assert 'The profile "Shared GPU" is full (1 of 1 places in use)' in message
    assert '"CPU (2 cores, 4 GB)"' in message
    assert sstack.container_name("student3") not in run(
        "docker", "service", "ls", "--format", "{{.Name}}").stdout.split()
    # Stopping gives the place back.
    client.stop_server()
    other.start_server(options={"profile": "gpu-shared"})
    assert env(sstack.service("student3"))["NVIDIA_VISIBLE_DEVICES"] == GPU0
    other.stop_server()


def test_staff_get_the_shared_grading_folder(sstack):
    ta = logged_in(sstack, "ta1")
    ta.start_server()
    m = mounts(sstack.service("ta1"))
    grading = m["/home/jovyan/grading"]
    assert (grading["Type"], grading["Source"]) == ("bind", f"{sstack.shared_dir}/grading")
    assert (sstack.shared_dir / "grading").stat().st_uid == 1000
    ta.put_file("grading/note.txt", "staff only\n").raise_for_status()
    assert (sstack.shared_dir / "grading/note.txt").exists()
    ta.stop_server()


def test_course_commands_work_in_the_staff_servers_grading_folder(sstack):
    """`course release` runs in a staff-tools container that mounts the stack's grading
    volume; with the swarm spawner that volume is the shared folder's grading/, the folder
    staff's servers bind on any node (it once was a separate volume: formgrader never saw it)."""
    shutil.copytree(  # the sources next to course.yml, as in the repository
        ROOT / "assignments" / "source" / "A1",
        sstack.course_dir / "assignments" / "source" / "A1",
        ignore=shutil.ignore_patterns(".ipynb_checkpoints"),
    )
    course_cli(sstack, "release", "A1")
    assert (sstack.shared_dir / "grading/release/A1/A1.ipynb").is_file()
    assert (sstack.shared_dir / "grading/note.txt").exists()  # the same folder, not a copy
