"""A course stack signed in by a real authenticator (oauth, lti13, native), and the throw-away
identity provider beside it (fake_idp.py), for the tests of tests/stack/test_auth_*.py.

Each auth stack is its own compose project, named after TEST_STACK_NAME with the kind appended
(`ctest` -> `ctestoauth`: no dash, so no stack's `^<name>-` volume cleanup matches another's).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import time
from pathlib import Path

import requests
import yaml
from stackctl import LABEL_STACK, Stack, course_copy, free_port, new_stack, run, serve

HERE = Path(__file__).resolve().parent


def set_auth(course_dir: Path, auth: dict) -> None:
    course_file = course_dir / "course.yml"
    text = course_file.read_text()
    block = yaml.safe_dump({"auth": auth}, sort_keys=False)
    new, count = re.subn(r"(?m)^auth:\n(?:  .*\n)+", block, text)
    assert count == 1, "the sample course.yml has one auth: block"
    course_file.write_text(new)


def start_idp(stack: Stack, config: dict, folder: Path, port: int) -> str:
    """Run fake_idp.py in a container on the stack's network: `idp:PORT` for the hub,
    127.0.0.1:PORT for the test's browser. Labelled with the stack, so stack.down() removes it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "fake_idp.py").write_text((HERE / "fake_idp.py").read_text())
    folder.chmod(0o755)
    name = f"{stack.name}-idp"
    run("docker", "rm", "-f", name, check=False)
    run(
        "docker",
        "run",
        "-d",
        "--name",
        name,
        "--label",
        f"{LABEL_STACK}={stack.name}",
        "--network",
        f"{stack.name}-net",
        "--network-alias",
        "idp",
        "-p",
        f"127.0.0.1:{port}:{port}",
        "-v",
        f"{folder}:/idp:ro",
        "--entrypoint",
        "python",
        f"course-hub:{os.environ.get('IMAGE_TAG', 'latest')}",
        "/idp/fake_idp.py",
        "/idp/config.json",
        str(port),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok:
                return name
        time.sleep(0.5)
    logs = run("docker", "logs", name, check=False)
    raise TimeoutError(f"test identity provider did not start:\n{logs.stdout}{logs.stderr}")


@contextlib.contextmanager
def auth_stack(
    request,
    tmp_path_factory,
    kind: str,
    auth: dict,
    env: dict | None = None,
):
    """A whole stack whose course file says `auth: <auth>`; down (and its logs kept when a test
    of the module failed) afterwards."""
    stack = new_stack(os.environ.get("TEST_STACK_NAME", "ctest") + kind)
    stack.course_dir = course_copy(tmp_path_factory.mktemp(f"course-{kind}"))
    stack.extra_env = dict(env or {})
    set_auth(stack.course_dir, auth)
    failed_before = request.session.testsfailed
    with serve(stack, failed=lambda: request.session.testsfailed > failed_before):
        yield stack


def hub_exec(stack: Stack, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    return stack.exec(f"{stack.name}_hub_1", *cmd, check=check)


def wait_for_hub_user(stack: Stack, name: str, timeout: float = 60) -> None:
    """The course-admin service syncs the roster into the hub just after start."""
    token = stack.secret("course_admin_token")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = requests.get(
            f"{stack.url}/hub/api/users/{name}",
            timeout=10,
            headers={"Authorization": f"token {token}"},
        )
        if r.ok:
            return
        time.sleep(1)
    raise TimeoutError(f"{name} is not a hub user after {timeout}s")


__all__ = ["auth_stack", "free_port", "hub_exec", "start_idp", "wait_for_hub_user"]
