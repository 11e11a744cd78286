"""The hub's stable per-week lab link, /hub/course/week/<n>.

Released week: a redirect to the week's nbgitpuller link. Unreleased week: a page saying when
it opens, in the course's time zone (templates/lab_opens.html), never an error trace. Served
inside the hub through `c.JupyterHub.extra_handlers` (see `course_handlers`), so it shares the
hub's login, templates and page chrome.
"""

from __future__ import annotations

from collections.abc import Callable

from jupyterhub.handlers import BaseHandler
from tornado import web

from hub.course import Course
from hub.home import Clock, utc_now, week_destination

WEEK_ROUTE = r"/course/week/([0-9]{1,2})"  # JupyterHub prefixes it with /hub/


class CourseWeekHandler(BaseHandler):
    def initialize(self, get_course: Callable[[], Course], clock: Clock = utc_now) -> None:
        self.get_course = get_course
        self.clock = clock

    @web.authenticated
    async def get(self, number: str) -> None:
        course = self.get_course()
        try:
            pull_url, entry = week_destination(course, int(number), self.clock(), self.base_url)
        except KeyError as err:
            message = f"{err.args[0]}. The course home page lists every lab."
            raise web.HTTPError(404, message) from None
        if pull_url:
            self.redirect(pull_url)
            return
        html = await self.render_template(
            "lab_opens.html", lab=entry, course_title=course.course.title,
            timezone=course.course.timezone,
        )
        self.finish(html)


def course_handlers(get_course: Callable[[], Course], clock: Clock = utc_now) -> list[tuple]:
    """`c.JupyterHub.extra_handlers` entries for the course's own pages."""
    return [(WEEK_ROUTE, CourseWeekHandler, {"get_course": get_course, "clock": clock})]
