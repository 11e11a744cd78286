"""Helpers the stack and deploy tests share about assignments and ngshare."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import nbformat
import requests

from hub.ngshare import Ngshare, NgshareError
from hub.roster import load_roster

ROOT = Path(__file__).resolve().parents[1]
A1_SOURCE = ROOT / "assignments" / "source" / "A1" / "A1.ipynb"
COURSE = "dl101"  # the sample course's id (course.yml), which the test stacks run
MALFORMED = "student4"  # in the stack's A1 cycle: submits a broken notebook (stack/conftest.py)


def solved(template: dict) -> str:
    """The fetched A1 template with every answer cell replaced by the source's solution."""
    source = nbformat.read(A1_SOURCE, as_version=4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    nb = nbformat.from_dict(template)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[cell.metadata["nbgrader"]["grade_id"]]
    return nbformat.writes(nb)


def wait_for_ngshare(share: Ngshare, timeout: float = 90) -> None:
    """Until ngshare answers again (after a restart or a kill)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            share.courses()
            return
        except (NgshareError, requests.RequestException):
            time.sleep(0.5)
    raise TimeoutError("ngshare did not come back")


def roster_students(course_dir: Path) -> set[str]:
    """The students of a course folder's roster (what the hub's roster sync enrols)."""
    return {p.username for p in load_roster(Path(course_dir) / "roster.csv").students}


def wait_for_roster(share: Ngshare, course: str, names: set[str], timeout: float = 120) -> float:
    """Until the roster sync (the course-admin service, just after the hub starts, one request
    per student) has enrolled every one of `names` in ngshare: before that, ngshare refuses
    their fetch and submit with 403. Returns how long it took."""
    start = time.monotonic()
    missing = names
    while time.monotonic() - start < timeout:
        try:
            missing = names - set(share.students(course))
            if not missing:
                return time.monotonic() - start
        except (NgshareError, requests.RequestException):
            pass  # ngshare not up yet, or the course not created yet
        time.sleep(2)
    raise TimeoutError(f"after {timeout:.0f} s ngshare's {course} still lacks "
                       f"{len(missing)} students, e.g. {sorted(missing)[:3]}")


def in_server(stack, user: str, script: str, check: bool = True) -> subprocess.CompletedProcess:
    """A command in the user's server of a test stack, as typed in its terminal."""
    return stack.exec(
        stack.container_name(user), "bash", "-lc", f"cd /home/jovyan && {script}", check=check
    )


def install_working_tree(stack, user: str) -> None:
    """The image's `hub` package may predate this working tree: replace it in one server."""
    container = stack.container_name(user)
    site = stack.exec(
        container,
        "python",
        "-c",
        "import hub, os; print(os.path.dirname(os.path.dirname(hub.__file__)))",
    ).stdout.strip()
    subprocess.run(["docker", "cp", str(ROOT / "hub"), f"{container}:{site}/"], check=True)
    # the course folder, as the lead's mount at /srv/course would give it (requests-workflow.md)
    stack.exec(container, "mkdir", "-p", "/tmp/course")
    for name in ("course.yml", "roster.csv"):
        subprocess.run(
            ["docker", "cp", str(stack.course_dir / name), f"{container}:/tmp/course/{name}"],
            check=True,
        )


def submit_directly(stack, user: str, notebook: str, course: str = COURSE) -> None:
    """`user`'s A1 submission straight to ngshare's API with their own token (no server needed):
    ngshare takes any bytes, as from a client of one's own."""
    import base64
    import json

    from hubclient import HubClient

    client = HubClient(stack.url)
    client.login(user, stack.password, next_url="/hub/home")
    Ngshare(f"{stack.url}/services/ngshare", client.new_token(f"submit-{user}")).post(
        f"submission/{course}/A1",
        files=json.dumps([{"path": "A1.ipynb",
                           "content": base64.b64encode(notebook.encode()).decode()}]))
