"""The GPU culler service takes its timeout and threshold from the course file."""

import datetime as dt
import sys
import types

import pytest

from hub.gpu import culler

from .builders import write_course
from .fake_nvml import a100_with_migs


@pytest.fixture
def course_file(tmp_path):
    return write_course(tmp_path / "course.yml", gpu_timeout_seconds=900, gpu_busy_percent=12.5)


def test_settings_come_from_the_course_file(course_file):
    settings = culler.settings_from(str(course_file), None, None)
    assert settings.timeout == dt.timedelta(seconds=900)
    assert settings.threshold == 12.5
    assert settings.display_names["cpu"].startswith("CPU")


def test_command_line_flags_override_the_course_file(course_file):
    settings = culler.settings_from(str(course_file), 300, 0.0)
    assert settings.timeout == dt.timedelta(seconds=300)
    assert settings.threshold == 0.0, "0 is a value, not 'unset'"


def test_course_file_defaults_when_the_file_leaves_them_out(tmp_path):
    settings = culler.settings_from(str(write_course(tmp_path / "c.yml")), None, None)
    assert settings.timeout == dt.timedelta(seconds=3600)
    assert settings.threshold == 5.0


def test_a_missing_course_file_stops_the_service_naming_it(tmp_path):
    missing = tmp_path / "nope.yml"
    with pytest.raises(SystemExit, match="nope.yml"):
        culler.settings_from(str(missing), None, None)


def test_an_invalid_culler_setting_stops_the_service(tmp_path):
    bad = write_course(tmp_path / "bad.yml", gpu_timeout_seconds=10)  # below the 300 s floor
    with pytest.raises(SystemExit, match="gpu_timeout_seconds"):
        culler.settings_from(str(bad), None, None)


class Recorded(culler.Culler):
    made: list = []

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        Recorded.made.append(kwargs)


@pytest.fixture
def service(monkeypatch):
    """Runs main() once with fake NVML and Docker, recording what the Culler was built with."""
    Recorded.made = []
    stacks = []
    monkeypatch.setenv("JUPYTERHUB_API_URL", "http://127.0.0.1:9/hub/api")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "t")
    monkeypatch.setitem(sys.modules, "pynvml", a100_with_migs())
    monkeypatch.setattr(culler, "Culler", Recorded)
    monkeypatch.setattr(culler, "_docker_containers", lambda stack: stacks.append(stack) or [])

    def run(*argv):
        culler.main(["--once", *argv])
        return Recorded.made[-1], stacks[-1]

    return run


def test_service_reads_course_file_from_the_environment(service, course_file, monkeypatch):
    monkeypatch.setenv("COURSE_FILE", str(course_file))
    monkeypatch.setenv("STACK_NAME", "fall26")
    made, stack = service()
    assert made["timeout"] == dt.timedelta(seconds=900)
    assert made["threshold"] == 12.5
    assert stack == "fall26", "only this stack's containers are judged"


def test_service_flags_win_over_the_course_file(service, course_file, monkeypatch):
    monkeypatch.setenv("COURSE_FILE", "/nonexistent/course.yml")
    monkeypatch.delenv("STACK_NAME", raising=False)
    made, stack = service("--course", str(course_file), "--timeout", "400", "--threshold", "2")
    assert made["timeout"] == dt.timedelta(seconds=400)
    assert made["threshold"] == 2.0
    assert stack is None


def test_service_default_course_file_path(service, monkeypatch):
    asked = []
    monkeypatch.delenv("COURSE_FILE", raising=False)
    monkeypatch.setattr(culler, "settings_from", lambda *a: asked.append(a) or sys.exit(1))
    with pytest.raises(SystemExit):
        service()
    assert asked == [("/srv/course/course.yml", None, None)]


def test_docker_listing_filters_on_devices_and_stack(monkeypatch):
    asked = []

    class FakeClient:
        def containers(self, **kwargs):
            asked.append(kwargs)
            return []

    monkeypatch.setitem(sys.modules, "docker", types.SimpleNamespace(APIClient=FakeClient))
    culler._docker_containers("fall26")
    culler._docker_containers(None)
    assert asked == [
        {"filters": {"label": ["course.gpu.devices", "org.course.stack=fall26"]}},
        {"filters": {"label": ["course.gpu.devices"]}},
    ]
