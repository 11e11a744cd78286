"""One-click lab links: nbgitpuller links and the hub's stable per-week links.

- The nbgitpuller link (`/hub/user-redirect/git-pull?repo=&branch=&urlpath=&targetpath=`)
  starts the student's server if needed, pulls the published labs into ~/labs and opens the
  week's notebook in JupyterLab. It only works once the week is published.
- The stable week link (`/hub/course/week/N`, served by hub.handlers.CourseWeekHandler) is safe
  to hand out in advance: it redirects to the nbgitpuller link once the week is released and
  shows a "this lab opens on ..." page before.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from hub.course import Course, Week
from hub.publish import SERVED_REPO_PATH, main_notebook

SERVED_REPO_URL = f"file://{SERVED_REPO_PATH}"  # the one repository students pull
TARGET_FOLDER = "labs"  # the folder in the student's home that the labs land in


def _root(base_url: str) -> str:
    """The public URL of JupyterHub's base_url ('/' or 'https://hub.example.edu/jupyter/')
    without its trailing slash."""
    return base_url.rstrip("/")


def nbgitpuller_link(course: Course, week: Week, base_url: str = "/") -> str:
    if not week.lab:
        raise ValueError(f"week {week.week} has no lab")
    query = urlencode({
        "repo": SERVED_REPO_URL,
        "branch": course.labs.branch,
        "urlpath": f"lab/tree/{TARGET_FOLDER}/{main_notebook(week)}",
        "targetpath": TARGET_FOLDER,
    })
    return f"{_root(base_url)}/hub/user-redirect/git-pull?{query}"


def week_link(week: Week | int, base_url: str = "/") -> str:
    number = week if isinstance(week, int) else week.week
    return f"{_root(base_url)}/hub/course/week/{number}"


def link_lines(
    course: Course, now: dt.datetime, base_url: str = "/", all_weeks: bool = False
) -> list[str]:
    """`course links` output, one tab-separated line per week with a lab:
    week, lab folder, status ("open" or "opens <when>"), link.

    A released week's link is its nbgitpuller link. With `all_weeks`, an unreleased week is
    listed with its stable week link, which shows when it opens (never a broken pull).
    """
    lines = []
    for week in course.weeks:
        if not week.lab:
            continue
        release = course.lab_release(week)
        if release <= now:
            link = nbgitpuller_link(course, week, base_url)
            lines.append(f"{week.week}\t{week.lab}\topen\t{link}")
        elif all_weeks:
            when = release.astimezone(course.tz).strftime("%Y-%m-%d %H:%M %Z")
            lines.append(f"{week.week}\t{week.lab}\topens {when}\t{week_link(week, base_url)}")
    return lines
