"""Docker missing is a failure, never a skip: the suite exists to exercise real containers."""

import shutil
import subprocess

import pytest


def require_docker() -> None:
    if shutil.which("docker") is None:
        pytest.fail("docker is not installed: these tests need a Docker engine", pytrace=False)
    probe = subprocess.run(["docker", "info"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.fail(f"the Docker engine does not answer: {probe.stderr.strip()}", pytrace=False)
