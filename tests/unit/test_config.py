"""The hub configuration, built on a bare traitlets Config without starting a hub."""

import ipaddress
from pathlib import Path
from urllib.parse import urlparse

import pytest
from traitlets.config import Config

from hub.config import apply_all, group_members
from hub.course import load_course
from hub.roster import load_roster
from hub.secrets import ensure_secrets, read_secret
from hub.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(tmp_path) -> Settings:
    ensure_secrets(tmp_path / "secrets")
    return Settings.from_env({
        "COURSE_FILE": str(ROOT / "course.yml"),
        "COURSE_SECRETS_DIR": str(tmp_path / "secrets"),
        "DOCKER_NETWORK_NAME": "t-net",
        "STACK_NAME": "t",
        "VOLUME_PREFIX": "t",
        "DEMO_PASSWORD": "pw",
    })


@pytest.fixture
def c(settings) -> Config:
    c = Config()
    course = load_course(settings.course_file)
    apply_all(c, course, load_roster(ROOT / course.roster), settings)
    return c


def test_roster_users_are_the_allowed_users(c):
    assert c.Authenticator.allowed_users == {f"student{i}" for i in range(1, 11)} | {
        "ta1", "ta2", "instructor"}
    assert c.Authenticator.allow_all is False
    assert c.Authenticator.admin_users == set()


def test_groups_come_from_the_roster(c):
    groups = c.JupyterHub.load_groups
    assert groups["staff"]["users"] == ["instructor", "ta1", "ta2"]
    assert len(groups["students"]["users"]) == 10
    assert groups["team-team1"]["users"] == ["student1", "student2", "student3"]


def test_staff_have_a_custom_role_not_admin(c):
    staff = next(r for r in c.JupyterHub.load_roles if r["name"] == "course-staff")
    assert staff["groups"] == ["staff"]
    assert "admin:users" not in staff["scopes"] and "admin-ui" not in staff["scopes"]


def test_idle_culler_least_privilege_and_timeout_from_course(c):
    culler = next(s for s in c.JupyterHub.services if s["name"] == "idle-culler")
    assert "--timeout=3600" in culler["command"]
    role = next(r for r in c.JupyterHub.load_roles if r["name"] == "idle-culler")
    assert sorted(role["scopes"]) == sorted(
        ["list:users", "read:users:activity", "read:servers", "delete:servers"])


def test_ngshare_is_an_external_service_with_its_token(c, settings):
    ngshare = next(s for s in c.JupyterHub.services if s["name"] == "ngshare")
    assert ngshare["url"] == "http://ngshare:10101"
    assert ngshare["api_token"] == read_secret("ngshare_token", settings.secrets_dir)
    assert "command" not in ngshare  # its own container, not started by the hub


def test_spawner_survives_hub_restarts_and_uses_volumes(c):
    assert c.JupyterHub.cleanup_servers is False
    assert c.ConfigurableHTTPProxy.should_start is False
    assert c.JupyterHub.spawner_class == "hub.spawner.CourseSpawner"
    assert c.DockerSpawner.name_template == "{prefix}-{username}"
    assert c.DockerSpawner.prefix == "jupyter"
    assert c.DockerSpawner.volumes["t-home-{username}"] == "/home/jovyan"
    assert c.DockerSpawner.volumes["t-labs"] == {"bind": "/srv/labs.git", "mode": "ro"}
    assert c.DockerSpawner.allowed_images == ["course-student:latest"]
    assert c.DockerSpawner.network_name == "t-net"


def test_proxy_reaches_the_hub_by_address_servers_by_name(c):
    # the proxy resolves names per request (Docker's DNS fails in a login storm); servers keep
    # the name because they outlive a hub restart, which may give the hub a new address
    hub_url = urlparse(c.JupyterHub.hub_connect_url)
    assert ipaddress.ip_address(hub_url.hostname) and hub_url.port == 8081
    assert c.DockerSpawner.hub_connect_url == "http://hub:8081"


def test_a_watched_proxy_and_a_full_route_check_every_minute(c):
    """A restarted proxy gets the students' routes back within seconds (hub/proxy_watch.py,
    measured in tests/stack/test_faults.py); the full check stays as a second line."""
    assert c.JupyterHub.proxy_class == "hub.proxy_watch.WatchedProxy"
    assert c.JupyterHub.last_activity_interval == 60


def test_the_hubs_own_client_asks_dns_at_each_connection(c):
    """To the proxy, ngshare and servers: a restarted container's new address, not the old one
    c-ares would keep for Docker's 600 s TTL (hub/fresh_dns.py)."""
    from hub.fresh_dns import FreshResolver

    options = c.JupyterHubHTTPClient.connector_options
    assert options["use_dns_cache"] is False
    assert isinstance(options["resolver"], FreshResolver)


def test_servers_pull_only_the_labs_and_start_kernels_on_a_full_home(c):
    env = c.DockerSpawner.environment
    assert env["COURSE_LABS_REPO"] == "file:///srv/labs.git"  # hub/singleuser/gitpuller_guard
    assert env["JUPYTER_RUNTIME_DIR"].startswith("/tmp/")  # not in the (possibly full) home


def test_secrets_are_generated_once_mode_600(tmp_path):
    folder = tmp_path / "s"
    assert len(ensure_secrets(folder)) == 4
    first = read_secret("proxy_token", folder)
    assert ensure_secrets(folder) == []
    assert read_secret("proxy_token", folder) == first
    assert (folder / "proxy_token").stat().st_mode & 0o777 == 0o600


def test_missing_secret_names_the_file(tmp_path):
    with pytest.raises(RuntimeError, match="proxy_token"):
        read_secret("proxy_token", tmp_path)


def test_missing_required_setting_names_the_variable():
    with pytest.raises(SettingsError, match="DOCKER_NETWORK_NAME"):
        Settings.from_env({"STACK_NAME": "x"})


def test_group_members_has_no_empty_team_group():
    roster = load_roster(ROOT / "roster.csv")
    assert "team-" not in group_members(roster)


def test_gpu_culler_only_for_courses_with_gpu_profiles(c, settings):
    assert "gpu-culler" not in {s["name"] for s in c.JupyterHub.services}
    course = load_course(settings.course_file)
    gpu_course = course.model_copy(update={"profiles": [
        *course.profiles,
        course.profiles[0].model_copy(update={
            "slug": "gpu", "default": False,
            "gpu": course.profiles[0].gpu.model_copy(update={"mode": "shared"})}),
    ]})
    g = Config()
    apply_all(g, gpu_course, load_roster(ROOT / "roster.csv"), settings)
    culler = next(s for s in g.JupyterHub.services if s["name"] == "gpu-culler")
    assert culler["environment"]["STACK_NAME"] == "t"
    role = next(r for r in g.JupyterHub.load_roles if r["name"] == "gpu-culler")
    assert role["scopes"] == ["delete:servers"]


def test_login_lands_on_the_course_home_page(c):
    assert c.JupyterHub.redirect_to_server is False
    assert c.JupyterHub.template_paths and c.JupyterHub.extra_handlers
