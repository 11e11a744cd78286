"""SPAWNER=swarm: the settings it needs and the hub configuration it gives (no hub started)."""

from pathlib import Path

import pytest
from docker.types import Mount
from traitlets.config import Config

from hub.config import apply_all
from hub.course import load_course
from hub.roster import load_roster
from hub.secrets import ensure_secrets
from hub.settings import Settings, SettingsError
from hub.swarm import swarm_mounts

ROOT = Path(__file__).resolve().parents[2]


def env(tmp_path, **extra) -> dict[str, str]:
    ensure_secrets(tmp_path / "secrets")
    return {
        "COURSE_FILE": str(ROOT / "course.yml"),
        "COURSE_SECRETS_DIR": str(tmp_path / "secrets"),
        "DOCKER_NETWORK_NAME": "t-net",
        "STACK_NAME": "t",
        "VOLUME_PREFIX": "t",
        "COURSE_DATA_DIR": "/srv/course-data",
        **extra,
    }


def configured(settings: Settings) -> Config:
    c = Config()
    course = load_course(settings.course_file)
    apply_all(c, course, load_roster(ROOT / course.roster), settings)
    return c


def test_the_default_is_one_host_with_volumes(tmp_path):
    c = configured(Settings.from_env(env(tmp_path)))
    assert c.JupyterHub.spawner_class == "hub.spawner.CourseSpawner"
    assert "t-home-{username}" in c.DockerSpawner.volumes


def test_swarm_uses_the_swarm_spawner_and_the_shared_folder(tmp_path):
    settings = Settings.from_env(env(tmp_path, SPAWNER="swarm", SHARED_DIR="/srv/shared/"))
    c = configured(settings)
    assert c.JupyterHub.spawner_class == "hub.swarm.CourseSwarmSpawner"
    assert c.CourseSwarmSpawner.shared_dir == "/srv/shared"
    assert c.CourseSpawner.grading_source == "/srv/shared/grading"
    assert c.DockerSpawner.volumes == {
        "/srv/shared/homes/{username}": "/home/jovyan",
        "/srv/shared/labs.git": {"bind": "/srv/labs.git", "mode": "ro"},
        "/srv/course-data": {"bind": "/srv/course-data", "mode": "ro"},
    }
    # the same network name: compose.swarm.yml makes it an attachable overlay
    assert c.DockerSpawner.network_name == "t-net"


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({"SPAWNER": "kubernetes"}, "SPAWNER is 'kubernetes'; valid: docker, swarm"),
        ({"SPAWNER": "swarm"}, "SPAWNER=swarm needs SHARED_DIR"),
        ({"SPAWNER": "swarm", "SHARED_DIR": "relative/dir"}, "got 'relative/dir'"),
    ],
)
def test_bad_swarm_settings_name_the_variable_and_what_is_valid(tmp_path, extra, says):
    with pytest.raises(SettingsError) as err:
        Settings.from_env(env(tmp_path, **extra))
    assert says in str(err.value)


def test_host_paths_are_binds_and_names_are_volumes():
    mounts = swarm_mounts({
        "/srv/shared/homes/ann": {"bind": "/home/jovyan", "mode": "rw"},
        "t-labs": {"bind": "/srv/labs.git", "mode": "ro"},
    })
    assert mounts == [
        Mount("/home/jovyan", "/srv/shared/homes/ann", type="bind"),
        Mount("/srv/labs.git", "t-labs", type="volume", read_only=True),
    ]
