"""Shared test plumbing: the throw-away stack, and the services' logs when a test fails."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dockercheck import require_docker  # noqa: E402,F401  (tests import it from here)
from stackctl import new_stack  # noqa: E402

RESULTS = Path(__file__).resolve().parents[1] / "test-results"
FAILED = pytest.StashKey[list]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        item.session.stash.setdefault(FAILED, []).append(item.nodeid)
    return report


def course_copy(folder: Path) -> Path:
    """The sample course (course.yml, roster.csv, labs/) in a folder tests may change."""
    root = Path(__file__).resolve().parents[1]
    # Tests must not depend on the calendar: put "today" in week 3 of the semester
    # (weeks 1-3 and A1 released, A1 due in week 4, weeks 4-13 still closed).
    start = dt.date.today() - dt.timedelta(days=17)
    text = re.sub(r"(?m)^(  semester_start:) \S+", rf"\1 {start.isoformat()}",
                  (root / "course.yml").read_text())
    (folder / "course.yml").write_text(text)
    shutil.copy(root / "roster.csv", folder / "roster.csv")
    shutil.copytree(root / "labs", folder / "labs",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    folder.chmod(0o755)
    return folder


@pytest.fixture(scope="session")
def stack(request, tmp_path_factory):
    """The whole course stack, up once per test session under its own names."""
    require_docker()
    s = new_stack(os.environ.get("TEST_STACK_NAME", "ctest"))
    s.course_dir = course_copy(tmp_path_factory.mktemp("course"))
    try:
        s.up()
    except Exception:
        print(s.logs())
        s.down()
        raise
    yield s
    if request.session.stash.get(FAILED, None):
        RESULTS.mkdir(exist_ok=True)
        log = s.logs()
        (RESULTS / f"{s.name}-logs.txt").write_text(log)
        print(f"\n==== logs of stack {s.name} (tests failed) ====\n{log[-20000:]}")
    s.down()
