"""Shared test plumbing: the throw-away stack, and the services' logs when a test fails."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dockercheck import require_docker  # noqa: E402,F401  (tests import it from here)
from hostile import TRIED  # noqa: E402
from stackctl import RESULTS, course_copy, new_stack, serve  # noqa: E402,F401

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


def pytest_terminal_summary(terminalreporter):
    """The hostile and bad-input cases this run tried (tests/hostile.py), per suite."""
    if not TRIED:
        return
    terminalreporter.write_sep("-", f"hostile and bad input: {sum(TRIED.values())} cases tried")
    for suite, n in sorted(TRIED.items()):
        terminalreporter.write_line(f"{n:7d}  {suite}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hostile-cases.json").write_text(json.dumps(dict(sorted(TRIED.items())), indent=1))
