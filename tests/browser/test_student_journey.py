"""A student's week, in a browser, step by step: log in, see this week's lab and the next
deadline, open the lab (the server starts), run the notebook's first code cell, fetch A1 in the
assignment list, answer a question, submit, and see the submission listed with its time.
Then the mistake of opening formgrader, which is for staff.

The steps share one browser and build on each other (marker `journey`: after a failed step the
later ones are skipped, naming it). A1 is released by staff first (`course release`).
"""

from __future__ import annotations

import re

import pytest
from browserkit import docs_shot
from playwright.sync_api import expect
from stackctl import course_cli

pytestmark = [pytest.mark.docker, pytest.mark.journey]

STUDENT = "student1"
WEEK3 = "week03-training-dynamics"
SERVER_START_MS = 300_000  # a cold server start (JupyterLab, 2 cores, other tests around)
# Part 1 of A1, answered the way a student types it.
ANSWER = """def relu(z):
    return np.maximum(0.0, z)


def relu_grad(z):
    return (z > 0).astype(np.float64)


def softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)
"""


@pytest.fixture(scope="module")
def student(open_browser, stack):
    course_cli(stack, "release", "A1")  # staff's step before the students' week
    return open_browser(STUDENT)


@pytest.fixture(scope="module")
def lab(student):
    """The JupyterLab page (the step that opens the lab sets it)."""
    return {}


def test_login_lands_on_the_home_page_with_this_weeks_lab_and_the_next_deadline(student, stack):
    student.log_in(stack.password)
    page = student.page
    this_week = page.locator("section", has=page.get_by_role("heading", name="This week"))
    expect(this_week).to_contain_text("Week 3: Optimization & init")
    expect(this_week.get_by_role("button", name=re.compile("Open lab"))).to_be_visible()
    deadlines = page.get_by_role("table")
    expect(deadlines.get_by_role("row").nth(1)).to_contain_text("A1: Backprop from scratch")
    expect(deadlines.get_by_role("row").nth(1)).to_contain_text(re.compile(r"\d+ days?"))
    expect(page.locator("#late-policy")).to_contain_text("10% off your score per day late")
    student.assert_no_console_errors()


def test_open_lab_starts_the_server_and_opens_the_weeks_notebook(student, lab):
    page = student.page
    page.get_by_role("button", name=re.compile("Open lab: week 3")).click()
    # The server is not running yet: JupyterHub offers to start it (then shows its progress).
    launch = page.get_by_role("button", name=re.compile("Launch Server", re.I))
    page.wait_for_url(re.compile(r"/hub/(user|spawn)"), timeout=60_000)
    if launch.count():
        launch.click()
    # nbgitpuller pulls the lab, then JupyterLab opens the week's notebook in a tab.
    tab = page.locator(".lm-TabBar-tab", has_text=f"{WEEK3}.ipynb")
    expect(tab).to_be_visible(timeout=SERVER_START_MS)
    expect(page.locator(".jp-Notebook")).to_be_visible()
    expect(page.locator(".jp-Notebook .jp-MarkdownCell").first).to_contain_text(
        "Week 3 lab: debugging training dynamics"
    )
    # the kernel is ready when the status bar says Idle
    expect(page.locator(".jp-StatusBar-TextItem", has_text=re.compile("Idle"))).to_be_visible(
        timeout=120_000
    )
    student.assert_no_console_errors()
    lab["page"] = page


