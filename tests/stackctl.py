"""Bring a throw-away copy of the course stack up and down for tests.

Each test stack has its own compose project, volume prefix and container prefix, so it never
touches a demo or a deployment on the same machine, and it removes everything it made.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import socket
import subprocess
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
LABEL_STACK = "org.course.stack"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(
    *cmd: str, check: bool = True, env: dict | None = None, **kw
) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd, check=check, text=True, capture_output=True, env={**os.environ, **(env or {})}, **kw
    )


@dataclasses.dataclass
class Stack:
    name: str
    port: int
    password: str
    course_dir: Path = ROOT

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            "STACK_NAME": self.name,
            "HTTP_PORT": str(self.port),
            "DEMO_PASSWORD": self.password,
            "CONTAINER_PREFIX": f"{self.name}-jupyter",
            "COURSE_DIR": str(Path(self.course_dir).resolve()),
            "IMAGE_TAG": os.environ.get("IMAGE_TAG", "latest"),
        }

    def compose(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return run(
            "docker-compose", "-p", self.name, "-f", str(ROOT / "compose.yml"), *args,
            check=check, env=self.env,
        )

    def container_name(self, username: str) -> str:
        return f"{self.name}-jupyter-{username}"

    # -- lifecycle ----------------------------------------------------------------------

    def up(self, timeout: float = 180) -> None:
        self.down()  # leftovers of an earlier, interrupted run of the same name
        self.compose("up", "-d")
        self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/hub/health", timeout=5).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise TimeoutError(f"hub of stack {self.name} not healthy after {timeout}s")

    def student_containers(self) -> list[str]:
        out = run("docker", "ps", "-aq", "--filter", f"label={LABEL_STACK}={self.name}").stdout
        return out.split()

    def down(self) -> None:
        ids = self.student_containers()
        if ids:
            run("docker", "rm", "-f", *ids, check=False)
        self.compose("down", "-v", "--remove-orphans", check=False)
        vols = run("docker", "volume", "ls", "-q", "--filter", f"name=^{self.name}-").stdout.split()
        if vols:
            run("docker", "volume", "rm", "-f", *vols, check=False)

    # -- diagnostics --------------------------------------------------------------------

    def logs(self) -> str:
        parts = [self.compose("logs", "--no-color", "--tail=300", check=False).stdout]
        for cid in self.student_containers():
            name = run("docker", "inspect", "-f", "{{.Name}}", cid, check=False).stdout.strip()
            log = run("docker", "logs", "--tail=100", cid, check=False)
            parts.append(f"==== student container {name} ====\n{log.stdout}{log.stderr}")
        return "\n".join(parts)

    def inspect(self, container: str) -> dict:
        return json.loads(run("docker", "inspect", container).stdout)[0]

    def exec(self, container: str, *cmd: str, user: str | None = None, check: bool = True,
             env: dict | None = None, workdir: str | None = None) -> subprocess.CompletedProcess:
        args = ["docker", "exec"]
        if user:
            args += ["-u", user]
        if workdir:
            args += ["-w", workdir]
        for k, v in (env or {}).items():
            args += ["-e", f"{k}={v}"]
        return run(*args, container, *cmd, check=check)

    def secret(self, name: str) -> str:
        return self.exec(f"{self.name}_hub_1", "cat", f"/secrets/{name}").stdout.strip()


def new_stack(name: str) -> Stack:
    return Stack(name=name, port=free_port(), password=secrets.token_urlsafe(12))
