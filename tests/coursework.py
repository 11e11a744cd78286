"""Helpers the stack and deploy tests share about assignments and ngshare."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import requests

from hub.ngshare import Ngshare, NgshareError
from hub.roster import load_roster

A1_SOURCE = Path(__file__).resolve().parents[1] / "assignments" / "source" / "A1" / "A1.ipynb"


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
