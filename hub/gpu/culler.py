"""The GPU-aware culler: a hub service that stops servers holding an unused GPU slot.

Every `--every` seconds it samples NVML, reads the GPU-holding containers' labels from Docker,
and asks the hub API to stop each server idle on its GPU for `--timeout` seconds, recording
the reason for the student's home page. Idle CPU-only servers are left to the normal
jupyterhub-idle-culler.

Run as a hub service (the hub gives it JUPYTERHUB_API_TOKEN and JUPYTERHUB_API_URL):
    python -m hub.gpu.culler --every 60 --notices /srv/jupyterhub/data/gpu-notices.json
The timeout and the busy threshold come from the course file (`culler.gpu_timeout_seconds`,
`culler.gpu_busy_percent`; the file is $COURSE_FILE, default /srv/course/course.yml);
`--timeout`/`--threshold` override them. Its role needs the scope `delete:servers` only.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from urllib.parse import quote

import requests

from hub.gpu.activity import (
    Holder,
    Sample,
    Stop,
    holders_from_containers,
    servers_to_stop,
    update_last_busy,
)
from hub.gpu.allocator import LABEL_DEVICES
from hub.gpu.notices import record_notice

log = logging.getLogger("gpu-culler")


class HubClient:
    """The two hub API calls the culler needs."""

    def __init__(self, api_url: str, token: str, session: requests.Session | None = None):
        self.api_url = api_url.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def stop_server(self, user: str, server: str = "") -> None:
        path = f"/users/{quote(user, safe='')}/server"
        if server:
            path += f"s/{quote(server, safe='')}"
        reply = self.session.delete(self.api_url + path, timeout=30)
        if reply.status_code == 404:
            log.info("server %s/%s was already gone", user, server)
            return
        reply.raise_for_status()  # 202 (stopping) and 204 (stopped) are both fine


class Culler:
    """One culling round per `run_once()`; remembers when each GPU key was last busy."""

    def __init__(
        self,
        *,
        sample: Callable[[], list[Sample]],
        list_containers: Callable[[], Iterable[Mapping]],
        hub: HubClient,
        timeout: dt.timedelta,
        threshold: float = 5.0,
        per_process: bool = False,
        notices: Path | None = None,
        display_names: Mapping[str, str] | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ):
        self.sample = sample
        self.list_containers = list_containers
        self.hub = hub
        self.timeout = timeout
        self.threshold = threshold
        self.per_process = per_process
        self.notices = notices
        self.display_names = dict(display_names or {})
        self.clock = clock
        self.started = clock()
        self.last_busy: dict[str, dt.datetime] = {}
        self.stopped: set[str] = set()  # container ids asked to stop; a stop takes a while


    def run_once(self) -> list[Stop]:
        self.last_busy = update_last_busy(self.last_busy, self.sample(), self.threshold)
        listed = holders_from_containers(self.list_containers())
        self.stopped &= {h.container_id for h in listed}  # forget containers that are gone
        holders: list[Holder] = [h for h in listed if h.container_id not in self.stopped]
        now = self.clock()
        stops = servers_to_stop(
            holders,
            self.last_busy,
            now,
            self.timeout,
            watching_since=self.started,
            per_process=self.per_process,
            display_names=self.display_names,
        )
        done = []
        for stop in stops:
            h = stop.holder
            try:
                self.hub.stop_server(h.user, h.server)
            except requests.RequestException as err:
                log.error("could not stop %s/%s: %s", h.user, h.server, err)
                continue
            self.stopped.add(h.container_id)
            log.info("stopped %s/%s (%s on %s)", h.user, h.server, h.profile, h.devices)
            if self.notices:
                record_notice(self.notices, h.user, stop.reason, now)
            done.append(stop)
        return done


DEFAULT_COURSE_FILE = "/srv/course/course.yml"
STACK_LABEL = "org.course.stack"  # hub.spawner.LABEL_STACK (not imported: no dockerspawner here)


def _docker_containers(stack: str | None) -> list[Mapping]:
    import docker

    labels = [LABEL_DEVICES] + ([f"{STACK_LABEL}={stack}"] if stack else [])
    return docker.APIClient().containers(filters={"label": labels})  # all labels must match


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the culler takes from the course file, after the command line's overrides."""

    timeout: dt.timedelta
    threshold: float
    display_names: Mapping[str, str]


def settings_from(course_file: str, timeout: int | None, threshold: float | None) -> Settings:
    """The course file's GPU culler settings; a flag given on the command line wins.

    A missing or invalid course file stops the service with the file's problems: guessing
    a timeout would stop students' servers on a schedule nobody chose.
    """
    from hub.course import CourseFileError, load_course

    try:
        course = load_course(course_file)
    except CourseFileError as err:
        raise SystemExit(f"gpu-culler: {err}") from None
    return Settings(
        timeout=dt.timedelta(
            seconds=course.culler.gpu_timeout_seconds if timeout is None else timeout
        ),
        threshold=course.culler.gpu_busy_percent if threshold is None else threshold,
        display_names={p.slug: p.display_name for p in course.profiles},
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int,
                        help="idle seconds before a stop (default: culler.gpu_timeout_seconds)")
    parser.add_argument("--every", type=int, default=60, help="seconds between samples")
    parser.add_argument("--threshold", type=float,
                        help="busy at this %% or more (default: culler.gpu_busy_percent)")
    parser.add_argument("--per-process", action="store_true",
                        help="judge shared GPUs per container (needs the host PID namespace)")
    parser.add_argument("--notices", type=Path, help="JSON file of stop reasons for the hub")
    parser.add_argument("--course", default=os.environ.get("COURSE_FILE", DEFAULT_COURSE_FILE),
                        help="course file: culler settings and profile names ($COURSE_FILE)")
    parser.add_argument("--stack", default=os.environ.get("STACK_NAME"),
                        help="judge only this stack's containers ($STACK_NAME; default: all)")
    parser.add_argument("--once", action="store_true", help="one round, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # os.environ[...]: a missing setting stops the service with its name.
    hub = HubClient(os.environ["JUPYTERHUB_API_URL"], os.environ["JUPYTERHUB_API_TOKEN"])
    settings = settings_from(args.course, args.timeout, args.threshold)

    from hub.gpu.sampler import NvmlSampler

    try:
        import pynvml

        sampler = NvmlSampler(pynvml, per_process=args.per_process)
    except Exception as err:  # ImportError, NVMLError_LibraryNotFound, ...
        message = f"gpu-culler: NVML unavailable ({err}); it needs the NVIDIA driver"
        raise SystemExit(message) from err
    culler = Culler(
        sample=sampler.sample,
        list_containers=lambda: _docker_containers(args.stack),
        hub=hub,
        timeout=settings.timeout,
        threshold=settings.threshold,
        per_process=args.per_process,
        notices=args.notices,
        display_names=settings.display_names,
    )
    log.info(
        "watching GPU slots: idle after %ss below %s%% busy, sampling every %ss",
        int(settings.timeout.total_seconds()), settings.threshold, args.every,
    )
    try:
        while True:
            try:
                culler.run_once()
            except Exception:  # Docker or NVML hiccup: log it, try again next round
                log.exception("culling round failed")
            if args.once:
                return
            time.sleep(args.every)
    finally:
        sampler.close()


if __name__ == "__main__":
    main()
