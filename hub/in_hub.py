"""Commands that run only in the hub container (`course roster sync|diff`, `course publish-labs`):
they need the course-admin service's token (the secrets volume) and the served labs repository,
which only the hub container has. From the host they run there themselves (`docker exec` in the
stack's hub container, with its own course file: the course folder the stack mounts); anywhere
else (a staff server) they say in one line where to run them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HUB_COURSE_FILE = "/srv/course/course.yml"  # compose.yml mounts the course folder there


def where_to_run(command: str) -> str:
    return (f"`course {command}` runs in the hub container, which holds the course-admin "
            f"token: on the course server run `sudo course {command}` (a `make deploy` "
            f"server) or `make course ARGS='{command}'` in the repository")


def in_hub_container() -> bool:
    folder = Path(os.environ.get("COURSE_SECRETS_DIR", "/secrets"))
    return bool(os.environ.get("COURSE_ADMIN_TOKEN")) or (folder / "course_admin_token").exists()


def elsewhere(argv: list[str], stack: str | None) -> int | None:
    """None when this process is the hub container (run the command here); else the exit code of
    `course <argv>` run in the stack's hub container through Docker, or 2 where there is no
    Docker engine (a staff server)."""
    if in_hub_container():
        return None
    from hub.grading.where import ToolboxError, docker_available

    if not docker_available():
        print(where_to_run(" ".join(argv)), file=sys.stderr)
        return 2
    import docker

    from hub.grading.toolbox import hub_container  # docker-py: on the host and in the hub

    stack = stack or os.environ.get("STACK_NAME", "course")
    try:
        hub = hub_container(docker.from_env(timeout=600), stack)
    except ToolboxError as e:
        print(e, file=sys.stderr)
        return 1
    print(f"in the hub container {hub.name} (course file {HUB_COURSE_FILE})", flush=True)
    api = hub.client.api
    run = api.exec_create(hub.id, ["course", "--course", HUB_COURSE_FILE, *argv])
    for chunk in api.exec_start(run["Id"], stream=True):
        sys.stdout.write(chunk.decode("utf-8", "replace"))
        sys.stdout.flush()
    return api.exec_inspect(run["Id"])["ExitCode"]
