import datetime as dt
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hub.gpu.activity import container_key
from hub.gpu.allocator import Slot
from hub.gpu.culler import Culler, HubClient
from hub.gpu.notices import notice_for, read_notices, record_notice
from hub.gpu.sampler import NvmlSampler, container_of_pid

from .builders import write_course
from .fake_nvml import a100_with_migs

T0 = dt.datetime(2026, 10, 7, 18, 30, tzinfo=dt.UTC)
TOKEN = "test-token"


class HubStub(BaseHTTPRequestHandler):
    """Answers DELETE .../server(s) like the hub API; remembers what it was asked."""

    calls: list = []
    gone: set = set()

    def do_DELETE(self):
        HubStub.calls.append((self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != f"token {TOKEN}":
            self.send_response(403)
        elif self.path in HubStub.gone:
            self.send_response(404)
        else:
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hub_url():
    HubStub.calls, HubStub.gone = [], set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), HubStub)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hub/api"
    server.shutdown()
    server.server_close()


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


def container(cid, user, slot, server=""):
    return {"Id": cid, "State": "running", "Created": T0.timestamp(),
            "Labels": slot.labels(user=user, server=server)}


def test_culler_stops_idle_gpu_servers_through_the_hub_api(hub_url, tmp_path):
    nvml = a100_with_migs()
    clock = Clock()
    sampler = NvmlSampler(nvml, clock=clock)
    containers = [
        container("c1", "ann", Slot("mig", "mig", ("MIG-1111",))),
        container("c2", "bob", Slot("mig", "mig", ("MIG-2222",)), server="gnn"),
        container("c3", "eve", Slot("full", "exclusive", ("GPU-bbbb",))),
        container("c4", "cat", Slot("cpu", "none")),
    ]
    notices = tmp_path / "notices.json"
    culler = Culler(sample=sampler.sample, list_containers=lambda: containers,
                    hub=HubClient(hub_url, TOKEN), timeout=dt.timedelta(minutes=60),
                    notices=notices, display_names={"mig": "GPU slice"}, clock=clock)
    nvml.gpus[0].mig_slots[0].processes = [4242]  # ann trains on her slice
    nvml.gpus[1].utilisation = 97  # eve's whole GPU is busy

    for minute in range(0, 60, 5):
        clock.now = T0 + dt.timedelta(minutes=minute)
        assert culler.run_once() == []
    nvml.gpus[1].utilisation = 0  # eve stops at minute 55
    clock.now = T0 + dt.timedelta(minutes=61)
    stopped = culler.run_once()

    assert [s.holder.user for s in stopped] == ["bob"]
    assert HubStub.calls == [("/hub/api/users/bob/servers/gnn", f"token {TOKEN}")]
    assert 'held a GPU ("GPU slice")' in notice_for(notices, "bob", clock.now)
    assert notice_for(notices, "ann", clock.now) is None

    # bob's container is still shutting down: he is not stopped twice
    clock.now = T0 + dt.timedelta(minutes=116)
    assert [s.holder.user for s in culler.run_once()] == ["eve"]
    assert HubStub.calls[-1][0] == "/hub/api/users/eve/server"


def test_a_server_already_gone_is_not_an_error(hub_url):
    HubStub.gone = {"/hub/api/users/ann/server"}
    HubClient(hub_url, TOKEN).stop_server("ann")
    assert HubStub.calls[0][0] == "/hub/api/users/ann/server"


def test_a_refused_stop_is_logged_and_no_notice_written(hub_url, tmp_path, caplog):
    clock = Clock()
    clock.now = T0 + dt.timedelta(hours=2)
    culler = Culler(sample=list, hub=HubClient(hub_url, "wrong-token"),
                    list_containers=lambda: [container("c", "ann", Slot("m", "mig", ("M",)))],
                    timeout=dt.timedelta(hours=1), notices=tmp_path / "n.json", clock=clock)
    culler.started = T0
    assert culler.run_once() == []
    assert "could not stop ann/" in caplog.text and "403" in caplog.text
    assert not (tmp_path / "n.json").exists()


