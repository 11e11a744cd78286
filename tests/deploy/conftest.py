"""Fixtures of the deploy tests: one throw-away Debian 12 target for the whole session."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deployctl import RESULTS, new_target  # noqa: E402


def require_docker() -> None:
    """No Docker is a failure, never a skip: these tests exist to converge a real target."""
    if shutil.which("docker") is None:
        pytest.fail("docker is not installed: the deploy tests need a Docker engine", pytrace=False)
    probe = subprocess.run(["docker", "info"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.fail(f"the Docker engine does not answer: {probe.stderr.strip()}", pytrace=False)


@pytest.fixture(scope="session")
def target():
    require_docker()
    t = new_target()
    try:
        t.start()
        yield t
    finally:
        logs = subprocess.run(
            ["bash", "-c", f"docker logs {t.stack}_hub_1 2>&1 | tail -n 200"],
            capture_output=True, text=True,
        ).stdout
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "deploy-hub.log").write_text(logs)
        t.stop()
