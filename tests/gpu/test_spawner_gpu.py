"""CourseSpawner's GPU side, without a hub or a Docker engine.

The spawner is built with a stand-in user (name, groups). Docker is a small fake that keeps
the created containers, so allocation reads the labels the spawner itself wrote; the host
config goes through docker-py's real `create_host_config`, as DockerSpawner sends it.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import docker
import dockerspawner
import pytest
from tornado import web

from hub import gpu
from hub.course import load_course, memory_bytes
from hub.spawner import LABEL_STACK, CourseSpawner

from .builders import ROOT, mig_gpu, plain_gpus, profile

IMAGE = "course-student:latest"
SHARED = profile("shared", "shared", students_per_gpu=2).model_copy(
    update={"cpu": 4.0, "memory": "16G", "pids": 2048}
)
MIG = profile("mig", "mig", mig_profile="1g.10gb").model_copy(update={"cpu": 3.0, "pids": 512})
CPU = profile("cpu")


def user(name: str, *groups: str):
    return SimpleNamespace(name=name, groups=[SimpleNamespace(name=g) for g in groups])


class FakeDocker:
    """The Docker calls the spawner makes: list containers, create one."""

    def __init__(self):
        self.containers: list[dict] = []

    async def call(self, method, *args, **kwargs):
        await asyncio.sleep(0)  # a real call yields to the loop: let spawns interleave
        if method == "containers":
            wanted = kwargs["filters"]["label"]
            key, _, value = wanted.partition("=")
            return [c for c in self.containers if c["Labels"].get(key) == value]
        if method == "create_container":
            self.containers.append(
                {"Id": f"c{len(self.containers)}", "State": "created", **kwargs,
                 "Labels": kwargs["labels"]}
            )
            return {"Id": self.containers[-1]["Id"]}
        raise AssertionError(f"unexpected Docker call {method}")


class Spawner(CourseSpawner):
    _client = docker.APIClient(version="1.41")  # builds host configs; never connects
    fake: FakeDocker

    async def docker(self, method, *args, **kwargs):
        return await self.fake.call(method, *args, **kwargs)

    def get_env(self):
        return {}  # the hub's environment (API token, URLs) is not under test here

    async def get_command(self):
        return ["jupyterhub-singleuser"]


@pytest.fixture(autouse=True)
def sample_course(monkeypatch):
    """The sample course file, as the hub would load it from /srv/course."""
    monkeypatch.setattr(CourseSpawner, "_course", load_course(ROOT / "course.yml"))


def spawner(fake: FakeDocker, owner, server: str = "", options=None) -> Spawner:
    # The server's name comes from its database row (orm_spawner.name), "" when there is none.
    row = SimpleNamespace(name=server, server=None) if server else None
    s = Spawner(user=owner, orm_spawner=row, image=IMAGE, allowed_images=[IMAGE], stack="t")
    s.fake = fake
    s.user_options = options or {}
    return s


def request_of(s: CourseSpawner) -> dict:
    [request] = s.extra_host_config["device_requests"]
    return dict(request)


def test_configure_gives_exactly_the_chosen_gpu_and_the_profile_limits():
    s = spawner(FakeDocker(), user("ann", "students"))
    slot = gpu.allocate(SHARED, plain_gpus(2), [])
    s._configure(SHARED, slot)
    assert request_of(s) == {
        "Driver": "nvidia",
        "Count": 0,  # never "count: all" or 1: that would give everyone GPU 0
        "DeviceIDs": ["GPU-0"],
        "Capabilities": [["gpu"]],
        "Options": {},
    }
    assert s.cpu_limit == 4.0
    assert s.mem_limit == memory_bytes("16G") == 16 * 1024**3
    assert s.extra_host_config["pids_limit"] == 2048
    assert s.extra_host_config["cap_drop"] == ["ALL"]
    assert s.extra_create_kwargs["labels"] == {
        LABEL_STACK: "t",
        gpu.LABEL_USER: "ann",
        gpu.LABEL_SERVER: "",
        gpu.LABEL_PROFILE: "shared",
        gpu.LABEL_MODE: "shared",
        gpu.LABEL_DEVICES: "GPU-0",
    }
    assert s.environment["COURSE_PROFILE"] == "shared"


def test_configure_mig_slot_names_the_mig_instance_and_the_server():
    s = spawner(FakeDocker(), user("bob", "students"), server="gpu")
    slot = gpu.allocate(MIG, [mig_gpu(0, 2)], [])
    s._configure(MIG, slot)
    assert request_of(s)["DeviceIDs"] == ["MIG-0-0"]
    assert request_of(s)["Capabilities"] == [["gpu"]]
    assert s.cpu_limit == 3.0 and s.extra_host_config["pids_limit"] == 512
    labels = s.extra_create_kwargs["labels"]
    assert labels[gpu.LABEL_SERVER] == "gpu" and labels[gpu.LABEL_DEVICES] == "MIG-0-0"


def test_a_cpu_restart_drops_the_previous_gpu_request():
    s = spawner(FakeDocker(), user("ann", "students"))
    s._configure(SHARED, gpu.allocate(SHARED, plain_gpus(1), []))
    s._configure(CPU, gpu.Slot("cpu", "none"))
    assert "device_requests" not in s.extra_host_config
    assert s.extra_create_kwargs["labels"][gpu.LABEL_DEVICES] == ""
    assert s.mem_limit == memory_bytes("4G")


def test_host_config_sent_to_docker_carries_the_request_and_limits():
    fake = FakeDocker()
    s = spawner(fake, user("ann", "students"))
    s._configure(SHARED, gpu.Slot("shared", "shared", ("GPU-1",)))
    asyncio.run(s.create_object())
    [created] = fake.containers
    host = created["host_config"]
    assert host["DeviceRequests"] == [{
        "Driver": "nvidia", "Count": 0, "DeviceIDs": ["GPU-1"],
        "Capabilities": [["gpu"]], "Options": {},
    }]
    assert host["CpuQuota"] == 400_000 and host["CpuPeriod"] == 100_000
    assert host["Memory"] == 16 * 1024**3
    assert host["PidsLimit"] == 2048
    assert created["labels"][gpu.LABEL_DEVICES] == "GPU-1"
    assert created["labels"][LABEL_STACK] == "t"


# -- start(): allocation under the lock, from the labels of the containers it created --------


@pytest.fixture
def hub_state(monkeypatch):
    """The course's profiles and a two-GPU inventory, a fresh lock, a stubbed container start."""
    course = load_course(ROOT / "course.yml").model_copy(update={"profiles": [CPU, SHARED]})
    monkeypatch.setattr(CourseSpawner, "_course", course)
    monkeypatch.setattr(CourseSpawner, "_inventory", gpu.Inventory(tuple(plain_gpus(2)), "test"))
    monkeypatch.setattr(CourseSpawner, "_gpu_lock", asyncio.Lock())

    async def start(self):  # DockerSpawner.start, reduced to creating the container
        await asyncio.sleep(0)
        await self.create_object()
        return ("127.0.0.1", 8888)

    monkeypatch.setattr(dockerspawner.DockerSpawner, "start", start)
    return FakeDocker()


