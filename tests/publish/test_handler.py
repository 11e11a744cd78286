"""The stable week link's handler in a tornado app with JupyterHub's template environment;
login and the hub's namespace are stood in (the real hub is exercised by the stack tests)."""

from __future__ import annotations

import types
from urllib.parse import urlsplit

import pytest
from tornado.testing import AsyncHTTPTestCase
from tornado.web import Application

from hub.handlers import WEEK_ROUTE, CourseWeekHandler, course_handlers
from hub.links import nbgitpuller_link

from .conftest import utc
from .test_home import hub_env, hub_namespace


class LoggedInWeekHandler(CourseWeekHandler):
    async def prepare(self):  # JupyterHub's prepare resolves the user from its database
        self._jupyterhub_user = types.SimpleNamespace(name="student1")

    @property
    def template_namespace(self):
        return hub_namespace()

    @property
    def xsrf_token(self):
        return b"x"


@pytest.fixture
def make_app(course):
    def make(clock: str):
        ((route, _, kwargs),) = course_handlers(lambda: course, clock=lambda: utc(clock))
        assert route == WEEK_ROUTE
        return Application(
            [("/hub" + route, LoggedInWeekHandler, kwargs)],
            jinja2_env=hub_env(), jinja2_env_sync=hub_env(enable_async=False),
            base_url="/", login_url="/hub/login",
            hub=types.SimpleNamespace(base_url="/hub/"), db=types.SimpleNamespace(dirty=False),
        )
    return make


class Client(AsyncHTTPTestCase):
    def __init__(self, app):
        self._app = app
        super().__init__("runTest")

    def runTest(self):  # noqa: N802 (unittest's name)
        pass

    def get_app(self):
        return self._app


def get(app, path):
    client = Client(app)
    client.setUp()
    try:
        return client.fetch(path, follow_redirects=False, raise_error=False)
    finally:
        client.tearDown()


def test_released_week_redirects_to_its_nbgitpuller_link(make_app, course):
    response = get(make_app("2026-09-30T17:30"), "/hub/course/week/3")
    assert response.code == 302
    assert response.headers["Location"] == nbgitpuller_link(course, course.week(3), "/")
    assert urlsplit(response.headers["Location"]).path == "/hub/user-redirect/git-pull"


def test_unreleased_week_shows_when_it_opens(make_app):
    response = get(make_app("2026-09-30T17:29"), "/hub/course/week/3")
    assert response.code == 200
    body = " ".join(response.body.decode().split())
    assert "This lab opens on" in body and "Wed 30 Sep 2026, 18:30 BST" in body
    assert "in 1 minute" in body


@pytest.mark.parametrize(("path", "says"), [
    ("/hub/course/week/99", "no week 99"), ("/hub/course/week/8", "week 8 has no lab"),
])
def test_unknown_week_or_week_without_lab_is_a_404_without_trace(make_app, path, says):
    response = get(make_app("2026-09-30T17:29"), path)
    assert response.code == 404
    body = response.body.decode()
    assert says in body and "home page lists every lab" in body
    assert "Traceback" not in body
