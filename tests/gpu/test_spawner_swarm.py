"""CourseSwarmSpawner's placement and service spec, without a hub or a swarm.

Docker is a small fake holding the nodes (the API's shape) and the services the spawner
creates, so placement reads the labels the spawner itself wrote. The real swarm is exercised
by tests/swarm/test_swarm_stack.py.
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

from hub import gpu
from hub.course import load_course
from hub.gpu.nodes import LABEL_NODE, LABEL_NODE_GPUS
from hub.spawner import LABEL_STACK, CourseSpawner
from hub.swarm import CourseSwarmSpawner

from .builders import ROOT, profile

IMAGE = "course-student:latest"
SHARED = profile("shared", "shared", students_per_gpu=1).model_copy(
    update={"cpu": 3.0, "memory": "6G", "pids": 777})
CPU = profile("cpu").model_copy(update={"pids": 333})


def node(node_id: str, hostname: str, uuids: list[str]) -> dict:
    gpus = [{"index": i, "uuid": u} for i, u in enumerate(uuids)]
    return {"ID": node_id, "Description": {"Hostname": hostname},
            "Spec": {"Availability": "active", "Labels": {LABEL_NODE_GPUS: json.dumps(gpus)}},
            "Status": {"State": "ready"}}


class FakeSwarm:
    def __init__(self, nodes):
        self.nodes, self.services = nodes, []

    async def call(self, method, *args, **kwargs):
        await asyncio.sleep(0)
        if method == "inspect_service":
            return {"ID": "s0"}
        if method == "nodes":
            return self.nodes
        if method == "services":
            key, _, value = kwargs["filters"]["label"].partition("=")
            return [s for s in self.services if s["Spec"]["Labels"].get(key) == value]
        if method == "create_service":
            self.services.append({"ID": f"s{len(self.services)}", "Spec": {
                "Name": kwargs["name"], "Labels": kwargs["labels"],
                "TaskTemplate": kwargs["task_template"]}})
            return {"ID": self.services[-1]["ID"]}
        if method == "tasks":
            return [{"Status": {"State": "running"}, "NetworksAttachments": [
                {"Network": {"Spec": {"Name": "ingress"}}, "Addresses": ["10.0.0.9/24"]},
                {"Network": {"Spec": {"Name": "t-net"}}, "Addresses": ["10.0.1.7/24"]}]}]
        raise AssertionError(f"unexpected Docker call {method}")


class Spawner(CourseSwarmSpawner):
    fake: FakeSwarm

    async def docker(self, method, *args, **kwargs):
        return await self.fake.call(method, *args, **kwargs)

    def get_env(self):
        return dict(self.environment)

    async def get_command(self):
        return ["jupyterhub-singleuser"]


@pytest.fixture(autouse=True)
def sample_course(monkeypatch):
    monkeypatch.setattr(CourseSpawner, "_course", load_course(ROOT / "course.yml"))


def spawner(fake, name, shared_dir, groups=("students",)) -> Spawner:
    owner = SimpleNamespace(name=name, groups=[SimpleNamespace(name=g) for g in groups])
    s = Spawner(user=owner, orm_spawner=None, image=IMAGE, allowed_images=[IMAGE], stack="t",
                shared_dir=str(shared_dir), network_name="t-net")
    s.volumes = {f"{shared_dir}/homes/{{username}}": "/home/jovyan",
                 f"{shared_dir}/labs.git": {"bind": "/srv/labs.git", "mode": "ro"}}
    s.fake = fake
    return s


async def spawn(s, profile_):
    slot = await s.allocate_slot(profile_, [profile_])
    s._configure(profile_, slot)
    await s.create_object()
    return s.fake.services[-1]["Spec"]


def test_a_gpu_service_is_pinned_to_its_node_with_that_nodes_device(tmp_path, monkeypatch):
    monkeypatch.setattr("os.chown", lambda *a: None)  # the test runs unprivileged too
    fake = FakeSwarm([node("n1", "gpu1", ["GPU-a"]), node("n2", "gpu2", ["GPU-b"])])
    first = asyncio.run(spawn(spawner(fake, "ann", tmp_path), SHARED))
    second = asyncio.run(spawn(spawner(fake, "bob", tmp_path), SHARED))
    placed = {}
    for spec in (first, second):
        task = spec["TaskTemplate"]
        env = dict(e.split("=", 1) for e in task["ContainerSpec"]["Env"])
        [constraint] = task["Placement"]["Constraints"]
        placed[spec["Labels"][LABEL_NODE]] = (constraint, env["NVIDIA_VISIBLE_DEVICES"])
        assert spec["Labels"][LABEL_STACK] == "t"
        assert task["ContainerSpec"]["Labels"] == spec["Labels"]
        assert task["Resources"]["Limits"] == {
            "NanoCPUs": 3_000_000_000, "MemoryBytes": 6 * 1024**3, "Pids": 777}
        assert task["ContainerSpec"]["CapabilityDrop"] == ["ALL"]
        assert task["RestartPolicy"]["Condition"] == "none"
        assert task["Networks"] == [{"Target": "t-net"}]
    assert placed == {"n1": ("node.id==n1", "GPU-a"), "n2": ("node.id==n2", "GPU-b")}
    with pytest.raises(gpu.NoGpuSlot, match=r"full \(2 of 2"):
        asyncio.run(spawn(spawner(fake, "cat", tmp_path), SHARED))


def test_a_cpu_service_has_no_constraint_no_gpu_and_its_home_is_made(tmp_path, monkeypatch):
    owners = []
    monkeypatch.setattr("os.chown", lambda path, uid, gid: owners.append((str(path), uid, gid)))
    fake = FakeSwarm([node("n1", "gpu1", ["GPU-a"])])
    s = spawner(fake, "ann", tmp_path)
    spec = asyncio.run(spawn(s, CPU))
    task = spec["TaskTemplate"]
    assert not (task.get("Placement") or {}).get("Constraints")
    env = dict(e.split("=", 1) for e in task["ContainerSpec"]["Env"])
    assert env["NVIDIA_VISIBLE_DEVICES"] == "void" and "NVIDIA_DRIVER_CAPABILITIES" not in env
    assert LABEL_NODE not in spec["Labels"]
    mounts = {m["Target"]: m for m in task["ContainerSpec"]["Mounts"]}
    assert mounts["/home/jovyan"]["Source"] == f"{tmp_path}/homes/ann"
    assert mounts["/srv/labs.git"]["ReadOnly"] is True
    # the missing home was created for uid 1000; the read-only labs folder was not touched
    assert (tmp_path / "homes" / "ann").is_dir()
    assert owners == [(f"{tmp_path}/homes/ann", 1000, 1000)]


def test_the_hub_reaches_the_task_by_its_address_on_the_stack_network(tmp_path):
    s = spawner(FakeSwarm([]), "ann", tmp_path)
    assert asyncio.run(s.get_ip_and_port()) == ("10.0.1.7", 8888)
