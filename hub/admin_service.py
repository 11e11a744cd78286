"""The hub's `course-admin` service: keeps ngshare and the published labs in line with the course.

JupyterHub starts it with the service's token. At start it syncs the roster into the hub (users
dropped from the roster while the hub was down are removed, groups follow the roster) and into
ngshare (retrying until each answers: ngshare may start after the hub) and publishes the released
labs;
then it sleeps until the next lab release (at most `RECHECK` seconds) and publishes again, so
week N appears at its release time with no staff action.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import time
from pathlib import Path

from hub import hub_sync
from hub.course import Course, load_course
from hub.ngshare import Ngshare, NgshareError
from hub.ngshare_sync import sync_from_files
from hub.publish import PublishError, publish
from hub.roster import load_roster

RECHECK = 300  # seconds; also picks up a course file edited on the server


def next_release(course: Course, now: dt.datetime) -> dt.datetime | None:
    upcoming = [course.lab_release(w) for w in course.weeks if w.lab]
    return min((t for t in upcoming if t > now), default=None)


def seconds_to_sleep(course: Course, now: dt.datetime) -> float:
    nxt = next_release(course, now)
    if nxt is None:
        return RECHECK
    return max(1.0, min(RECHECK, (nxt - now).total_seconds() + 1))


def publish_released(course_file: Path, repo: str) -> None:
    course = load_course(course_file)
    now = dt.datetime.now(dt.UTC)
    try:
        print(publish(course, course_file.parent / "labs", now, repo=repo).summary(), flush=True)
    except PublishError as err:
        print(f"lab publication refused:\n{err}", flush=True)


def sync_roster(course_file: Path, hub: hub_sync.HubApi, ngshare: Ngshare) -> None:
    def hub_once() -> str:
        course = load_course(course_file)
        roster = load_roster(course_file.parent / course.roster)
        plan = hub_sync.sync(hub, roster, course.auth.admin_users)
        return "\n".join(plan.lines(done=True))

    for what, once in (
        ("hub", hub_once),
        ("ngshare", lambda: sync_from_files(course_file, ngshare)),
    ):
        delay = 1.0
        while True:
            try:
                print(once(), flush=True)
                break
            except (hub_sync.HubApiError, NgshareError, OSError) as err:  # requests: OSErrors
                print(f"roster sync: waiting for {what} ({err})", flush=True)
                time.sleep(delay)
                delay = min(delay * 2, 30)


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    course_file = Path(os.environ.get("COURSE_FILE", "/srv/course/course.yml"))
    repo = os.environ.get("LABS_REPO", "/srv/labs.git")
    ngshare = Ngshare(
        os.environ.get("NGSHARE_URL", "http://ngshare:10101/services/ngshare"),
        os.environ["JUPYTERHUB_API_TOKEN"],
    )
    hub = hub_sync.HubApi(
        os.environ.get("JUPYTERHUB_API_URL", "http://hub:8081/hub/api"),
        os.environ["JUPYTERHUB_API_TOKEN"],
    )
    sync_roster(course_file, hub, ngshare)
    while True:
        publish_released(course_file, repo)
        time.sleep(seconds_to_sleep(load_course(course_file), dt.datetime.now(dt.UTC)))


if __name__ == "__main__":
    main()
