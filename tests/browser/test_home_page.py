"""The hub's own pages in a browser, without starting any server: the login form's error, the
course home page at desktop and phone widths (with axe-core's accessibility check), an
unreleased week's page, and a student refused the admin page."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from browserkit import SHOTS, docs_shot
from playwright.sync_api import expect

pytestmark = pytest.mark.docker

PHONE = {"width": 375, "height": 812}  # an iPhone X/11 Pro class screen, CSS pixels
# axe's rules for WCAG 2.0/2.1 A and AA (the level universities are held to) fail the test
WCAG_TAGS = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}


def axe_violations(person, name: str) -> list[dict]:
    """axe-core's WCAG 2.0/2.1 A and AA violations on the person's page; every rule's findings
    (best practices too) are written to test-results/browser/axe-<name>.txt for the record.

    Checks the page's console first: axe fetches the stylesheets again and resolves their
    @imports against the page's URL (404s in the console that are axe's, not the page's)."""
    person.assert_no_console_errors()
    results = Axe().run(person.page)
    person.take_errors()
    violations = results.response["violations"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"axe-{name}.txt").write_text(describe(violations) or "no violations\n")
    return [v for v in violations if WCAG_TAGS & set(v["tags"])]


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(
            n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
            for n in v["nodes"][:5]
        )
        for v in violations
    ) + ("\n" if violations else "")


@pytest.fixture(scope="module")
def student(open_browser, stack):
    person = open_browser("student2")
    person.log_in(stack.password)
    return person


def test_a_wrong_password_shows_the_login_error(open_browser):
    person = open_browser("student3")
    page = person.page
    person.goto("/hub/login")
    expect(page.get_by_label("Username")).to_be_visible()
    page.get_by_label("Username").fill("student3")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".login_error")).to_have_text("Invalid username or password")
    assert "/hub/login" in page.url
    expect(page.get_by_label("Username")).to_have_value("student3")
    # the failed login is answered 403: that status is the only console error allowed
    person.assert_no_console_errors(allow=r"status of 403")


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, PHONE], ids=["desktop", "phone"]
)
def test_home_page_reads_well_and_passes_axe(student, viewport):
    page = student.page
    page.set_viewport_size(viewport)
    student.goto("/hub/home")
    expect(page.get_by_role("heading", level=1)).to_have_text("Deep Learning: A Modern Perspective")
    expect(page.get_by_role("heading", name="This week")).to_be_visible()
    open_lab = page.get_by_role("button", name=re.compile(r"Open lab: week 3"))
    expect(open_lab).to_be_visible()
    # Nothing is wider than the screen: no sideways scrolling on a phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"page is {width}px wide on a {viewport['width']}px screen"
    box = open_lab.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert box["height"] >= 24, "the Open lab button is too small to tap"
    violations = axe_violations(student, f"home-{viewport['width']}px")
    assert not violations, describe(violations)
    student.assert_no_console_errors()


def test_an_unreleased_week_says_when_it_opens(student):
    page = student.page
    page.set_viewport_size({"width": 1280, "height": 800})
    student.goto("/hub/course/week/13")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("This lab opens on")
    expect(
        page.get_by_text(re.compile(r"Week 13, Future directions, is not released yet"))
    ).to_be_visible()
    violations = axe_violations(student, "lab-opens")
    assert not violations, describe(violations)
    page.get_by_role("link", name=re.compile("Back to the .* home page")).click()
    page.wait_for_url(re.compile(r"/hub/home$"))
    student.assert_no_console_errors()


def test_a_student_is_refused_the_admin_page_with_a_readable_page(student):
    page = student.page
    response = student.goto("/hub/admin")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_contain_text("403")
    expect(page.get_by_text("for course staff")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("course home page"))).to_be_visible()
    assert "Traceback" not in page.content()
    student.assert_no_console_errors(allow=r"status of 403")
    violations = axe_violations(student, "admin-refused")
    assert not violations, describe(violations)


def test_home_page_screenshot_for_the_docs(student):
    page = student.page
    page.set_viewport_size({"width": 1280, "height": 800})
    student.goto("/hub/home")
    expect(page.get_by_role("heading", name="Upcoming deadlines")).to_be_visible()
    docs_shot(page, "home.png", full_page=True)
    page.set_viewport_size(PHONE)
    docs_shot(page, "home-phone.png", full_page=True)
