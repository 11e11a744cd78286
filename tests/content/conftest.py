"""Shared pieces for the course-content tests: where the labs are, and a run-time table."""

import sys

import pytest

from .labfiles import REPO

# coursekit is installed in the student image; on a dev checkout it is imported from the repo.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

LAB_TIMES: dict[str, float] = {}


@pytest.fixture
def record_lab_time():
    def record(lab: str, seconds: float) -> None:
        LAB_TIMES[lab] = seconds

    return record


def pytest_terminal_summary(terminalreporter):
    """Print each lab's smoke run time, for docs/labs.md."""
    if not LAB_TIMES:
        return
    terminalreporter.section("lab smoke run times (kernel start included)")
    for lab, seconds in sorted(LAB_TIMES.items()):
        terminalreporter.write_line(f"{lab:32s} {seconds:6.1f} s")
    terminalreporter.write_line(f"{'total':32s} {sum(LAB_TIMES.values()):6.1f} s")
