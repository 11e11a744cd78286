"""Each image's unit scripts (images/<name>/units/*.py) run inside that image."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from dockercheck import require_docker

ROOT = Path(__file__).resolve().parents[2]
TAG = os.environ.get("IMAGE_TAG", "latest")  # the images' tag, as `make images` builds them
UNITS = sorted(
    (image.name, unit)
    for image in (ROOT / "images").iterdir()
    for unit in sorted((image / "units").glob("unit_*.py"))
)

pytestmark = pytest.mark.docker


def docker_run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", "run", "--rm", *args], capture_output=True, text=True)


@pytest.mark.parametrize(("image", "unit"), UNITS, ids=[f"{i}/{u.name}" for i, u in UNITS])
def test_unit_runs_inside_the_image(image, unit):
    require_docker()
    # Like a real server: no network, the image's own user; student units run as jovyan.
    result = docker_run(
        "--network", "none", "-e", "JUPYTERHUB_USER=unit-test",
        "-v", f"{unit.parent}:/units:ro", "--entrypoint", "python",
        f"course-{image}:{TAG}", f"/units/{unit.name}",
    )
    assert result.returncode == 0, f"{image}/{unit.name} failed:\n{result.stdout}\n{result.stderr}"
    assert result.stdout.startswith("ok"), result.stdout


def test_every_python_image_has_units():
    assert {i for i, _ in UNITS} >= {"student", "hub", "ngshare"}


def test_proxy_image_runs_configurable_http_proxy_as_nobody():
    require_docker()
    result = docker_run("--entrypoint", "configurable-http-proxy", "course-proxy:latest",
                        "--version")
    assert result.returncode == 0 and result.stdout.strip().startswith("4."), result.stdout
    user = docker_run("--entrypoint", "id", "course-proxy:latest", "-u")
    assert user.stdout.strip() == "65534"


def test_proxy_refuses_to_start_without_its_token():
    require_docker()
    result = docker_run("course-proxy:latest")
    assert result.returncode != 0
    assert "cannot read /secrets/proxy_token" in result.stderr
