"""Real browsers on the real stack: Playwright drives Debian's Chromium (/usr/bin/chromium).

Each person in a journey (a student, a TA) gets a browser of their own with a fresh profile
folder. Every page's console errors are recorded, so each step can assert that our pages logged
none. A failed test saves a screenshot of every open page into test-results/browser/;
COURSE_SCREENSHOTS=DIR (`make screenshots`) saves the pictures the docs show into DIR.

The browser tests bring up their own stacks (`<TEST_STACK_NAME>-browser`, and
`-browsersub` with one origin per user): the journeys submit, collect and move a due date,
which the other stack tests must not see.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from browserkit import CHROMIUM, CHROMIUM_ARGS, DESKTOP, SHOTS, TIMEOUT_MS, Person
from dockercheck import require_docker
from playwright.sync_api import Playwright, sync_playwright
from stackctl import course_copy, new_stack, serve

ROOT = Path(__file__).resolve().parents[2]


# -- fixtures ------------------------------------------------------------------------------------


# Every journey runs in both origin modes (hub/origins.py): all servers under the hub's origin
# (make demo), and one origin per user (<user>.hub.localhost, as make deploy does with a
# wildcard name). pytest runs every test on one stack, then every test on the other.
ORIGINS = {"shared": False, "per-user": True}


@pytest.fixture(scope="session", params=list(ORIGINS))
def stack(request, tmp_path_factory):
    """This directory's own stack, with the assignments' sources in its course folder."""
    require_docker()
    suffix = "-browser" if request.param == "shared" else "-browsersub"
    s = new_stack(os.environ.get("TEST_STACK_NAME", "ctest") + suffix, ORIGINS[request.param])
    s.course_dir = course_copy(tmp_path_factory.mktemp("course"))
    shutil.copytree(
        ROOT / "assignments",
        s.course_dir / "assignments",
        ignore=shutil.ignore_patterns("release", "gradebook.db", ".ipynb_checkpoints"),
    )
    with serve(s, failed=lambda: request.session.testsfailed > 0):
        yield s


@pytest.fixture(scope="session")
def playwright() -> Playwright:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install Debian's (apt-get install chromium "
            "chromium-driver) or set CHROMIUM to its path"
        )
    with sync_playwright() as p:
        yield p


PEOPLE: list[Person] = []  # every open browser, for the screenshots of a failed test


@pytest.fixture(scope="session")
def open_browser(playwright, stack, tmp_path_factory):
    """`open_browser(username)`: a new headless Chromium with a fresh profile for that person."""
    opened: list[Person] = []

    def make(name: str, viewport: dict | None = None) -> Person:
        profile = tempfile.mkdtemp(prefix=f"chromium-{name}-", dir=tmp_path_factory.getbasetemp())
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=viewport or DESKTOP,
            locale="en-GB",
        )
        context.set_default_timeout(TIMEOUT_MS)
        person = Person(name, context, stack.url)

        def record(msg, person=person):
            if msg.type == "error":
                where = msg.location.get("url", "")  # the resource, for a failed load
                text = f"{msg.text} [{where}]" if where else msg.text
                person.record(msg.page.url if msg.page else "", text)

        context.on("console", record)
        context.on(
            "weberror",
            lambda err, person=person: person.record(
                err.page.url if err.page else "", f"uncaught: {err.error}"
            ),
        )
        opened.append(person)
        PEOPLE.append(person)
        return person

    yield make
    for person in opened:
        PEOPLE.remove(person)
        person.context.close()
        # Every console error, JupyterLab's included (the steps assert on our pages' only).
        if person.seen:
            SHOTS.mkdir(parents=True, exist_ok=True)
            (SHOTS / f"console-{person.name}.txt").write_text(
                "".join(f"{e.url}: {e.text}\n" for e in person.seen)
            )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        SHOTS.mkdir(parents=True, exist_ok=True)
        test = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::")[-1])
        for person in PEOPLE:
            for n, page in enumerate(person.context.pages):
                try:
                    page.screenshot(
                        path=str(SHOTS / f"{test}-{person.name}-{n}.png"),
                        full_page=True,
                        timeout=10_000,
                    )
                except Exception as err:  # a crashed page must not hide the real failure
                    print(f"no screenshot of {person.name}'s page {n}: {err}")
    return report


# -- journeys of several steps -------------------------------------------------------------------


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("journey"):
            item.add_marker(pytest.mark.timeout(900))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A journey's steps build on each other: after a failed step, the later ones are not run
    (they would only fail for the same reason), and say which step failed."""
    if item.get_closest_marker("journey"):
        failed = failed_steps(item).get(origin_mode(item))
        if failed:
            pytest.skip(f"an earlier step of this journey failed: {failed}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    try:
        return (yield)
    except BaseException:
        if item.get_closest_marker("journey"):
            failed_steps(item)[origin_mode(item)] = item.name
        raise


def origin_mode(item) -> str:
    """The journey's run: one per origin mode, each with its own stack."""
    return item.callspec.params.get("stack", "") if hasattr(item, "callspec") else ""


def failed_steps(item) -> dict[str, str]:
    if not hasattr(item.parent, "_failed_steps"):
        item.parent._failed_steps = {}
    return item.parent._failed_steps
