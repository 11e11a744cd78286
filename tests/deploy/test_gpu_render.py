"""The GPU roles with gpu: true, checked by the files they write (the pattern of NVIDIA's own
driver role). NVIDIA's repositories (developer.download.nvidia.com, nvidia.github.io) are not
reachable from this machine, so the roles run with nvidia_driver_install: false: they write the
repositories, the branch pin, the modprobe settings and Docker's runtime entry, and install
nothing. Runs after the converge tests (file order): it changes the target's daemon.json."""

from __future__ import annotations

import json

import pytest

GPU_PLAY = (
    "site.yml",
    "--tags",
    "nvidia_driver,nvidia_container_toolkit,docker",
    "-e",
    "gpu=true",
    "-e",
    "nvidia_driver_install=false",
)


@pytest.fixture(scope="module")
def rendered(target):
    result = target.play(*GPU_PLAY, log="gpu-render")
    assert result.rc == 0, result.output[-4000:]
    return result


def read(target, path: str) -> str:
    return target.exec(f"cat {path}").stdout


def test_driver_repository_is_nvidias_debian12_repo(target, rendered):
    source = read(target, "/etc/apt/sources.list.d/nvidia-cuda.sources")
    assert (
        "URIs: https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/" in source
    )
    assert "Signed-By: /usr/share/keyrings/nvidia-cuda.asc" in source


def test_driver_branch_is_pinned_and_open_modules_selected(target, rendered):
    pin = read(target, "/etc/apt/preferences.d/nvidia-driver")
    assert "Pin: version 570.*" in pin and "Pin-Priority: 1001" in pin
    assert "nvidia-*" in pin.split("Package:")[1].splitlines()[0]
    assert "a full run installs: nvidia-open-570" in rendered.output
    assert "blacklist nouveau" in read(target, "/etc/modprobe.d/blacklist-nouveau.conf")


def test_nothing_was_installed_and_no_reboot(target, rendered):
    installed = target.exec("dpkg -l 'nvidia-*' 'cuda-*' 2>/dev/null | grep ^ii || true").stdout
    assert installed == ""
    assert "Rebooting" not in rendered.output


def test_container_toolkit_repository_and_docker_runtime(target, rendered):
    source = read(target, "/etc/apt/sources.list.d/nvidia-container-toolkit.sources")
    assert "URIs: https://nvidia.github.io/libnvidia-container/stable/deb/amd64" in source
    daemon = json.loads(read(target, "/etc/docker/daemon.json"))
    assert daemon["runtimes"]["nvidia"]["path"] == "nvidia-container-runtime"
    # registered for device requests, never the default runtime (design: no runtime: nvidia)
    assert "default-runtime" not in daemon
    assert daemon["features"]["cdi"] is True
    assert daemon["live-restore"] is True and daemon["log-opts"]["max-size"] == "10m"
    # the target's own engine (Debian's docker.io) restarted with it and knows the runtime
    runtimes = target.exec("docker info --format '{{json .Runtimes}}'").stdout
    assert "nvidia" in json.loads(runtimes), runtimes


def test_rendering_again_changes_nothing(target, rendered):
    result = target.play(*GPU_PLAY, log="gpu-render-again")
    assert result.rc == 0, result.output[-4000:]
    assert result.recap()["changed"] == 0, f"changed: {result.changed_tasks()}"
