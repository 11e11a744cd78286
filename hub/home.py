"""What the course home page shows, computed for one clock reading and one student.

`home_context(course, now, ...)` gives the template (hub/templates/home.html) everything it
shows: the course title, this week's lab, every released lab, upcoming deadlines with the time
left and the due time in the course's time zone, and the late-policy reminder. `hub_template_vars`
wires it into JupyterHub's `c.JupyterHub.template_vars` as a per-request callable, so the page
follows the clock without a hub restart.

"This week" is the latest released lab: it changes at the moment a lab is released. Durations
are real elapsed time (computed in UTC), so a deadline across a daylight-saving change shows
the hour the clocks repeat or skip.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Callable, Mapping
from pathlib import Path

from hub.course import Course, LatePolicy, Week, load_course
from hub.links import nbgitpuller_link, week_link

TEMPLATES_DIR = Path(__file__).parent / "templates"
log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass(frozen=True)
class LabEntry:
    week: int
    title: str
    lab: str
    release: dt.datetime  # in the course's time zone
    release_text: str
    released: bool
    open_url: str  # the stable week link (redirects to nbgitpuller once released)
    pull_url: str  # the nbgitpuller link itself
    opens_in: str  # "3 days 2 hours"; "" once released
    session_text: str = ""  # the week's lab session: "Wed 16 Sep 2026, 18:30-21:30 BST"


@dataclasses.dataclass(frozen=True)
class Deadline:
    assignment: str
    title: str
    due: dt.datetime  # the student's due time (extension included), course time zone
    due_text: str
    time_left: str  # until `due`, or until the late window closes when status is "late"
    status: str  # "upcoming" (not due yet) or "late" (past due, late work still accepted)
    released: bool
    extended: bool
    closes_text: str = ""  # when late work stops being accepted
    max_score_now: int = 100  # percent of the marks a submission made now can keep


@dataclasses.dataclass(frozen=True)
class HomeContext:
    course_title: str
    timezone: str
    now_text: str
    this_week: LabEntry | None
    next_lab: LabEntry | None
    released_labs: list[LabEntry]
    deadlines: list[Deadline]
    late_policy_text: str


# -- formatting ------------------------------------------------------------------------------


def format_when(when: dt.datetime, course: Course) -> str:
    """'Wed 16 Sep 2026, 18:30 BST' in the course's time zone."""
    return when.astimezone(course.tz).strftime("%a %d %b %Y, %H:%M %Z")


def session_text(course: Course, week: int) -> str:
    """'Wed 16 Sep 2026, 18:30-21:30 BST': the week's lab session in the course's time zone."""
    start, end = (t.astimezone(course.tz) for t in course.lab_session(week))
    return f"{format_when(start, course).rsplit(' ', 1)[0]}-{end.strftime('%H:%M %Z')}"


def time_left(now: dt.datetime, then: dt.datetime) -> str:
    """Real time from `now` to `then`, in words, at most two units: '2 days 3 hours'."""
    seconds = (then.astimezone(dt.UTC) - now.astimezone(dt.UTC)).total_seconds()
    if seconds < 60:
        return "less than a minute"
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    words = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n]
    return " ".join(words[:2])


def late_policy_text(policy: LatePolicy) -> str:
    if policy.max_days == 0 or policy.rate_per_day == 0:
        text = (
            "Late work is not accepted without an extension."
            if policy.max_days == 0
            else "Late work is accepted without penalty."
        )
    else:
        rate = round(policy.rate_per_day * 100)
        if policy.mode == "scale":
            steps = ", ".join(
                f"day {d}: {max(0, 100 - rate * d)}%" for d in range(1, policy.max_days + 1)
            )
            penalty = f"{rate}% off your score per day late (maximum score {steps})"
        else:
            penalty = f"{rate}% of the assignment's marks deducted per day late"
        text = (
            f"Late work: {penalty}. After {policy.max_days * 24} hours late work scores 0 "
            "unless staff recorded an extension (for example with a medical certificate)."
        )
    if policy.grace_minutes:
        text += f" Work up to {policy.grace_minutes} minutes late counts as on time."
    return text


# -- the page's content ----------------------------------------------------------------------


def lab_entry(course: Course, week: Week, now: dt.datetime, base_url: str = "/") -> LabEntry:
    release = course.lab_release(week).astimezone(course.tz)
    released = release <= now
    return LabEntry(
        week=week.week,
        title=week.title,
        lab=week.lab or "",
        release=release,
        release_text=format_when(release, course),
        released=released,
        open_url=week_link(week, base_url),
        pull_url=nbgitpuller_link(course, week, base_url) if week.lab else "",
        opens_in="" if released else time_left(now, release),
        session_text=session_text(course, week.week),
    )


