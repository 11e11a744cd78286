"""A person in a browser: Debian's Chromium, driven by Playwright, and what the journeys
assert with (console errors, screenshots for the docs)."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

from playwright.sync_api import BrowserContext, Page
from stackctl import RESULTS

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # root in CI and no user namespaces in containers
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # a subdomain stack's hosts (hub.localhost, <user>.hub.localhost) without DNS
    "--host-resolver-rules=MAP *.localhost 127.0.0.1",
]
# JupyterLab is slow to start on a small machine: wait for elements, never for fixed times.
TIMEOUT_MS = 60_000
SHOTS = RESULTS / "browser"
DESKTOP = {"width": 1280, "height": 800}


@dataclasses.dataclass
class ConsoleError:
    url: str
    text: str


@dataclasses.dataclass
class Person:
    """One person's browser: its context, the console errors its pages logged."""

    name: str
    context: BrowserContext
    base_url: str
    errors: list[ConsoleError] = dataclasses.field(default_factory=list)  # since last check
    seen: list[ConsoleError] = dataclasses.field(default_factory=list)  # all, for the record

    def record(self, url: str, text: str) -> None:
        error = ConsoleError(url, text)
        self.errors.append(error)
        self.seen.append(error)

    @property
    def page(self) -> Page:
        return self.context.pages[0] if self.context.pages else self.context.new_page()

    def goto(self, path: str, page: Page | None = None):
        return (page or self.page).goto(f"{self.base_url}{path}")

    def take_errors(self, ours_only: bool = True) -> list[ConsoleError]:
        """The console errors logged since the last call; `ours_only`: from the hub's pages
        (/hub/...), the course's own, not JupyterLab's."""
        taken, self.errors = self.errors, []
        if ours_only:
            taken = [e for e in taken if "/hub/" in e.url]
        return taken

    def assert_no_console_errors(self, allow: str | None = None) -> None:
        """No console error from our pages since the last check; `allow`: a regular expression
        for an expected one (the status of an error page the step asked for)."""
        errors = [e for e in self.take_errors() if not (allow and re.search(allow, e.text))]
        assert not errors, "console errors:\n" + "\n".join(f"{e.url}: {e.text}" for e in errors)

    def log_in(self, password: str) -> None:
        page = self.page
        self.goto("/hub/login")
        page.get_by_label("Username").fill(self.name)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/hub/home"))


def docs_shot(page: Page, name: str, **kw) -> None:
    """Save a screenshot the docs show, when asked for (COURSE_SCREENSHOTS=docs/img)."""
    folder = os.environ.get("COURSE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), **kw)
