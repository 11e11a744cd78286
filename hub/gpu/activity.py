"""Which servers hold a GPU slot without using it, and what to tell their owners.

Pure functions; `hub.gpu.culler` feeds them from Docker labels and NVML.

Activity is measured per *key*: a GPU or MIG UUID, or `container:<id>` when a process can be
traced to its container. A server is busy while any of its keys had a busy sample within the
timeout. Exclusive and MIG servers own their device, so the device is their key. On a shared
GPU the device's utilisation cannot say which student used it, so a shared server's key is its
container when the sampler can attribute processes, else the GPU, which is conservative: a busy
shared GPU protects everyone on it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from hub.gpu.allocator import LABEL_DEVICES, LABEL_MODE, LABEL_PROFILE

LABEL_USER = "course.user"
LABEL_SERVER = "course.server"  # "" for the user's default server


@dataclasses.dataclass(frozen=True)
class Holder:
    """One running server that holds a GPU slot."""

    user: str
    server: str  # "" for the default server
    profile: str
    mode: str
    devices: tuple[str, ...]
    container_id: str
    since: dt.datetime  # when the slot was taken (container creation)

    def keys(self, per_process: bool) -> tuple[str, ...]:
        if self.mode == "shared" and per_process:
            return (container_key(self.container_id),)
        return self.devices


@dataclasses.dataclass(frozen=True)
class Sample:
    key: str  # GPU/MIG UUID or container_key(id)
    at: dt.datetime
    utilisation: float  # percent, 0..100


@dataclasses.dataclass(frozen=True)
class Stop:
    holder: Holder
    reason: str


def container_key(container_id: str) -> str:
    return f"container:{container_id}"


def holders_from_containers(containers: Iterable[Mapping]) -> list[Holder]:
    """GPU-holding servers from the Docker API's container list (running ones only)."""
    out = []
    for c in containers:
        labels = c.get("Labels") or {}
        devices = tuple(d for d in labels.get(LABEL_DEVICES, "").split(",") if d)
        if str(c.get("State", "")).lower() != "running" or not devices or LABEL_USER not in labels:
            continue
        out.append(
            Holder(
                user=labels[LABEL_USER],
                server=labels.get(LABEL_SERVER, ""),
                profile=labels.get(LABEL_PROFILE, ""),
                mode=labels.get(LABEL_MODE, ""),
                devices=devices,
                container_id=c["Id"],
                since=dt.datetime.fromtimestamp(c["Created"], dt.UTC),
            )
        )
    return out


def update_last_busy(
    last_busy: Mapping[str, dt.datetime], samples: Iterable[Sample], threshold: float
) -> dict[str, dt.datetime]:
    """Fold new samples into "key -> last time it was busy" (returns a new dict)."""
    out = dict(last_busy)
    for s in samples:
        if s.utilisation >= threshold and (s.key not in out or out[s.key] < s.at):
            out[s.key] = s.at
    return out


def _minutes(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def reason_text(holder: Holder, idle: dt.timedelta, display_name: str | None = None) -> str:
    """The notice shown to the student on the home page."""
    name = display_name or holder.profile
    return (
        f'Your server was stopped because it held a GPU ("{name}") with no GPU activity for '
        f"{_minutes(idle)}, and other students were waiting for GPUs. Your files are kept. "
        f"Start it again when you need the GPU, or pick a CPU profile for work without one."
    )


def servers_to_stop(
    holders: Sequence[Holder],
    last_busy: Mapping[str, dt.datetime],
    now: dt.datetime,
    timeout: dt.timedelta,
    *,
    watching_since: dt.datetime,
    per_process: bool = False,
    display_names: Mapping[str, str] | None = None,
) -> list[Stop]:
    """The holders idle on the GPU for at least `timeout`, each with the reason to show.

    Idle time counts from the latest of: the slot being taken, the last busy sample on any of
    the server's keys, and `watching_since` (the culler's own start, so a restarted culler with
    no history stops nobody before a full timeout has passed).
    """
    display_names = display_names or {}
    stops = []
    for h in holders:
        seen = [last_busy[k] for k in h.keys(per_process) if k in last_busy]
        idle_from = max([h.since, watching_since, *seen])
        idle = now - idle_from
        if idle >= timeout:
            stops.append(Stop(h, reason_text(h, idle, display_names.get(h.profile))))
    return stops
