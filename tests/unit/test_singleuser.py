"""What runs inside the Jupyter servers: the nbgitpuller guard and the full-home save error.

The stack tests (tests/stack/test_hardening.py, test_faults.py) exercise both in real servers
on a really full volume; here the decisions themselves, on the host.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os

import pytest
from hostile import tried
from tornado import web

from hub.singleuser import contents
from hub.singleuser.contents import CourseContentsManager, disk_full
from hub.singleuser.gitpuller_guard import DEFAULT_REPO, allowed_repos, refusal

LABS = {"file:///srv/labs"}


@pytest.fixture
def home(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "outside").mkdir()
    return tmp_path / "home"


@pytest.mark.parametrize("targetpath", ["labs", "labs/week01", "my labs", None])
def test_the_course_links_pull(home, targetpath):
    assert refusal(DEFAULT_REPO, targetpath, home, LABS) is None
    assert refusal("file:///srv/labs.git/", targetpath, home, LABS) is None


@pytest.mark.parametrize(
    "repo",
    [
        "https://github.com/evil/repo",
        "http://jupyter-student2:9000/x.git",
        "file:///etc",
        "file:///srv/labs.git/../../etc",
        "--upload-pack=touch /tmp/x",
        "",
        "ext::sh -c touch% /tmp/x",
    ],
)
def test_another_repository_is_refused(home, repo):
    tried("nbgitpuller: foreign repo (unit)")
    assert "only pulls the course's labs" in refusal(repo, "labs", home, LABS)


@pytest.mark.parametrize(
    "targetpath",
    [
        "../../etc",
        "..",
        "labs/../../x",
        "/tmp/x",
        "/home/jovyan/labs",
        ".",
        "",
        ".local/share/jupyter/kernels/python3",
        ".jupyter",
        ".ipython/profile_default/startup",
        "labs/.git/hooks",
        "~/../x",
    ],
)
def test_a_targetpath_outside_the_home_or_hidden_is_refused(home, targetpath):
    tried("nbgitpuller: bad targetpath (unit)")
    assert refusal(DEFAULT_REPO, targetpath, home, LABS) is not None


def test_a_symlink_out_of_the_home_is_refused(home):
    os.symlink(home.parent / "outside", home / "labs")
    assert "outside your home" in refusal(DEFAULT_REPO, "labs", home, LABS)
    assert "outside your home" in refusal(DEFAULT_REPO, "labs/x", home, LABS)


def test_the_allowed_repository_comes_from_the_spawner():
    assert allowed_repos({}) == LABS
    assert allowed_repos({"COURSE_LABS_REPO": "https://git.example.edu/labs.git"}) == {
        "https://git.example.edu/labs"
    }


# -- saving into a full home -----------------------------------------------------------------------


def test_disk_full_is_found_behind_the_error_that_hides_it():
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise FileNotFoundError(errno.ENOENT, "No such file: '.~big.txt'") from None
    except FileNotFoundError as hidden:
        wrapped = web.HTTPError(500, "Unexpected error while saving file")
        wrapped.__cause__ = hidden
    # `from None` suppresses the display, not the __context__ link the check follows
    assert disk_full(wrapped)
    assert disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert not disk_full(web.HTTPError(500, "other"))
    assert not disk_full(PermissionError(errno.EACCES, "denied"))


@pytest.fixture
def full_manager(tmp_path, monkeypatch):
    """A contents manager whose writes fail with ENOSPC after 10 bytes: the real full disk is
    the stack test's (a 20 MB tmpfs home); here the host has none to fill."""
    manager = CourseContentsManager(root_dir=str(tmp_path))
    real = manager.atomic_writing

    class Full:
        def __init__(self, f):
            self.f = f

        def write(self, data):
            self.f.write(data[:10])
            self.f.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

    @contextlib.contextmanager
    def atomic_writing(os_path, *args, **kwargs):
        with real(os_path, *args, **kwargs) as f:
            yield Full(f)

    monkeypatch.setattr(manager, "atomic_writing", atomic_writing)
    return manager


def _save(manager, name, text):
    model = {"type": "file", "format": "text", "content": text}
    return asyncio.run(manager.save(model, name))


def test_a_new_file_on_a_full_home_is_507_and_not_left_half_written(full_manager, tmp_path):
    with pytest.raises(web.HTTPError) as refused:
        _save(full_manager, "big.txt", "x" * 1000)
    assert refused.value.status_code == 507
    assert "big.txt was not saved: your home folder is full" in refused.value.log_message
    assert "Delete files you no longer need" in refused.value.log_message
    assert not (tmp_path / "big.txt").exists()
    assert not (tmp_path / ".~big.txt").exists()


def test_an_existing_file_on_a_full_home_keeps_its_previous_content(full_manager, tmp_path):
    (tmp_path / "notes.txt").write_text("my previous notes")
    with pytest.raises(web.HTTPError) as refused:
        _save(full_manager, "notes.txt", "new content " * 100)
    assert refused.value.status_code == 507
    assert (tmp_path / "notes.txt").read_text() == "my previous notes"


def test_other_save_errors_pass_through(tmp_path, monkeypatch):
    manager = CourseContentsManager(root_dir=str(tmp_path))
    monkeypatch.setattr(contents, "disk_full", lambda err: False)
    with pytest.raises(web.HTTPError) as refused:
        asyncio.run(manager.save({"type": "file", "format": "nope", "content": "x"}, "a.txt"))
    assert refused.value.status_code == 400


def test_the_servers_hub_client_asks_dns_every_time():
    """After a hub restart the hub may have another address: the server's hub API client must
    not keep the old one (aiodns/c-ares caches Docker's answers for 600 s; see hub_client.py).
    Loaded as the server loads it: the extension first, then the jupyterhub extension's first
    request."""
    import logging

    from jupyterhub.httpclient import JupyterHubHTTPClient
    from tornado.ioloop import IOLoop

    from hub.fresh_dns import FreshResolver
    from hub.singleuser import hub_client

    class Server:
        log = logging.getLogger("test")

    loop = IOLoop(make_current=False)
    try:
        loop.make_current()
        hub_client._load_jupyter_server_extension(Server())

        async def first_request():  # what check_hub_version's fetch does first
            return JupyterHubHTTPClient.loop_instance()._session.connector

        connector = loop.run_sync(first_request)
        assert connector.use_dns_cache is False
        assert isinstance(connector._resolver, FreshResolver)  # getaddrinfo, no c-ares cache
    finally:

        async def close():
            await JupyterHubHTTPClient.instance().close()

        loop.run_sync(close)
        loop.close()
