"""Where a grading command runs, and how it gets there (docs/staff-guide.md, "Where to run them").

- In a staff server (the grading folder is at /home/jovyan/grading) or in the staff-tools
  container: directly, with the staff user's (or the course-admin service's) hub token.
- On the host or in the hub container (no grading folder, a Docker engine): in a throw-away
  staff-tools container of the stack named by --stack / $STACK_NAME (hub/grading/toolbox.py),
  whose results (`course grades`, `course similarity`) are copied back to --out.

The hub image has neither nbformat nor nbgrader: nothing here imports them.
"""

from __future__ import annotations

import argparse
import io
import os
import tarfile
from pathlib import Path

from rich.console import Console

from hub.course import load_course

out = Console(highlight=False, soft_wrap=True)

# The same as hub.grading.workflow.DEFAULT_GRADING_DIR, which cannot be imported where nbgrader
# is missing (the hub container); a unit test keeps the two equal.
DEFAULT_GRADING_DIR = "/home/jovyan/grading"


class ToolboxError(RuntimeError):
    """The staff-tools container could not start or a step in it failed."""


def docker_available() -> bool:
    return bool(os.environ.get("DOCKER_HOST")) or Path("/var/run/docker.sock").exists()


def local_grading_dir(args: argparse.Namespace) -> Path | None:
    """The grading folder when this process can use it directly, else None (use a toolbox)."""
    if args.stack:
        return None
    if os.environ.get("COURSE_GRADING_DIR"):
        return Path(os.environ["COURSE_GRADING_DIR"])
    if Path(DEFAULT_GRADING_DIR).is_dir():
        return Path(DEFAULT_GRADING_DIR)
    return None


def stack_name(args: argparse.Namespace) -> str:
    return args.stack or os.environ.get("STACK_NAME", "course")


def open_toolbox(args: argparse.Namespace):
    import docker

    from hub.grading.toolbox import Toolbox

    if not docker_available():
        raise SystemExit(
            "no grading folder here (/home/jovyan/grading or $COURSE_GRADING_DIR) "
            "and no Docker engine: run this in a staff server or on the course "
            "server"
        )
    course = load_course(args.course)
    dev = Path(args.dev_source) if args.dev_source else None
    return Toolbox(
        docker.from_env(timeout=600),
        stack_name(args),
        course.images.student,
        course,
        args.course.resolve(),
        dev,
    )


def run_in_toolbox(args: argparse.Namespace, argv: list[str], fetch: str | None = None) -> int:
    """Run `course <argv>` in a staff-tools container; copy its folder `fetch` (relative to the
    grading folder) to --out on this machine."""
    with open_toolbox(args) as box:
        out.print(f"[dim]staff-tools container of stack {box.stack} ({box.image})[/]")
        code, _ = box.run(
            "course",
            "--course",
            "/srv/course/course.yml",
            *argv,
            stream=lambda t: print(t, end="", flush=True),
        )
        if code == 0 and fetch:
            target = deliver(box, box.get_tar(f"/home/jovyan/grading/{fetch}"), Path(args.out))
            out.print(f"copied grading/{fetch} to {target / Path(fetch).name}", markup=False)
    return code


def deliver(box, data: bytes, out_dir: Path) -> Path:
    """Unpack a results tar from the staff-tools container into --out. Called through the
    course server's `sudo course` wrapper (which runs this in the hub container and names the
    caller's folder and user in $COURSE_HOST_CWD, $COURSE_HOST_UID), --out is a folder on the
    host: written there through Docker, owned by the caller."""
    host_cwd = os.environ.get("COURSE_HOST_CWD")
    if host_cwd:
        target = Path(host_cwd) / out_dir  # an absolute --out stays as it is
        box.copy_to_host(target, data, int(os.environ.get("COURSE_HOST_UID") or 0))
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(out_dir, filter="data")
    return out_dir
