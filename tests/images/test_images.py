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
    result = docker_run("--entrypoint", "configurable-http-proxy", f"course-proxy:{TAG}",
                        "--version")
    assert result.returncode == 0 and result.stdout.strip().startswith("4."), result.stdout
    user = docker_run("--entrypoint", "id", f"course-proxy:{TAG}", "-u")
    assert user.stdout.strip() == "65534"


def test_proxy_refuses_to_start_without_its_token():
    require_docker()
    result = docker_run(f"course-proxy:{TAG}")
    assert result.returncode != 0
    assert "cannot read /secrets/proxy_token" in result.stderr


def test_the_base_bootstrap_on_a_host_without_mmdebstrap_says_the_one_command_to_run():
    """A fresh host as an ordinary user (no root, no sudo): the bootstrap stops before doing
    anything and names the command (as root it installs mmdebstrap itself; not run here, it
    downloads a whole Debian)."""
    require_docker()
    script = ROOT / "images" / "base" / "bootstrap.sh"
    result = docker_run(
        "--network", "none", "-u", "1000", "-v", f"{script}:/bootstrap.sh:ro",
        "course-base:bookworm", "bash", "/bootstrap.sh", "course-base:never-made",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: mmdebstrap is missing; install it with: sudo apt-get install mmdebstrap "
        "(or build on a registry base: make demo BASE_IMAGE=debian:bookworm-slim)"
    ), result.stderr
