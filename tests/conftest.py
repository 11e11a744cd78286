"""Shared test plumbing: the throw-away stack, and the services' logs when a test fails."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dockercheck import require_docker  # noqa: E402,F401  (tests import it from here)
from stackctl import course_copy, new_stack, serve  # noqa: E402,F401

FAILED = pytest.StashKey[list]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        item.session.stash.setdefault(FAILED, []).append(item.nodeid)
    return report


@pytest.fixture(scope="session")
def any_failed(request):
    """A callable: has any test of this session failed so far (keep the services' logs)?"""
    return lambda: bool(request.session.stash.get(FAILED, None))


@pytest.fixture(scope="session")
def stack(any_failed, tmp_path_factory):
    """The whole course stack, up once per test session under its own names."""
    require_docker()
    s = new_stack(os.environ.get("TEST_STACK_NAME", "ctest"))
    s.course_dir = course_copy(tmp_path_factory.mktemp("course"))
    with serve(s, failed=any_failed):
        yield s
