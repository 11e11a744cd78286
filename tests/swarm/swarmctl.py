"""A single-node Docker Swarm on this machine's engine, and the course stack with the swarm
spawner on it (compose.yml + compose.swarm.yml).

The engine is shared: the swarm is initialised only when the engine is in none, and left only
by whoever initialised it, so neither another engineer's swarm nor a leftover one is touched or
left behind. Node labels this run adds are removed again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from pathlib import Path

from stackctl import LABEL_STACK, ROOT, Stack, run


def swarm_state() -> str:
    return run("docker", "info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip()


@contextlib.contextmanager
def single_node_swarm(advertise: str = "127.0.0.1"):
    """Yield this engine's node id, in a swarm (initialised here if the engine had none,
    advertised at `advertise`: other engines reach a manager there)."""
    state = swarm_state()
    initialised = False
    if state == "inactive":
        run("docker", "swarm", "init", "--advertise-addr", advertise)
        initialised = True
    elif state != "active":
        raise RuntimeError(f"the engine's swarm is {state!r}; expected inactive or active")
    try:
        yield run("docker", "info", "--format", "{{.Swarm.NodeID}}").stdout.strip()
    finally:
        if initialised:
            run("docker", "swarm", "leave", "--force", check=False)


@contextlib.contextmanager
def node_label(node: str, key: str, value: str):
    run("docker", "node", "update", "--label-add", f"{key}={value}", node)
    try:
        yield
    finally:
        run("docker", "node", "update", "--label-rm", key, node, check=False)


@dataclasses.dataclass
class SwarmStack(Stack):
    shared_dir: Path = Path("/nonexistent")

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "SHARED_DIR": str(self.shared_dir)}

    def compose(self, *args: str, check: bool = True):
        return run(
            "docker-compose", "-p", self.name,
            "-f", str(ROOT / "compose.yml"), "-f", str(ROOT / "compose.swarm.yml"),
            *args, check=check, env=self.env,
        )

    def services(self) -> list[str]:
        out = run("docker", "service", "ls", "-q", "--filter", f"label={LABEL_STACK}={self.name}")
        return out.stdout.split()

    def service(self, username: str) -> dict:
        out = run("docker", "service", "inspect", self.container_name(username)).stdout
        return json.loads(out)[0]

    def task_container(self, username: str) -> str:
        """The id of the running container of the user's service (on this node)."""
        return run(
            "docker", "ps", "-q",
            "--filter", f"label=com.docker.swarm.service.name={self.container_name(username)}",
        ).stdout.strip()

    def down(self) -> None:
        for sid in self.services():
            run("docker", "service", "rm", sid, check=False)
        # The tasks' containers go a moment later; the network cannot go before them.
        deadline = time.monotonic() + 60
        while self.student_containers() and time.monotonic() < deadline:
            time.sleep(1)
        super().down()

    def logs(self) -> str:
        parts = [super().logs()]
        for sid in self.services():
            ps = run("docker", "service", "ps", "--no-trunc", sid, check=False)
            log = run("docker", "service", "logs", "--tail=100", sid, check=False)
            parts.append(f"==== service {sid} ====\n{ps.stdout}\n{log.stdout}{log.stderr}")
        return "\n".join(parts)
