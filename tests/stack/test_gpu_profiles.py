"""GPU profiles through the real hub, on a machine without a GPU.

A stack of its own whose course file declares two GPUs (the inventory's course-file source:
this machine has no NVML) and three profiles: CPU (default), a shared GPU with one place on
GPU 0, and a whole GPU on GPU 1 for staff only. What can be checked without a GPU is checked
through the hub: the options form per group, the refusals and their messages, the device
request Docker receives, and `make gpu-check`'s verdicts. Starting a container with a GPU
device request needs the NVIDIA runtime, which this machine lacks: that start fails, and the
tests assert that it fails with a message saying so.
"""

from __future__ import annotations

import os
import re

import pytest
import yaml
from dockercheck import require_docker
from hubclient import HubClient
from stackctl import LABEL_STACK, course_copy, new_stack, run, serve

pytestmark = pytest.mark.docker

GPU0, GPU1 = "GPU-00000000-0000-0000-0000-00000000test", "GPU-11111111-1111-1111-1111-11111111test"
PROFILES = [
    {
        "slug": "cpu",
        "display_name": "CPU (2 cores, 4 GB)",
        "cpu": 2,
        "memory": "4G",
        "pids": 1024,
        "default": True,
    },
    {
        "slug": "gpu-shared",
        "display_name": "Shared GPU",
        "cpu": 2,
        "memory": "6G",
        "pids": 2048,
        "gpu": {"mode": "shared", "students_per_gpu": 1, "gpus": [0]},
    },
    {
        "slug": "gpu-full",
        "display_name": "Full GPU (projects)",
        "cpu": 2,
        "memory": "8G",
        "gpu": {"mode": "exclusive", "gpus": [1]},
        "groups": ["staff"],
    },
]


@pytest.fixture(scope="module")
def gpu_stack(any_failed, tmp_path_factory):
    require_docker()
    # No dash after the base name: the session stack's clean-up removes volumes "<name>-*".
    s = new_stack(os.environ.get("TEST_STACK_NAME", "ctest") + "gpu")
    s.course_dir = course_copy(tmp_path_factory.mktemp("gpu-course"))
    course = yaml.safe_load((s.course_dir / "course.yml").read_text())
    course["profiles"] = PROFILES
    course["gpus"] = [{"index": 0, "uuid": GPU0}, {"index": 1, "uuid": GPU1}]
    (s.course_dir / "course.yml").write_text(yaml.safe_dump(course, sort_keys=False))
    with serve(s, failed=any_failed):
        yield s


def logged_in(stack, username: str) -> HubClient:
    client = HubClient(stack.url)
    client.login(username, stack.password)
    assert client.logged_in()
    return client


def spawn(client: HubClient, profile: str):
    return client.api(
        "POST", f"/users/{client.username}/server", json={"profile": profile}, timeout=120
    )


def test_the_form_offers_only_the_profiles_a_group_may_use(gpu_stack):
    student = logged_in(gpu_stack, "student1").s.get(f"{gpu_stack.url}/hub/spawn", timeout=60)
    assert student.ok, student.text
    assert "CPU (2 cores, 4 GB)" in student.text and "Shared GPU" in student.text
    assert "Full GPU (projects)" not in student.text
    staff = logged_in(gpu_stack, "ta1").s.get(f"{gpu_stack.url}/hub/spawn", timeout=60)
    assert "Full GPU (projects)" in staff.text and "Shared GPU" in staff.text


def test_a_profile_of_another_group_is_refused_with_its_reason(gpu_stack):
    client = logged_in(gpu_stack, "student2")
    # Through the form (as a browser posts it) and through the REST API (no form at all).
    form = client.s.post(
        f"{gpu_stack.url}/hub/spawn/student2",
        data={"profile": "gpu-full"},
        headers={"Referer": f"{gpu_stack.url}/hub/spawn", **client._hub_xsrf()},
        timeout=60,
    )
    assert form.status_code == 403
    assert "Full GPU (projects)" in form.text and "is only for staff" in form.text, form.text[
        -2000:
    ]
    api = spawn(client, "gpu-full")
    assert api.status_code == 403, api.text
    assert "Full GPU (projects)" in api.json()["message"]
    assert not run(
        "docker", "ps", "-aq", "--filter", f"name={gpu_stack.container_name('student2')}"
    ).stdout.strip()


def test_a_full_profile_is_refused_naming_what_is_free(gpu_stack):
    # Another student's server holding the shared GPU's only place: a created container with
    # the slot's labels, as the spawner writes them (the allocator's whole state).
    holder = f"{gpu_stack.name}-holder"
    run(
        "docker",
        "create",
        "--name",
        holder,
        "--label",
        f"{LABEL_STACK}={gpu_stack.name}",
        "--label",
        "course.gpu.profile=gpu-shared",
        "--label",
        "course.gpu.mode=shared",
        "--label",
        f"course.gpu.devices={GPU0}",
        "--label",
        "course.user=student9",
        "--label",
        "course.server=",
        "course-base:bookworm",
        "true",
    )
    try:
        r = spawn(logged_in(gpu_stack, "student3"), "gpu-shared")
        assert r.status_code == 409, r.text
        message = r.json()["message"]
        assert 'The profile "Shared GPU" is full (1 of 1 places in use)' in message
        assert '"CPU (2 cores, 4 GB)"' in message and "Full GPU" not in message
    finally:
        run("docker", "rm", "-f", holder, check=False)


def test_a_gpu_server_gets_exactly_its_gpu_and_says_why_it_cannot_start_here(gpu_stack):
    client = logged_in(gpu_stack, "student4")
    r = spawn(client, "gpu-shared")
    # The hub created the container with the device request, then Docker could not start it:
    # this machine has no NVIDIA runtime. The failure reaches the student, not a hang.
    assert r.status_code >= 400 or _spawn_failed(client), r.text
    logs = gpu_stack.compose("logs", "--no-color", "hub").stdout
    assert re.search(r"student4 gets shared " + GPU0, logs), logs[-3000:]
    assert 'could not select device driver "nvidia"' in logs, logs[-3000:]


def _spawn_failed(client: HubClient) -> bool:
    user = client.api("GET", f"/users/{client.username}").json()
    return not user["servers"]


def test_gpu_check_gives_each_gpu_profile_a_verdict(gpu_stack):
    result = gpu_stack.exec(
        f"{gpu_stack.name}_hub_1", "python", "-m", "hub.gpu.check", "--timeout", "60", check=False
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "GPU inventory from course file: 2 GPU(s)" in out, out
    assert re.search(rf"FAIL gpu-shared \(Shared GPU\) on {GPU0}: Docker could not start", out), out
    assert re.search(
        rf"FAIL gpu-full \(Full GPU \(projects\)\) on {GPU1}: Docker could not", out
    ), out
    assert "NVIDIA container toolkit" in out
    assert "gpu-check: 0 passed, 2 failed, 0 skipped (every slot in use) of 2 GPU profiles" in out
    leftovers = run("docker", "ps", "-aq", "--filter", "label=course.user=gpu-check").stdout
    assert not leftovers.strip(), "the check's containers must be removed"
