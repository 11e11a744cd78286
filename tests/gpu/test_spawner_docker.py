"""CourseSpawner against the real Docker engine, with a two-GPU inventory from the course file.

DockerSpawner's own code creates the container (create_object, then start). Creating a
container with a GPU device request works without a GPU; starting it needs the NVIDIA runtime,
which this machine lacks, so the start fails. The test inspects the created container just
before that start (what Docker recorded is what the NVIDIA runtime would receive), then asserts
that the start failure names the missing driver and leaves no container holding the slot.
"""

from __future__ import annotations

import asyncio
import secrets
from types import SimpleNamespace

import docker
import pytest
from dockercheck import require_docker

from hub import gpu
from hub.course import load_course, memory_bytes
from hub.spawner import LABEL_STACK, CourseSpawner

from .builders import ROOT, plain_gpus, profile

pytestmark = pytest.mark.docker

IMAGE = "course-student:latest"
SHARED = profile("shared", "shared", students_per_gpu=1).model_copy(
    update={"cpu": 3.0, "memory": "6G", "pids": 777}
)
CPU = profile("cpu")


class Spawner(CourseSpawner):
    def get_env(self):
        return {}  # the hub's environment (API token, URLs) is not under test here

    async def get_command(self):
        return ["jupyterhub-singleuser"]

    async def start_object(self):
        # What Docker recorded at creation, read just before the start that fails here
        # (DockerSpawner removes the container after a failed start).
        self.created = await self.docker("inspect_container", self.container_id)
        return await super().start_object()


@pytest.fixture
def engine(monkeypatch):
    require_docker()
    stack = f"gpuit{secrets.token_hex(3)}"
    course = load_course(ROOT / "course.yml").model_copy(update={"profiles": [CPU, SHARED]})
    monkeypatch.setattr(CourseSpawner, "_course", course)
    monkeypatch.setattr(CourseSpawner, "_inventory", gpu.Inventory(tuple(plain_gpus(2)), "test"))
    monkeypatch.setattr(CourseSpawner, "_gpu_lock", asyncio.Lock())
    client = docker.from_env()
    yield stack, client
    for c in client.containers.list(all=True, filters={"label": f"{LABEL_STACK}={stack}"}):
        c.remove(force=True)
    for v in client.volumes.list(filters={"name": stack}):
        v.remove(force=True)


def spawner(stack: str, name: str) -> Spawner:
    owner = SimpleNamespace(name=name, groups=[SimpleNamespace(name="students")])
    s = Spawner(
        user=owner,
        orm_spawner=None,
        image=IMAGE,
        allowed_images=[IMAGE],
        stack=stack,
        volume_prefix=stack,
        name_template=f"{stack}-{{username}}",
        remove=True,
    )
    s.user_options = {"profile": "shared"}
    return s


def test_created_container_carries_the_chosen_gpu_and_the_limits(engine):
    stack, client = engine
    # Someone already holds GPU 0's only shared place: the allocator must pick GPU 1.
    client.containers.create(
        "course-base:bookworm",
        "true",
        name=f"{stack}-holder",
        labels={LABEL_STACK: stack, **gpu.Slot("shared", "shared", ("GPU-0",)).labels("x")},
    )
    s = spawner(stack, "ann")
    with pytest.raises(docker.errors.APIError) as failed:
        asyncio.run(s.start())
    # This machine has no NVIDIA runtime: the start is refused, naming the driver.
    assert 'could not select device driver "nvidia"' in str(failed.value)

    host = s.created["HostConfig"]
    assert host["DeviceRequests"] == [
        {
            "Driver": "nvidia",
            "Count": 0,
            "DeviceIDs": ["GPU-1"],
            "Capabilities": [["gpu"]],
            "Options": {},
        }
    ]
    assert host["NanoCpus"] == 3 * 10**9 or host["CpuQuota"] == 300_000
    assert host["Memory"] == memory_bytes("6G")
    assert host["PidsLimit"] == 777
    assert host["CapDrop"] == ["ALL"]
    assert host["SecurityOpt"] == ["no-new-privileges:true"]
    labels = s.created["Config"]["Labels"]
    assert labels[gpu.LABEL_DEVICES] == "GPU-1" and labels[gpu.LABEL_USER] == "ann"
    # The failed start gives the slot back: no container of ann's is left to hold GPU 1.
    assert not client.containers.list(all=True, filters={"name": f"{stack}-ann"})


def test_a_cpu_server_gets_no_device_request(engine):
    stack, client = engine
    s = spawner(stack, "bob")
    s.user_options = {"profile": "cpu"}
    s._configure(CPU, gpu.Slot("cpu", "none"))
    asyncio.run(s.create_object())
    host = client.api.inspect_container(f"{stack}-bob")["HostConfig"]
    assert not host["DeviceRequests"]
    assert host["PidsLimit"] == CPU.pids and host["Memory"] == memory_bytes(CPU.memory)
