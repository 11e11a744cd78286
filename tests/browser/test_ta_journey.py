"""A TA's grading, in a browser: log in, start their server, open formgrader, see the
student's submission (from the student journey) after staff collected and autograded it, with
its score, and the late flag.

The submission was made on time; to see the late flag without waiting days, the test then
moves A1's due date in the course file to two hours before the submission, as staff would for
a due date entered wrongly, before `course collect` and `course autograde` (the late policy
takes 10% per day: 3 points become 2.7). nbgrader's formgrader shows no lateness itself, so
the late flag is read where nbgrader puts it: the feedback the TA opens from the grading folder.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from browserkit import docs_shot
from playwright.sync_api import expect
from stackctl import course_cli

from hub.ngshare import Ngshare

pytestmark = [pytest.mark.docker, pytest.mark.journey]

TA = "ta1"
STUDENT = "student1"  # the student journey's
SERVER_START_MS = 300_000


@pytest.fixture(scope="module")
def graded(stack) -> dict:
    """Staff's steps on the host after the student journey: collect, autograde, feedback."""
    share = Ngshare(stack.service_url("ngshare"), stack.secret("course_admin_token"))
    mine = [s for s in share.submissions("dl101", "A1") if s["student_id"] == STUDENT]
    if not mine:
        pytest.fail(f"no A1 submission from {STUDENT}: the student journey did not submit")
    submitted = dt.datetime.fromisoformat(max(s["timestamp"] for s in mine))
    if submitted.tzinfo is None:
        submitted = submitted.replace(tzinfo=dt.UTC)  # ngshare's clock is UTC
    due = (submitted - dt.timedelta(hours=2)).replace(microsecond=0)
    course_file = stack.course_dir / "course.yml"
    text, n = re.subn(
        r"(\{id: A1, .*?due: )4(,)", rf'\1"{due.isoformat()}"\2', course_file.read_text()
    )
    assert n == 1, "A1's line in course.yml changed shape"
    course_file.write_text(text)
    return {
        "collect": course_cli(stack, "collect", "A1").stdout,
        "autograde": course_cli(stack, "autograde", "A1", "--cell-timeout", "120").stdout,
        "feedback": course_cli(stack, "feedback", "A1").stdout,
    }


@pytest.fixture(scope="module")
def ta(open_browser):
    return open_browser(TA)


@pytest.fixture(scope="module")
def lab() -> dict:
    return {}


def test_ta_logs_in_and_starts_their_server(ta, stack, graded, lab):
    # (staff collected and autograded first: a lab left open through autograde's load on a
    # small machine can lose its connection for a moment and show JupyterLab's dialog)
    ta.log_in(stack.password)
    page = ta.page
    page.get_by_role("button", name=re.compile("Start My Server")).click()
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=SERVER_START_MS)
    expect(page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader")).to_be_visible()
    ta.assert_no_console_errors()
    lab["page"] = page


def test_formgrader_lists_the_students_autograded_submission(ta, graded, lab):
    page = lab["page"]
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator("li[data-command='nbgrader:open-formgrader']").click()
    expect(page.locator(".lm-TabBar-tab", has_text="Formgrader")).to_be_visible()
    grader = page.frame_locator("iframe[src*='formgrader']")
    a1 = grader.locator("tr", has_text="A1").filter(has=grader.locator("a"))
    expect(a1.first).to_be_visible(timeout=60_000)
    grader.locator("a[href*='manage_submissions/A1']").first.click()
    row = grader.locator("tr", has=grader.locator(".student-id", has_text=STUDENT))
    expect(row).to_be_visible(timeout=60_000)
    expect(row.locator(".timestamp")).to_have_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
    expect(row.locator(".status")).to_have_text("graded")
    expect(row.locator(".score")).to_have_text("3 / 20")  # part 1 answered: 3 of 20 points
    docs_shot(page, "formgrader.png")
    ta.assert_no_console_errors()


def test_the_late_flag_and_final_score_show_in_the_feedback(ta, graded, lab):
    page = ta.context.new_page()
    response = ta.goto(f"/user/{TA}/files/grading/feedback/{STUDENT}/A1/A1.html", page=page)
    assert response.ok, response.status
    expect(page.locator("body")).to_contain_text("Late submission penalty (Score: -0.3)")
    expect(page.locator("body")).to_contain_text("A1 (Score: 2.7 / 20.0)")
    page.close()
