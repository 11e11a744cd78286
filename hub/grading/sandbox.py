"""Run one student's submission through `nbgrader autograde` in a throw-away container.

Student code never runs in a staff server or the hub. Each submission gets a fresh container
from the student image: no network, CPU/memory/pids limits, a largest-file limit, every
capability dropped, uid 1000, a per-cell time limit (nbgrader's) and a whole-run time limit
(ours). The container receives a scratch nbgrader course folder (`workflow.pack`: a gradebook
holding only this student, the submission, the assignment's non-notebook files) and returns
the executed notebooks; it is removed in every case. Nothing it returns is trusted: the scores
are computed afterwards, outside, without executing anything (`workflow.score`).

This module needs the Docker engine (the host, or the hub container), never a staff server.
"""

from __future__ import annotations

import dataclasses
import io
import tarfile
import time
import uuid
from pathlib import Path

import docker
import docker.errors
from docker.types import Ulimit

LABEL_SANDBOX = "org.course.sandbox"  # value: the stack name; `docker ps -a --filter label=...`
WORKDIR = "/home/jovyan/course"
SANDBOX_UID = 1000


@dataclasses.dataclass(frozen=True)
class Limits:
    cpus: float = 1.0
    memory: str = "2g"
    pids: int = 256
    cell_timeout: int = 300  # seconds per cell: nbgrader's Execute.timeout
    timeout: int = 1200  # seconds for the whole container
    max_output_bytes: int = 50 * 1024 * 1024  # the executed notebooks, as a tar
    max_file_bytes: int = 200 * 1024 * 1024  # RLIMIT_FSIZE: no file in the sandbox grows beyond


@dataclasses.dataclass
class SandboxResult:
    student: str
    ok: bool
    reason: str  # "" when ok; else timeout, oom-killed, exit code N, output too large, ...
    seconds: float
    output_tar: bytes = b""  # autograded/<student>/<assignment>/ as a tar (ok only)
    log_tail: str = ""


def sandbox_command(assignment: str, student: str, limits: Limits) -> list[str]:
    return [
        "nbgrader", "autograde", assignment, "--student", student, "--force",
        f"--Execute.timeout={limits.cell_timeout}",
        # a cell stuck past its limit is interrupted and recorded as an error; the rest runs
        "--Execute.interrupt_on_timeout=True",
    ]


def tar_directory(folder: Path, arcname: str) -> bytes:
    """A tar of `folder` named `arcname`, owned by the sandbox user (for a local scratch)."""
    def owned(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = SANDBOX_UID
        info.uname = info.gname = ""
        return info

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(folder, arcname=arcname, filter=owned)
    return buf.getvalue()


def run_sandbox(
    client: docker.DockerClient,
    image: str,
    scratch_tar: bytes,
    assignment: str,
    student: str,
    limits: Limits = Limits(),
    stack: str = "course",
) -> SandboxResult:
    """Autograde one submission in a fresh container; always removes it.

    `scratch_tar` holds the scratch course folder under the top-level name `course/`.
    """
    started = time.monotonic()
    name = f"{stack}-sandbox-{student}-{uuid.uuid4().hex[:8]}"
    mem = limits.memory
    container = client.containers.create(
        image,
        sandbox_command(assignment, student, limits),
        name=name,
        user=f"{SANDBOX_UID}:{SANDBOX_UID}",
        working_dir=WORKDIR,
        network_mode="none",
        nano_cpus=int(limits.cpus * 1e9),
        mem_limit=mem,
        memswap_limit=mem,  # no swap: memory beyond the limit is an OOM kill, not a crawl
        pids_limit=limits.pids,
        cap_drop=["ALL"],
        security_opt=["no-new-privileges:true"],
        ulimits=[Ulimit(name="fsize", soft=limits.max_file_bytes, hard=limits.max_file_bytes)],
        # What a flood writes to the container's stdout must not fill the host's disk.
        log_config={"type": "json-file", "config": {"max-size": "1m", "max-file": "1"}},
        # USER: the image's global nbgrader config (ngshare_exchange) fails to load without it
        environment={"HOME": "/home/jovyan", "USER": "jovyan", "PYTHONDONTWRITEBYTECODE": "1"},
        labels={LABEL_SANDBOX: stack, "org.course.student": student,
                "org.course.assignment": assignment},
        entrypoint=["tini", "-g", "--"],
    )
    try:
        container.put_archive("/home/jovyan", scratch_tar)
        container.start()
        try:
            status = container.wait(timeout=limits.timeout)
            timed_out = False
        except Exception:  # requests' ReadTimeout / ConnectionError: the run exceeded its limit
            container.kill()
            status, timed_out = {"StatusCode": None}, True
        state = client.api.inspect_container(container.id)["State"]
        log_tail = _logs(container)
        seconds = round(time.monotonic() - started, 1)
        if timed_out:
            return SandboxResult(student, False, f"timeout: still running after {limits.timeout} s",
                                 seconds, log_tail=log_tail)
        if state.get("OOMKilled"):
            return SandboxResult(student, False, f"oom-killed: over the {mem} memory limit",
                                 seconds, log_tail=log_tail)
        if status["StatusCode"] != 0:
            return SandboxResult(student, False, f"exit code {status['StatusCode']}", seconds,
                                 log_tail=log_tail)
        try:
            output = _read_output(container, assignment, student, limits.max_output_bytes)
        except OutputTooLarge as err:
            return SandboxResult(student, False, str(err), seconds, log_tail=log_tail)
        except docker.errors.NotFound:
            return SandboxResult(student, False, "no executed notebook came back", seconds,
                                 log_tail=log_tail)
        return SandboxResult(student, True, "", seconds, output, log_tail)
    finally:
        container.remove(force=True)


class OutputTooLarge(RuntimeError):
    pass


def _read_output(container, assignment: str, student: str, limit: int) -> bytes:
    stream, _stat = container.get_archive(f"{WORKDIR}/autograded/{student}/{assignment}")
    buf = io.BytesIO()
    for chunk in stream:
        buf.write(chunk)
        if buf.tell() > limit:
            raise OutputTooLarge(
                f"output too large: the executed notebooks exceed {limit // (1024 * 1024)} MiB"
            )
    return buf.getvalue()


def _logs(container) -> str:
    try:
        return container.logs(tail=40).decode("utf-8", "replace")[-4000:]
    except docker.errors.APIError:
        return ""


def leftover_sandboxes(client: docker.DockerClient, stack: str) -> list[str]:
    """Names of this stack's sandbox containers that still exist (there should be none)."""
    found = client.containers.list(all=True, filters={"label": f"{LABEL_SANDBOX}={stack}"})
    return [c.name for c in found]
