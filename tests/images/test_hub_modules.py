"""No `course` command depends on a package its image lacks: inside each image, every module of the
`hub` package that image is meant to run imports, and every package those modules import (also
inside functions: the grading commands import theirs lazily) is installed (hub_imports.py).
`course similarity` once failed with ModuleNotFoundError: copydetect in staff servers and the
staff-tools container, because only the test environment had it; this test names such a gap."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dockercheck import require_docker
from test_images import docker_run

HERE = Path(__file__).resolve().parent
TAG = os.environ.get("IMAGE_TAG", "latest")
TOOLS_ENV = ("COURSE_GRADING_DIR=/home/jovyan/grading", "COURSE_FILE=/srv/course/course.yml",
             "JUPYTERHUB_USER=course-admin", "HOME=/home/jovyan")

# Where each image runs and what it is not meant to run there, with the reason.
HUB_NOT_MEANT = (
    # the grading folder's side: the hub sends these to a staff-tools container (student image)
    "hub.grading.workflow", "hub.grading.similarity", "hub.grading.export",
    "hub.grading.gradebook", "hub.grading.nbgrader_plugin",
    # inside Jupyter servers only (jupyter_server, nbgitpuller, ngshare_exchange)
    "hub.singleuser", "hub.staff_only", "hub.grading.submit_limit",
    # the data fetchers need torchvision, datasets, huggingface_hub and PyG: they run in the
    # student image (`course data fetch` there, the server's course-data command)
    "hub.datafetch",
)
STUDENT_NOT_MEANT = (
    # the hub process: JupyterHub's spawners, authenticators, GPU allocation, its services
    "hub.config", "hub.spawner", "hub.swarm", "hub.auth", "hub.gpu", "hub.handlers",
    "hub.home", "hub.admin_service", "hub.fresh_dns",
    # need the Docker engine, which staff servers deliberately lack (autograde says so)
    "hub.grading.sandbox", "hub.grading.toolbox",
)
# Imported only where a Docker engine is (where.py and in_hub.py check first): staff servers
# and the staff-tools container run the grading folder's side and never reach that import.
STUDENT_OPTIONAL = ("docker",)

PLACES = {
    # the hub; also `docker-compose exec hub course ...` and a deployed server's `sudo course`
    "hub": ("hub", [], HUB_NOT_MEANT, ()),
    # a staff member's server (the student image)
    "staff-server":
        ("student", ["-e", "JUPYTERHUB_USER=instructor"], STUDENT_NOT_MEANT, STUDENT_OPTIONAL),
    # the staff-tools container, as `course` starts it from the host or the hub (student image)
    "staff-tools":
        ("student", [a for e in TOOLS_ENV for a in ("-e", e)] + ["--user", "1000:1000"],
         STUDENT_NOT_MEANT, STUDENT_OPTIONAL),
}

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("place", sorted(PLACES))
def test_every_module_meant_for_the_image_imports_there(place):
    require_docker()
    image, extra, not_meant, optional = PLACES[place]
    result = docker_run(
        "--network", "none", *extra, "-v", f"{HERE}:/checks:ro", "--entrypoint", "python",
        f"course-{image}:{TAG}", "/checks/hub_imports.py", *not_meant,
        *(["--optional", *optional] if optional else []),
    )
    assert result.returncode == 0, f"{place}:\n{result.stdout}\n{result.stderr[-3000:]}"
    assert result.stdout.startswith("ok: "), result.stdout


def test_the_check_names_a_missing_package(tmp_path):
    """Guards the test above, both ways it can catch a gap: a module whose import fails
    (hub.grading.similarity needs nbformat, which the hub image lacks), and a package imported
    only inside a function, as copydetect was (a probe module added to the image's package)."""
    require_docker()
    probe = tmp_path / "lazy_probe.py"
    probe.write_text("def report():\n    import copydetect  # only when called\n")
    probe.chmod(0o644)
    site = "/opt/venv/lib/python3.11/site-packages/hub/lazy_probe.py"
    result = docker_run(
        "--network", "none", "-v", f"{HERE}:/checks:ro", "-v", f"{probe}:{site}:ro",
        "--entrypoint", "python", f"course-hub:{TAG}", "/checks/hub_imports.py",
        *[m for m in HUB_NOT_MEANT if m != "hub.grading.similarity"],
    )
    assert result.returncode == 1, result.stdout
    assert "hub.grading.similarity: import fails: ModuleNotFoundError" in result.stdout
    assert "hub.lazy_probe: imports copydetect (line 2), which is not installed" in result.stdout
