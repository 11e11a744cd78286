"""CourseSwarmSpawner: the course's servers as Docker Swarm services, over several GPU nodes.

The same profiles, limits, volumes and GPU allocation as CourseSpawner (one host), with:
- placement: a GPU server gets a node with a free slot (`hub.gpu.nodes.place`, node labels)
  and the constraint `node.id==<that node>`; a CPU server goes where the scheduler puts it;
- devices: swarm services have no device requests, so the exact GPU or MIG UUIDs go in
  NVIDIA_VISIBLE_DEVICES, read by the NVIDIA runtime, which is the GPU nodes' default runtime
  (docs/scale-out.md says why not swarm's generic resources); CPU servers get `void`;
- homes and shared folders: host paths under one shared folder (NFS, mounted at the same
  path on every node), so a student's home is the same on whichever node they land; the hub
  creates a missing home there, owned by the notebook user;
- the single-host hardening that services can express: every capability dropped, the pids
  limit, CPU and memory limits, no-new-privileges where the engine supports it for services,
  no restart (a stopped server stays stopped, as with remove).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from docker.types import (
    ContainerSpec,
    EndpointSpec,
    Mount,
    Placement,
    Resources,
    RestartPolicy,
    TaskTemplate,
)
from dockerspawner import SwarmSpawner
from traitlets import Unicode

from hub import gpu
from hub.course import Profile
from hub.gpu.nodes import LABEL_NODE, Node, nodes_from_api, place
from hub.spawner import LABEL_STACK, CourseSpawner

NB_UID = 1000  # the student image's notebook user (images/student/Dockerfile)
# The NVIDIA runtime's "no GPU at all" (not even the driver's libraries): CPU servers.
NO_GPU = "void"


def swarm_mounts(binds: dict[str, dict]) -> list[Mount]:
    """Service mounts from DockerSpawner's volume binds: an absolute source is a host path
    (bind), anything else a named volume (SwarmSpawner makes every mount a bind)."""
    return [
        Mount(
            target=bind["bind"],
            source=source,
            type="bind" if source.startswith("/") else "volume",
            read_only=bind.get("mode") == "ro",
        )
        for source, bind in sorted(binds.items())
    ]


class CourseSwarmSpawner(CourseSpawner, SwarmSpawner):
    shared_dir = Unicode(
        "",
        config=True,
        help="folder shared by every node (NFS) at the same path; homes are created below it",
    )

    _node: Node | None = None  # where allocate_slot placed this server (None: anywhere)

    async def _service_labels(self) -> list[dict]:
        services = await self.docker("services", filters={"label": f"{LABEL_STACK}={self.stack}"})
        return [s["Spec"].get("Labels") or {} for s in services]

    async def allocate_slot(self, profile: Profile, allowed: list[Profile]) -> gpu.Slot:
        # Services hold their slot from creation until the hub removes them (stop, cull):
        # a pending task holds it too, like a "created" container on one host.
        nodes = nodes_from_api(await self.docker("nodes"))
        node, slot = place(profile, nodes, await self._service_labels(), allowed)
        self._node = node
        if node is not None:
            self.log.info("%s goes to swarm node %s", self.user.name, node.hostname)
        return slot

    def _configure(self, profile: Profile, slot: gpu.Slot) -> None:
        super()._configure(profile, slot)
        labels = dict(self.extra_create_kwargs["labels"])
        if self._node is not None:
            labels[LABEL_NODE] = self._node.id
        self.extra_create_kwargs = {"labels": labels}
        self.environment = {
            **self.environment,
            "NVIDIA_VISIBLE_DEVICES": ",".join(slot.devices) or NO_GPU,
            **({"NVIDIA_DRIVER_CAPABILITIES": "compute,utility"} if slot.devices else {}),
        }
        self._pids = profile.pids

    async def start(self):
        self._node = None  # a CPU server (no allocation) must not keep an old placement
        return await super().start()

    def _ensure_shared_folders(self) -> None:
        """Create this server's missing writable folders under the shared folder (a new
        student's home), owned by the notebook user: a bind mount needs an existing source."""
        if not self.shared_dir:
            return
        root = Path(self.shared_dir)
        for source, bind in self.volume_binds.items():
            path = Path(source)
            if bind.get("mode") == "ro" or root not in path.parents or path.exists():
                continue
            path.mkdir(parents=True, mode=0o755)
            os.chown(path, NB_UID, NB_UID)

    async def create_object(self):
        await asyncio.get_running_loop().run_in_executor(None, self._ensure_shared_folders)
        labels = self.extra_create_kwargs.get("labels", {})
        container = ContainerSpec(
            image=self.image,
            env=self.get_env(),
            args=await self.get_command(),
            mounts=swarm_mounts(self.volume_binds),
            labels=labels,  # on the task's container too: the GPU culler reads those
            cap_drop=["ALL"],
        )
        # no-new-privileges: a field of newer engines' service API (Privileges.NoNewPrivileges);
        # Docker 20.10 ignores it, which docs/scale-out.md lists among the differences.
        container["Privileges"] = {"NoNewPrivileges": True}
        resources = Resources(
            cpu_limit=int(self.cpu_limit * 1e9) if self.cpu_limit else None,
            mem_limit=self.mem_limit,
        )
        resources.setdefault("Limits", {})["Pids"] = self._pids  # API 1.41 (Docker 20.10)
        constraints = [f"node.id=={self._node.id}"] if self._node is not None else None
        task = TaskTemplate(
            container_spec=container,
            resources=resources,
            restart_policy=RestartPolicy(condition="none"),
            networks=[self.network_name] if self.network_name else [],
            placement=Placement(constraints=constraints),
        )
        service = await self.docker(
            "create_service",
            task_template=task,
            # DNS round robin: the service's name resolves to its one task's address. A
            # virtual IP would add a load balancer (IPVS) for a single task, and kernels
            # without IPVS (this project's test machine) cannot reach the server through it.
            endpoint_spec=EndpointSpec(mode="dnsrr"),
            name=self.service_name,
            labels=labels,
        )
        while not await self.docker("tasks", filters={"service": self.service_name}):
            await asyncio.sleep(1)
        return service

    async def get_ip_and_port(self):
        """The running task's own address on the stack's network, not the service's name: a
        stopped server's task lingers for its stop grace period, and right after a restart
        the name may still resolve to that old task."""
        task = await self.get_task()
        for attachment in (task or {}).get("NetworksAttachments", []):
            spec = attachment["Network"]["Spec"]
            if spec.get("Name") == self.network_name and attachment.get("Addresses"):
                return attachment["Addresses"][0].split("/")[0], self.port
        raise RuntimeError(
            f"service {self.service_name} has no address on network {self.network_name}"
        )

    async def start_object(self):
        """Wait until the task runs; a task that cannot start fails the spawn at once, with
        the reason swarm gave (a missing mount, an image absent on that node)."""
        delay = 1.0
        while True:
            task = await self.get_task()
            if not task:
                raise RuntimeError(f"service {self.service_name} not found")
            status = task["Status"]
            state = status["State"].lower()
            if state == "running":
                return
            if state in {"rejected", "failed", "complete", "shutdown", "orphaned"}:
                raise RuntimeError(
                    f"service {self.service_name} did not start ({state}): "
                    f"{status.get('Err') or status.get('Message', '')}"
                )
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 5)