def deadlines(
    course: Course,
    now: dt.datetime,
    student: str | None = None,
    extensions: Mapping[tuple[str, str], object] | None = None,
) -> list[Deadline]:
    """Assignments not yet due, and those past due whose late window is still open, soonest
    first. `extensions` maps (assignment, student) to an object with `.until` (hub.grading's
    extension table); the student's own extension moves their due time."""
    policy = course.late_policy
    out = []
    for a in course.assignments:
        granted = (extensions or {}).get((a.id, student)) if student else None
        due = (granted.until if granted else course.due(a)).astimezone(course.tz)
        closes = due + dt.timedelta(days=policy.max_days)
        common = dict(
            assignment=a.id, title=a.title, due=due, due_text=format_when(due, course),
            released=course.release(a) <= now, extended=granted is not None,
            closes_text=format_when(closes, course),
        )
        if now < due:
            out.append(Deadline(time_left=time_left(now, due), status="upcoming", **common))
        elif now < closes and policy.max_days:
            out.append(Deadline(
                time_left=time_left(now, closes), status="late",
                max_score_now=_max_score_now(due, now, policy), **common,
            ))
    return sorted(out, key=lambda d: d.due)


def _max_score_now(due: dt.datetime, now: dt.datetime, policy: LatePolicy) -> int:
    late = (now.astimezone(dt.UTC) - due.astimezone(dt.UTC)).total_seconds()
    if late <= policy.grace_minutes * 60:
        return 100
    days = math.ceil(late / 86_400)
    return max(0, round(100 * (1 - policy.rate_per_day * days)))


def home_context(
    course: Course,
    now: dt.datetime,
    base_url: str = "/",
    student: str | None = None,
    extensions: Mapping[tuple[str, str], object] | None = None,
) -> HomeContext:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    labs = [lab_entry(course, w, now, base_url) for w in course.weeks if w.lab]
    released = [lab for lab in labs if lab.released]
    upcoming = sorted((lab for lab in labs if not lab.released), key=lambda lab: lab.release)
    return HomeContext(
        course_title=course.course.title,
        timezone=course.course.timezone,
        now_text=format_when(now, course),
        this_week=max(released, key=lambda lab: lab.week, default=None),
        next_lab=upcoming[0] if upcoming else None,
        released_labs=released,
        deadlines=deadlines(course, now, student, extensions),
        late_policy_text=late_policy_text(course.late_policy),
    )


def week_destination(
    course: Course, number: int, now: dt.datetime, base_url: str = "/"
) -> tuple[str | None, LabEntry]:
    """Where the stable week link goes: (nbgitpuller link, entry) once the week is released,
    (None, entry) before. Raises KeyError for a week the course does not have."""
    week = course.week(number)
    if not week.lab:
        raise KeyError(f"week {number} has no lab")
    entry = lab_entry(course, week, now, base_url)
    return (entry.pull_url if entry.released else None), entry


# -- wiring into JupyterHub ------------------------------------------------------------------


def course_file(path: str | Path) -> Callable[[], Course]:
    """A getter that rereads the course file when it changes, so a moved release date shows
    without a hub restart; a broken edit keeps the last good course (and logs why)."""
    path = Path(path)
    state: dict[str, object] = {"mtime": None, "course": load_course(path)}
    state["mtime"] = path.stat().st_mtime

    def get() -> Course:
        try:
            mtime = path.stat().st_mtime
            if mtime != state["mtime"]:
                state["course"], state["mtime"] = load_course(path), mtime
        except Exception as err:  # keep serving the last good course
            log.error("course file %s not reloaded: %s", path, err)
        return state["course"]  # type: ignore[return-value]

    return get


def hub_template_vars(
    get_course: Callable[[], Course],
    base_url: str = "/",
    clock: Clock = utc_now,
    get_extensions: Callable[[Course], Mapping] | None = None,
) -> dict[str, Callable]:
    """`c.JupyterHub.template_vars`: JupyterHub calls each value with the current user on
    every page it renders. A failure here must never break the hub's pages (login, error
    pages use the same namespace), so it is logged and the page renders without the course."""

    def course_home(user) -> HomeContext | None:
        try:
            course = get_course()
            extensions = get_extensions(course) if get_extensions else None
            name = getattr(user, "name", None)
            return home_context(course, clock(), base_url, name, extensions)
        except Exception:
            log.exception("course home page context failed")
            return None

    return {"course_home": course_home}