def test_concurrent_starts_never_share_beyond_capacity(hub_state):
    fake = hub_state
    owners = [user(f"s{i}", "students") for i in range(5)]
    spawners = [spawner(fake, u, options={"profile": "shared"}) for u in owners]

    async def all_start():
        return await asyncio.gather(*(s.start() for s in spawners), return_exceptions=True)

    results = asyncio.run(all_start())
    refused = [r for r in results if isinstance(r, web.HTTPError)]
    assert len(refused) == 1 and refused[0].status_code == 409
    assert 'The profile "Shared GPU" is full (4 of 4 places in use)' in refused[0].log_message
    devices = sorted(c["labels"][gpu.LABEL_DEVICES] for c in fake.containers)
    assert devices == ["GPU-0", "GPU-0", "GPU-1", "GPU-1"], "two per GPU, never three"
    for s in spawners:
        if s.extra_create_kwargs:
            ids = request_of(s)["DeviceIDs"]
            assert ids == [s.extra_create_kwargs["labels"][gpu.LABEL_DEVICES]]


def test_start_rechecks_the_profile_from_the_rest_api(hub_state):
    s = spawner(hub_state, user("ann", "students"), options={"profile": "no-such-profile"})
    with pytest.raises(web.HTTPError) as err:
        asyncio.run(s.start())
    assert err.value.status_code == 403
    assert hub_state.containers == []