def test_user_names_are_quoted_in_the_url(hub_url):
    HubClient(hub_url, TOKEN).stop_server("ann@uni.edu", "my server")
    assert HubStub.calls[0][0] == "/hub/api/users/ann%40uni.edu/servers/my%20server"


def test_sampler_reads_whole_gpus_and_mig_slices():
    nvml = a100_with_migs()
    nvml.gpus[1].utilisation = 42
    nvml.gpus[0].mig_slots[3].processes = [7]
    samples = {s.key: s.utilisation for s in NvmlSampler(nvml, clock=lambda: T0).sample()}
    assert samples == {"MIG-1111": 0.0, "MIG-2222": 0.0, "MIG-3333": 100.0, "GPU-bbbb": 42.0}


def test_sampler_attributes_processes_to_containers():
    nvml = a100_with_migs()
    nvml.gpus[1].process_util = [(100, 30, 5), (101, 60, 6), (102, 99, 7)]
    owners = {100: "a" * 64, 101: "a" * 64, 102: None}
    sampler = NvmlSampler(nvml, per_process=True, container_of=owners.get, clock=lambda: T0)
    first = {s.key: s.utilisation for s in sampler.sample()}
    assert first[container_key("a" * 64)] == 60.0
    assert len(first) == 5  # 3 slices, the GPU, one container
    second = {s.key for s in sampler.sample()}
    assert container_key("a" * 64) not in second, "old process samples are not counted twice"


@pytest.mark.parametrize("cgroup", [
    "0::/system.slice/docker-{id}.scope\n",
    "12:pids:/docker/{id}\n1:name=systemd:/docker/{id}\n",
])
def test_container_of_pid_reads_the_cgroup(tmp_path, cgroup):
    cid = "0123456789abcdef" * 4
    (tmp_path / "77").mkdir()
    (tmp_path / "77" / "cgroup").write_text(cgroup.format(id=cid))
    assert container_of_pid(77, proc=tmp_path) == cid
    assert container_of_pid(78, proc=tmp_path) is None


def test_notices_file_is_replaced_whole(tmp_path):
    path = tmp_path / "n.json"
    record_notice(path, "ann", "first", T0)
    record_notice(path, "bob", "second", T0)
    assert json.loads(path.read_text())["ann"]["text"] == "first"
    assert set(read_notices(path)) == {"ann", "bob"}
    assert notice_for(path, "ann", T0 + dt.timedelta(days=3)) is None
    assert list(tmp_path.iterdir()) == [path], "no temporary files left behind"


def test_service_needs_the_hub_api_settings(monkeypatch):
    from hub.gpu import culler

    monkeypatch.delenv("JUPYTERHUB_API_URL", raising=False)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", TOKEN)
    with pytest.raises(KeyError, match="JUPYTERHUB_API_URL"):
        culler.main(["--once"])


@pytest.fixture
def course_env(monkeypatch, tmp_path):
    """COURSE_FILE pointing at a course file with GPU culler settings."""
    path = write_course(tmp_path / "course.yml", gpu_timeout_seconds=600, gpu_busy_percent=10)
    monkeypatch.setenv("COURSE_FILE", str(path))
    return path


def test_service_without_nvml_exits_saying_why(monkeypatch, hub_url, course_env):
    from hub.gpu import culler

    monkeypatch.setenv("JUPYTERHUB_API_URL", hub_url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", TOKEN)
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import fails
    with pytest.raises(SystemExit, match="NVML unavailable"):
        culler.main(["--once"])


def test_service_runs_a_round_with_nvml_docker_and_the_hub(
    monkeypatch, hub_url, tmp_path, course_env
):
    from hub.gpu import culler

    nvml = a100_with_migs()
    listed = []
    monkeypatch.setenv("JUPYTERHUB_API_URL", hub_url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", TOKEN)
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    monkeypatch.setattr(culler, "_docker_containers", lambda stack: listed.append(1) or [
        container("c1", "ann", Slot("mig", "mig", ("MIG-1111",)))])
    culler.main(["--once", "--timeout", "300", "--notices", str(tmp_path / "n.json")])
    assert listed == [1]
    assert HubStub.calls == [], "a culler that just started waits a full timeout"
    assert nvml.initialised == 0, "NVML shut down on exit"
