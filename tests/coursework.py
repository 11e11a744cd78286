"""Helpers the stack and deploy tests share about assignments and ngshare."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import requests

from hub.ngshare import Ngshare, NgshareError

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
