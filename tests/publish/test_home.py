"""The home page's content at a given clock, and its templates rendered through JupyterHub's
own template loader."""

from __future__ import annotations

import asyncio
import os
import types
from html.parser import HTMLParser

import pytest
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader
from jupyterhub._data import DATA_FILES_PATH

from hub.grading.extensions import course_extensions
from hub.home import (
    TEMPLATES_DIR,
    course_file,
    home_context,
    hub_template_vars,
    late_policy_text,
    time_left,
    week_destination,
)
from hub.links import nbgitpuller_link

from .conftest import utc

STOCK = f"{DATA_FILES_PATH}/templates"


def hub_env(enable_async: bool = True) -> Environment:
    """The environment JupyterHub 6.1.1 builds (app.py init_tornado_settings) with
    template_paths = [hub/templates]; async like the hub's."""
    loader = ChoiceLoader([
        PrefixLoader({"templates": FileSystemLoader([STOCK])}, "/"),
        FileSystemLoader([str(TEMPLATES_DIR), STOCK]),
    ])
    return Environment(loader=loader, autoescape=True, enable_async=enable_async)


def hub_namespace(**extra) -> dict:
    """What JupyterHub's HomeHandler passes a logged-in student with a stopped server."""
    spawner = types.SimpleNamespace(active=False, ready=False, options_form=None)
    user = types.SimpleNamespace(
        name="student1", json_escaped_name="student1", spawner=spawner,
        all_spawners=lambda include_default=False: [],
    )
    return dict(
        base_url="/hub/", prefix="/", user=user, login_url="/hub/login",
        logout_url="/hub/logout", static_url=lambda path, **kw: f"/hub/static/{path}",
        version_hash="", services=[], parsed_scopes={}, expanded_scopes=set(), xsrf="x",
        xsrf_token="x", url="/hub/spawn/student1", default_server=spawner,
        allow_named_servers=False, named_server_limit_per_user=0, **extra,
    )


def render(name: str, **ns) -> str:
    template = hub_env().get_template(name)
    return asyncio.run(template.render_async(**hub_namespace(**ns)))


