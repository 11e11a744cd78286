"""Bring a throw-away copy of the course stack up and down for tests.

Each test stack has its own compose project, volume prefix and container prefix, so it never
touches a demo or a deployment on the same machine, and it removes everything it made.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
LABEL_STACK = "org.course.stack"
RESULTS = ROOT / "test-results"


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
    extra_env: dict[str, str] = dataclasses.field(default_factory=dict)
    # One origin per user (hub/origins.py): the hub at hub.localhost, each user's server at
    # <user>.hub.localhost; `*.localhost` is loopback (RFC 6761, resolve_localhost_names).
    subdomains: bool = False

    @property
    def url(self) -> str:
        host = "hub.localhost" if self.subdomains else "127.0.0.1"
        return f"http://{host}:{self.port}"

    def service_url(self, name: str) -> str:
        """A hub service's public URL: on its own origin, too, with subdomains."""
        host = f"{name}--service.hub.localhost" if self.subdomains else "127.0.0.1"
        return f"http://{host}:{self.port}/services/{name}"

    @property
    def env(self) -> dict[str, str]:
        data = Path(self.course_dir).resolve() / "data"
        return {
            "STACK_NAME": self.name,
            "HTTP_PORT": str(self.port),
            "DEMO_PASSWORD": self.password,
            "CONTAINER_PREFIX": f"{self.name}-jupyter",
            "COURSE_DIR": str(Path(self.course_dir).resolve()),
            # the shared data sets folder, read-only in every server (course_copy makes one)
            "COURSE_DATA_DIR": str(data) if data.is_dir() else "",
            "IMAGE_TAG": os.environ.get("IMAGE_TAG", "latest"),
            "SUBDOMAIN_HOST": self.url if self.subdomains else "",
            **self.extra_env,
        }

    def compose(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return run(
            "docker-compose",
            "-p",
            self.name,
            "-f",
            str(ROOT / "compose.yml"),
            *args,
            check=check,
            env=self.env,
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

    def exec(
        self,
        container: str,
        *cmd: str,
        user: str | None = None,
        check: bool = True,
        env: dict | None = None,
        workdir: str | None = None,
    ) -> subprocess.CompletedProcess:
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


def new_stack(name: str, subdomains: bool = False) -> Stack:
    if subdomains:
        resolve_localhost_names()
    return Stack(name=name, port=free_port(), password=secrets.token_urlsafe(12),
                 subdomains=subdomains)


def resolve_localhost_names() -> None:
    """Resolve `*.localhost` to the loopback address in this process, as RFC 6761 asks and
    Chromium and systemd-resolved do, but glibc does not: the tests' HTTP clients then reach a
    subdomain stack's users and services by their real host names, with no DNS."""
    if getattr(socket.getaddrinfo, "localhost_names", False):
        return
    system = socket.getaddrinfo

    def getaddrinfo(host, *args, **kw):
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return system(host, *args, **kw)

    getaddrinfo.localhost_names = True
    socket.getaddrinfo = getaddrinfo


def course_copy(folder: Path) -> Path:
    """The sample course (course.yml, roster.csv, labs/) in a folder tests may change."""
    # Tests must not depend on the calendar: put "today" in week 3 of the semester
    # (weeks 1-3 and A1 released, A1 due in week 4, weeks 4-13 still closed).
    start = dt.date.today() - dt.timedelta(days=17)
    text = re.sub(
        r"(?m)^(  semester_start:) \S+",
        rf"\1 {start.isoformat()}",
        (ROOT / "course.yml").read_text(),
    )
    # The servers run the student image of the tag under test, like the hub and the proxy, or
    # a student image of your own (STUDENT_IMAGE=course-student:me).
    tag = os.environ.get("IMAGE_TAG", "latest")
    text = re.sub(r"(?m)^(  student: course-student):latest$", rf"\1:{tag}", text)
    if os.environ.get("STUDENT_IMAGE"):
        text = re.sub(r"(?m)^(  student:) \S+", rf"\1 {os.environ['STUDENT_IMAGE']}", text)
    (folder / "course.yml").write_text(text)
    shutil.copy(ROOT / "roster.csv", folder / "roster.csv")
    shutil.copytree(
        ROOT / "labs",
        folder / "labs",
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
    )
    data = folder / "data"
    data.mkdir()
    (data / "README.txt").write_text("the course's shared data sets (read-only)\n")
    data.chmod(0o755)
    folder.chmod(0o755)
    return folder


@contextlib.contextmanager
def serve(stack: Stack, failed):
    """Bring `stack` up for the block; on the way out, keep and print its services' logs when
    `failed()` says a test failed, then remove everything it made."""
    try:
        stack.up()
    except Exception:
        print(stack.logs())
        stack.down()
        raise
    try:
        yield stack
    finally:
        if failed():
            RESULTS.mkdir(exist_ok=True)
            log = stack.logs()
            (RESULTS / f"{stack.name}-logs.txt").write_text(log)
            print(f"\n==== logs of stack {stack.name} (tests failed) ====\n{log[-20000:]}")
        stack.down()


def course_cli(
    stack: Stack, *args: str, check: bool = True, toolbox: bool = True
) -> subprocess.CompletedProcess:
    """`course` on the host, as staff run it there (a staff-tools container of this stack);
    --dev-source runs this working tree's hub package, not the image's. `toolbox=False`: a
    command that takes neither (validate, links, roster, publish-labs); $STACK_NAME names the
    stack."""
    cmd = [sys.executable, "-m", "hub.cli", "--course", str(stack.course_dir / "course.yml"),
           *args]
    if toolbox:
        cmd += ["--stack", stack.name, "--dev-source", str(ROOT / "hub")]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "STACK_NAME": stack.name})
    if check and done.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({done.returncode}):\n"
            f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    return done