def test_first_code_cell_runs_and_a_cell_of_my_own_shows_its_output(student, lab):
    page = lab["page"]
    first = page.locator(".jp-Notebook .jp-CodeCell").first
    first.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")  # run the imports (torch, coursekit): no output
    expect(first.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[1\]"), timeout=120_000)
    expect(first.locator(".jp-OutputArea-output[data-mime-type*='error']")).to_have_count(0)
    expect(
        first.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
    ).to_have_count(0)
    # A cell of the student's own under it, using what the first cell imported.
    page.keyboard.press("Escape")
    page.keyboard.press("b")  # insert a cell below
    page.keyboard.press("Enter")
    page.keyboard.insert_text("print(torch.ones(2, 3).sum().item(), nn.ReLU()(torch.tensor(-1.0)))")
    page.keyboard.press("Shift+Enter")
    mine = page.locator(".jp-Notebook .jp-CodeCell", has_text="torch.ones(2, 3)")
    expect(mine.locator(".jp-OutputArea-output")).to_have_text(
        re.compile(r"6\.0 tensor\(-?0\.\)"), timeout=60_000
    )
    docs_shot(page, "lab.png")
    student.assert_no_console_errors()


def open_assignment_list(page):
    tab = page.locator(".lm-TabBar-tab", has_text="Assignments")
    if not tab.count():
        page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
        page.locator("li[data-command='nbgrader:open-assignment-list']").click()
    expect(tab).to_be_visible()
    tab.click()


def test_assignment_list_fetches_a1(student, lab):
    page = lab["page"]
    open_assignment_list(page)
    released = page.locator("#released_assignments_list > .list_item")
    a1 = released.filter(has_text="A1")
    expect(a1).to_be_visible(timeout=60_000)
    expect(a1.locator(".item_course")).to_have_text("dl101")
    docs_shot(page, "assignment-list.png")
    a1.locator(".item_status button", has_text="Fetch").click()
    fetched = page.locator("#fetched_assignments_list > .list_item").filter(has_text="A1")
    expect(fetched).to_be_visible(timeout=60_000)
    expect(fetched.locator(".item_status button", has_text="Submit")).to_be_visible()
    student.assert_no_console_errors()


def save(page, tab) -> None:
    """Ctrl+S until the tab is clean: an edit that reaches the model just after a save marks
    the notebook dirty again."""
    for _ in range(3):
        page.keyboard.press("Control+s")
        try:
            expect(tab).not_to_have_class(re.compile(r"jp-mod-dirty"), timeout=10_000)
            return
        except AssertionError:
            continue
    expect(tab).not_to_have_class(re.compile(r"jp-mod-dirty"))


def test_edit_an_answer_cell_and_submit(student, lab):
    page = lab["page"]
    # The fetched folder is in the student's home: open its notebook in JupyterLab.
    student.goto(f"/user/{STUDENT}/lab/tree/A1/A1.ipynb")
    tab = page.locator(".lm-TabBar-tab", has_text="A1.ipynb")
    expect(tab).to_be_visible(timeout=120_000)
    notebook = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
    answer = notebook.locator(".jp-CodeCell", has_text="def relu(z):")
    expect(answer).to_contain_text("raise NotImplementedError")
    answer.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(ANSWER)
    page.keyboard.press("Escape")
    expect(answer).not_to_contain_text("NotImplementedError")
    save(page, tab)
    # back to the assignment list, submit
    open_assignment_list(page)
    fetched = page.locator("#fetched_assignments_list > .list_item").filter(has_text="A1")
    expect(fetched).to_be_visible(timeout=60_000)
    fetched.locator(".item_status button", has_text="Submit").click()
    student.assert_no_console_errors()


def test_the_submission_is_listed_with_its_time(student, lab):
    page = lab["page"]
    submitted = page.locator("#submitted_assignments_list .list_item").filter(has_text="A1")
    expect(submitted.first).to_be_visible(timeout=60_000)
    stamp = page.locator("#submitted_assignments_list .list_item .item_name").filter(
        has_text=re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")
    )
    expect(stamp.first).to_be_visible()
    docs_shot(page, "assignment-submitted.png")
    student.assert_no_console_errors()


def test_a_student_opening_formgrader_is_refused_with_a_readable_page(student, lab):
    page = student.context.new_page()
    response = student.goto(f"/user/{STUDENT}/formgrader", page=page)
    assert response.status in (403, 404)
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(response.status))
    expect(page.get_by_text(re.compile("course staff", re.I))).to_be_visible()
    page.close()