class Outline(HTMLParser):
    """Headings, landmarks, ids and the references to them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.headings: list[str] = []
        self._heading: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("h1", "h2", "h3"):
            self._heading = ""

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append(f"{tag}:{' '.join(self._heading.split())}")
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading += data


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


# -- this week, at the release boundaries ----------------------------------------------------


@pytest.mark.parametrize(("clock", "week", "next_week"), [
    ("2026-09-16T17:29:59", None, 1),  # week 1 opens 18:30 BST = 17:30Z
    ("2026-09-16T17:30:00", 1, 2),
    ("2026-09-30T17:29:59", 2, 3),
    ("2026-09-30T17:30:00", 3, 3 + 1),
    ("2026-10-28T18:29:59", 6, 7),  # after the clocks went back: 18:30 GMT = 18:30Z
    ("2026-10-28T18:30:00", 7, None),
    ("2027-01-01T00:00:00", 7, None),
])
def test_this_week_follows_the_clock(course, clock, week, next_week):
    ctx = home_context(course, utc(clock))
    assert (ctx.this_week.week if ctx.this_week else None) == week
    assert (ctx.next_lab.week if ctx.next_lab else None) == next_week
    assert [lab.week for lab in ctx.released_labs] == list(range(1, (week or 0) + 1))


def test_release_times_are_shown_in_the_course_zone(course):
    ctx = home_context(course, utc("2026-10-28T18:30"))
    texts = {lab.week: lab.release_text for lab in ctx.released_labs}
    assert texts[6] == "Wed 21 Oct 2026, 18:30 BST"
    assert texts[7] == "Wed 28 Oct 2026, 18:30 GMT"


def test_the_weeks_lab_session_lasts_lab_hours(course):
    ctx = home_context(course, utc("2026-10-28T18:30"))
    texts = {lab.week: lab.session_text for lab in ctx.released_labs}
    assert texts[6] == "Wed 21 Oct 2026, 18:30-21:30 BST"
    assert texts[7] == "Wed 28 Oct 2026, 18:30-21:30 GMT"
    longer = course.model_copy(
        update={"course": course.course.model_copy(update={"lab_hours": 1.5})}
    )
    assert home_context(longer, utc("2026-10-28T18:30")).this_week.session_text == (
        "Wed 28 Oct 2026, 18:30-20:00 GMT"
    )
    html = render("home.html", course_home=ctx)
    assert "Lab session: Wed 28 Oct 2026, 18:30-21:30 GMT" in html


def test_time_left_is_real_elapsed_time_across_the_clock_change(course):
    # Sat 24 Oct 12:00 BST (11:00Z) to Wed 28 Oct 18:30 GMT (18:30Z) is 4 days 7 h 30 min;
    # the wall clocks differ by only 4 days 6 h 30 min.
    now = utc("2026-10-24T11:00")
    ctx = home_context(course, now)
    assert ctx.next_lab.week == 7
    assert ctx.next_lab.opens_in == "4 days 7 hours"
    a2 = next(d for d in ctx.deadlines if d.assignment == "A2")
    assert a2.time_left == "4 days 7 hours" and a2.due_text == "Wed 28 Oct 2026, 18:30 GMT"
    london = now.astimezone(course.tz)  # the same zone object on both sides of a subtraction
    assert time_left(london, course.at(7)) == "4 days 7 hours"


def test_time_left_words():
    now = utc("2026-10-01T00:00")
    assert time_left(now, utc("2026-10-01T00:00:30")) == "less than a minute"
    assert time_left(now, utc("2026-10-01T00:01")) == "1 minute"
    assert time_left(now, utc("2026-10-01T02:05")) == "2 hours 5 minutes"
    assert time_left(now, utc("2026-10-02T00:00")) == "1 day"


# -- deadlines and the late policy -----------------------------------------------------------

A1_DUE = "2026-10-07T17:30"  # week 4, 18:30 BST


def test_upcoming_deadline(course):
    ctx = home_context(course, utc("2026-10-06T17:30"))
    a1 = ctx.deadlines[0]
    assert (a1.assignment, a1.status, a1.time_left) == ("A1", "upcoming", "1 day")
    assert a1.due_text == "Wed 07 Oct 2026, 18:30 BST" and a1.released


def test_past_due_deadline_stays_with_the_late_window(course):
    ctx = home_context(course, utc("2026-10-07T18:30"))
    a1 = ctx.deadlines[0]
    assert (a1.status, a1.max_score_now, a1.time_left) == ("late", 90, "2 days 23 hours")
    assert a1.closes_text == "Sat 10 Oct 2026, 18:30 BST"
    later = home_context(course, utc("2026-10-10T17:31"))
    assert [d.assignment for d in later.deadlines] == ["A2"]


def test_a_students_extension_moves_their_due_time(course):
    table = {e.key: e for e in course_extensions(course)}
    now = utc("2026-10-08T12:00")  # A1 is past due for everyone else
    mine = home_context(course, now, student="student2", extensions=table).deadlines[0]
    assert (mine.assignment, mine.status, mine.extended) == ("A1", "upcoming", True)
    assert mine.due_text == "Fri 09 Oct 2026, 18:30 BST"
    other = home_context(course, now, student="student1", extensions=table).deadlines[0]
    assert (other.status, other.extended) == ("late", False)


def test_late_policy_reminder_says_the_syllabus_rule(course):
    text = late_policy_text(course.late_policy)
    assert "10% off your score per day late" in text
    assert "day 1: 90%, day 2: 80%, day 3: 70%" in text
    assert "After 72 hours late work scores 0" in text and "extension" in text
    no_late = course.late_policy.model_copy(update={"max_days": 0})
    assert late_policy_text(no_late) == "Late work is not accepted without an extension."


# -- the stable week link --------------------------------------------------------------------


def test_week_destination(course):
    url, entry = week_destination(course, 3, utc("2026-09-30T17:30"))
    assert url == nbgitpuller_link(course, course.week(3)) and entry.released
    url, entry = week_destination(course, 3, utc("2026-09-30T17:29"))
    assert url is None and entry.opens_in == "1 minute"
    with pytest.raises(KeyError, match="no week 99"):
        week_destination(course, 99, utc("2026-09-30T17:29"))
    with pytest.raises(KeyError, match="week 8 has no lab"):
        week_destination(course, 8, utc("2026-09-30T17:29"))


# -- rendered templates ----------------------------------------------------------------------


def test_home_page_just_before_and_after_a_release(course):
    before = render("home.html", course_home=home_context(course, utc("2026-09-30T17:29")))
    after = render("home.html", course_home=home_context(course, utc("2026-09-30T17:30")))
    assert 'href="/hub/course/week/2"' in before and 'href="/hub/course/week/3"' not in before
    assert "Week 2: MLPs" in before
    assert "Next: week 3 (Optimisation) opens on" in before
    assert "Wed 30 Sep 2026, 18:30 BST" in before and "in 1 minute" in before
    assert 'id="open-this-week"' in after
    assert 'aria-label="Open lab: week 3, Optimisation">Open lab</a>' in " ".join(after.split())


def test_home_page_content_and_outline(course):
    html = render("home.html", course_home=home_context(course, utc("2026-10-06T17:30")))
    page = outline(html)
    assert page.headings == [
        "h1:Publication test course", "h2:This week", "h2:Your server",
        # (the stock block's visually hidden "h1:JupyterHub home page" is dropped: one h1)
        "h2:Upcoming deadlines", "h2:Released labs",
        "h2:Error",  # page.html's hidden error dialog
    ]
    assert [t for t, _ in page.tags].count("main") == 1
    ids = {a["id"] for _, a in page.tags if "id" in a}
    for _, attrs in page.tags:
        if "aria-labelledby" in attrs:
            assert attrs["aria-labelledby"] in ids
    # JupyterHub's own server controls are still there.
    assert 'id="start"' in html and "Start" in html and 'require(["home"])' in html
    assert "<title>Publication test course</title>" in html
    assert "A1: Backprop from scratch" in html and "1 day" in html
    assert "Times are in Europe/London" in html
    assert late_policy_text(course.late_policy) in html
    assert "Open lab: week 3, Optimisation" in html and "course/week/4" not in html


def test_home_page_without_course_is_the_stock_page():
    html = render("home.html", course_home=None)
    assert 'id="start"' in html and "This week" not in html


def test_lab_opens_page(course):
    _, entry = week_destination(course, 7, utc("2026-10-24T11:00"))
    html = render("lab_opens.html", lab=entry, course_title=course.course.title,
                  timezone=course.course.timezone)
    flat = " ".join(html.split())
    assert "This lab opens on <time" in flat
    assert ">Wed 28 Oct 2026, 18:30 GMT</time></h1>" in flat
    assert "Week 7, Transformers, is not released yet." in flat
    assert "(Europe/London time), in 4 days 7 hours." in flat
    assert 'href="/hub/home"' in flat
    assert "Traceback" not in html


# -- wiring ----------------------------------------------------------------------------------


def test_template_vars_are_computed_per_request(course_path):
    clock = {"now": utc("2026-09-30T17:29")}
    tv = hub_template_vars(course_file(course_path), clock=lambda: clock["now"])
    user = types.SimpleNamespace(name="student1")
    assert tv["course_home"](user).this_week.week == 2
    clock["now"] = utc("2026-09-30T17:30")
    assert tv["course_home"](user).this_week.week == 3
    assert tv["course_home"](None).course_title == "Publication test course"  # login page


def test_a_failing_course_never_breaks_hub_pages(course_path, caplog):
    def broken():
        raise OSError("disk gone")

    tv = hub_template_vars(broken)
    assert tv["course_home"](None) is None
    assert "course home page context failed" in caplog.text


def test_course_file_getter_reloads_edits_and_keeps_the_last_good(course_path):
    get = course_file(course_path)
    assert get().course.title == "Publication test course"
    text = course_path.read_text()
    course_path.write_text(text.replace("Publication test course", "Renamed course"))
    os.utime(course_path, (1, 1))
    assert get().course.title == "Renamed course"
    course_path.write_text("course: [broken")
    os.utime(course_path, (2, 2))
    assert get().course.title == "Renamed course"


def test_a_refusal_says_why_in_words_and_links_home():
    html = render("error.html", status_code=403, status_message="Forbidden",
                  message="Action is not authorized with current scopes; requires any of "
                          "[admin-ui]")
    flat = " ".join(html.split())
    assert "<h1>403 : Forbidden</h1>" in flat
    assert "You are signed in as <strong>student1</strong>" in flat
    assert "for course staff only" in flat
    assert '<a href="/hub/home">Back to the course home page</a>' in flat
    assert [t for t, _ in outline(html).tags].count("main") == 1


def test_other_errors_keep_jupyterhubs_page():
    html = render("error.html", status_code=404, status_message="Not Found", message="gone")
    assert "course staff" not in html and "<p>gone</p>" in html
