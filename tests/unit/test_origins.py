"""One origin per user (hub/origins.py): the course file's user_subdomains against the stack's
SUBDOMAIN_HOST, on a bare Config (the browser tests run both modes for real)."""

from pathlib import Path

import pytest
import yaml
from traitlets.config import Config

from hub.config import apply_all
from hub.course import CourseFileError, parse_course
from hub.roster import load_roster
from hub.secrets import ensure_secrets
from hub.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = yaml.safe_load((ROOT / "course.yml").read_text())


def configured(tmp_path, switch=None, **env) -> Config:
    ensure_secrets(tmp_path / "secrets")
    data = dict(SAMPLE, **({} if switch is None else {"user_subdomains": switch}))
    settings = Settings.from_env({
        "COURSE_FILE": str(ROOT / "course.yml"),
        "COURSE_SECRETS_DIR": str(tmp_path / "secrets"),
        "DOCKER_NETWORK_NAME": "t-net",
        "STACK_NAME": "t",
        **env,
    })
    c = Config()
    apply_all(c, parse_course(data), load_roster(ROOT / "roster.csv"), settings)
    return c


def test_the_demo_has_one_origin(tmp_path):
    c = configured(tmp_path)
    assert "subdomain_host" not in c.JupyterHub
    assert "cookie_host_prefix_enabled" not in c.JupyterHub


def test_a_wildcard_name_gives_each_user_an_origin(tmp_path):
    c = configured(tmp_path, SUBDOMAIN_HOST="https://hub.uni.example.edu",
                   PUBLIC_URL="https://hub.uni.example.edu")
    assert c.JupyterHub.subdomain_host == "https://hub.uni.example.edu"
    assert c.JupyterHub.public_url == "https://hub.uni.example.edu"
    # no cookie a student's subdomain sets can reach the hub
    assert c.JupyterHub.cookie_host_prefix_enabled is True


def test_without_public_url_the_hub_url_is_the_subdomain_host(tmp_path):
    c = configured(tmp_path, "true", SUBDOMAIN_HOST="http://hub.localhost:8123")
    assert c.JupyterHub.subdomain_host == "http://hub.localhost:8123"
    assert c.JupyterHub.public_url == "http://hub.localhost:8123"
    assert "cookie_host_prefix_enabled" not in c.JupyterHub  # __Host- needs HTTPS


@pytest.mark.parametrize("switch, env, words", [
    (True, {}, "user_subdomains is true, but the stack has no wildcard DNS name"),
    (False, {"SUBDOMAIN_HOST": "https://hub.x.edu"}, "its proxy routes by host name"),
    ("auto", {"SUBDOMAIN_HOST": "https://hub.x.edu", "PUBLIC_URL": "https://other.x.edu"},
     "name different hosts"),
])
def test_a_disagreement_stops_the_hub_with_the_fix(tmp_path, switch, env, words):
    with pytest.raises(SettingsError, match=words):
        configured(tmp_path, switch, **env)


@pytest.mark.parametrize("value", [
    "https://hub.x.edu/jupyter", "hub.x.edu", "https://Hub.X.edu", "ftp://hub.x.edu",
])
def test_a_malformed_subdomain_host_is_named(tmp_path, value):
    with pytest.raises(SettingsError, match=r"SUBDOMAIN_HOST is .*https://hub\.example\.edu"):
        configured(tmp_path, SUBDOMAIN_HOST=value)


def test_the_switch_takes_auto_true_or_false_only():
    with pytest.raises(CourseFileError, match="user_subdomains"):
        parse_course(dict(SAMPLE, user_subdomains="sometimes"))
