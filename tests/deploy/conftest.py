"""Fixtures of the deploy tests: one throw-away Debian 12 target for the whole session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deployctl import RESULTS, new_target  # noqa: E402
from dockercheck import require_docker  # noqa: E402

_TARGET: list = []  # the session's target, for the failure hook below


@pytest.fixture(scope="session")
def target():
    require_docker()
    t = new_target()
    _TARGET.append(t)
    try:
        t.start()
        yield t
    finally:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "deploy-logs.txt").write_text(t.logs())
        t.stop()
        _TARGET.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test keeps the stack's logs of that moment (the student's server may be gone
    by the end of the session): test-results/deploy-<test>-logs.txt, and its tail printed."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and _TARGET and "target" in item.fixturenames:
        logs = _TARGET[0].logs()
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"deploy-{item.name}-logs.txt"
        path.write_text(logs)
        report.sections.append(("stack logs (tail; all in " + str(path) + ")", logs[-15000:]))
