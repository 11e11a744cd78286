"""GPU slots: which GPU or MIG instance a new server gets.

The allocator keeps no state of its own. The running containers' labels say who holds what
(`occupancy_from_labels`), so a hub restart rebuilds exactly the same picture and nothing can
drift. `allocate()` is a pure function of (profile, inventory, those labels).

Rules:
- `shared`: the least-loaded GPU whose load is below the profile's `students_per_gpu`;
- `mig`: a free MIG instance of the profile's `mig_profile`;
- `exclusive`: a whole GPU nobody uses;
- a GPU held exclusively takes no shared users and the other way round; GPUs that have
  MIG instances are used for `mig` only;
- a profile whose `gpu.gpus` lists GPU indexes uses those GPUs only (empty: every GPU), so a
  course can keep some GPUs for students and others for projects.
The caller must hold one lock from reading the labels until the container exists, or two
spawns could pick the same free slot.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from hub.course import Gpu, Profile

LABEL_PROFILE = "course.gpu.profile"
LABEL_MODE = "course.gpu.mode"
LABEL_DEVICES = "course.gpu.devices"  # comma-separated GPU or MIG UUIDs
LABEL_USER = "course.user"  # whose server (the GPU culler stops it through the hub API)
LABEL_SERVER = "course.server"  # the server's name, "" for the default server

# Docker states in which a container still holds its devices. "created" counts: a spawn in
# progress has created its container but not started it yet.
HOLDING_STATES = frozenset({"created", "running", "restarting", "paused"})


class NoGpuSlot(RuntimeError):
    """No slot is free for the chosen profile; the message says what to choose instead."""

    def __init__(self, profile: Profile, used: int, capacity: int, alternatives: list[str]):
        self.profile = profile
        self.used = used
        self.capacity = capacity
        self.alternatives = alternatives
        if capacity == 0:
            why = f'The profile "{profile.display_name}" has no GPU on this server.'
        else:
            why = (
                f'The profile "{profile.display_name}" is full '
                f"({used} of {capacity} places in use)."
            )
        if alternatives:
            then = "Free now: " + ", ".join(alternatives) + ". Please choose one of these."
        else:
            then = "No other profile you may use has room now; please try again later."
        super().__init__(f"{why} {then}")
        # JupyterHub shows this attribute on the "spawn failed" page (format_exception).
        self.jupyterhub_message = str(self)


@dataclasses.dataclass(frozen=True)
class Slot:
    """What one server holds: the profile, its GPU mode and the device ids given to Docker."""

    profile: str
    mode: str
    devices: tuple[str, ...] = ()

    def labels(self, user: str, server: str = "") -> dict[str, str]:
        """Container labels recording this slot (the allocator's only memory)."""
        return {
            LABEL_USER: user,
            LABEL_SERVER: server,
            LABEL_PROFILE: self.profile,
            LABEL_MODE: self.mode,
            LABEL_DEVICES: ",".join(self.devices),
        }

    def device_request(self) -> dict | None:
        """The HostConfig.DeviceRequests entry (Docker API form), or None without a GPU."""
        if not self.devices:
            return None
        return {
            "Driver": "nvidia",
            "Count": 0,
            "DeviceIDs": list(self.devices),
            "Capabilities": [["gpu"]],
            "Options": {},
        }

    def docker_device_request(self):
        """The same as a `docker.types.DeviceRequest` (for `extra_host_config`), or None."""
        if not self.devices:
            return None
        from docker.types import DeviceRequest

        return DeviceRequest(driver="nvidia", device_ids=list(self.devices), capabilities=[["gpu"]])


@dataclasses.dataclass(frozen=True)
class Occupancy:
    """Who holds what, as read from the labels. Equal labels give equal occupancy."""

    shared: Mapping[str, int]  # GPU uuid -> number of shared users
    exclusive: frozenset[str]  # GPU uuids held whole
    mig: frozenset[str]  # MIG uuids in use
    by_profile: Mapping[str, int]  # profile slug -> servers holding it

    def load(self, gpu: Gpu) -> int:
        return self.shared.get(gpu.uuid, 0)

    def gpu_is_free(self, gpu: Gpu) -> bool:
        return not gpu.mig and self.load(gpu) == 0 and gpu.uuid not in self.exclusive


def holding_labels(containers: Iterable[Mapping]) -> list[Mapping[str, str]]:
    """The labels of containers that still hold devices.

    Takes the Docker API's container list (`docker.APIClient().containers(all=True)`: dicts
    with "State" and "Labels"); exited containers have given their slot back.
    """
    return [
        c.get("Labels") or {}
        for c in containers
        if str(c.get("State", "")).lower() in HOLDING_STATES
    ]


def occupancy_from_labels(labels: Iterable[Mapping[str, str]]) -> Occupancy:
    shared: Counter[str] = Counter()
    exclusive: set[str] = set()
    mig: set[str] = set()
    by_profile: Counter[str] = Counter()
    for label in labels:
        mode = label.get(LABEL_MODE)
        if mode is None:
            continue  # not one of ours (or made before GPU slots existed)
        by_profile[label.get(LABEL_PROFILE, "")] += 1
        devices = [d for d in label.get(LABEL_DEVICES, "").split(",") if d]
        if mode == "shared":
            shared.update(devices)
        elif mode == "exclusive":
            exclusive.update(devices)
        elif mode == "mig":
            mig.update(devices)
    return Occupancy(dict(shared), frozenset(exclusive), frozenset(mig), dict(by_profile))


# -- choosing -------------------------------------------------------------------------------


def permitted_gpus(profile: Profile, gpus: Sequence[Gpu]) -> list[Gpu]:
    """The GPUs this profile may use: those in `gpu.gpus`, or all when it is empty."""
    only = set(profile.gpu.gpus)
    return [g for g in gpus if not only or g.index in only]


def _shared_candidates(profile: Profile, gpus: Sequence[Gpu], occ: Occupancy) -> list[Gpu]:
    limit = profile.gpu.students_per_gpu
    return [
        g for g in permitted_gpus(profile, gpus)
        if not g.mig and g.uuid not in occ.exclusive and occ.load(g) < limit
    ]


def _free_migs(profile: Profile, gpus: Sequence[Gpu], occ: Occupancy) -> list[str]:
    return [
        m.uuid
        for g in sorted(permitted_gpus(profile, gpus), key=lambda g: g.index)
        for m in g.mig
        if m.profile == profile.gpu.mig_profile and m.uuid not in occ.mig
    ]


def capacity(profile: Profile, gpus: Sequence[Gpu], occ: Occupancy) -> tuple[int, int]:
    """(places in use, places that exist now) for a GPU profile.

    "Exist now" counts only GPUs this mode may use at the moment: a GPU held exclusively
    offers no shared places, and one with shared users offers no exclusive place.
    """
    mode = profile.gpu.mode
    gpus = permitted_gpus(profile, gpus)
    if mode == "shared":
        usable = [g for g in gpus if not g.mig and g.uuid not in occ.exclusive]
        used = sum(occ.load(g) for g in usable)
        return used, len(usable) * profile.gpu.students_per_gpu
    if mode == "mig":
        mine = [m for g in gpus for m in g.mig if m.profile == profile.gpu.mig_profile]
        return sum(m.uuid in occ.mig for m in mine), len(mine)
    if mode == "exclusive":
        whole = [g for g in gpus if not g.mig]
        held = sum(g.uuid in occ.exclusive for g in whole)
        return held, held + sum(occ.gpu_is_free(g) for g in whole)
    raise ValueError(f"profile {profile.slug!r} has no GPU (mode {mode!r})")


def free_places(profile: Profile, gpus: Sequence[Gpu], occ: Occupancy) -> int | None:
    """How many more servers of this profile fit now (None: no GPU, so no GPU limit)."""
    mode = profile.gpu.mode
    if mode == "none":
        return None
    if mode == "shared":
        limit = profile.gpu.students_per_gpu
        return sum(limit - occ.load(g) for g in _shared_candidates(profile, gpus, occ))
    if mode == "mig":
        return len(_free_migs(profile, gpus, occ))
    if mode == "exclusive":
        return sum(occ.gpu_is_free(g) for g in permitted_gpus(profile, gpus))
    raise ValueError(f"unknown GPU mode {mode!r} in profile {profile.slug!r}")


def choose(profile: Profile, gpus: Sequence[Gpu], occ: Occupancy) -> Slot | None:
    """The slot this profile would get now, or None when it is full."""
    mode = profile.gpu.mode
    if mode == "none":
        return Slot(profile.slug, "none")
    if mode == "shared":
        candidates = _shared_candidates(profile, gpus, occ)
        if not candidates:
            return None
        best = min(candidates, key=lambda g: (occ.load(g), g.index))
        return Slot(profile.slug, mode, (best.uuid,))
    if mode == "mig":
        free = _free_migs(profile, gpus, occ)
        return Slot(profile.slug, mode, (free[0],)) if free else None
    if mode == "exclusive":
        permitted = permitted_gpus(profile, gpus)
        free = sorted((g for g in permitted if occ.gpu_is_free(g)), key=lambda g: g.index)
        return Slot(profile.slug, mode, (free[0].uuid,)) if free else None
    raise ValueError(f"unknown GPU mode {mode!r} in profile {profile.slug!r}")


def _alternative(profile: Profile, gpus: Sequence[Gpu], occ: Occupancy) -> str | None:
    free = free_places(profile, gpus, occ)
    if free is None:
        return f'"{profile.display_name}"'
    return f'"{profile.display_name}" ({free} free)' if free > 0 else None


def allocate(
    profile: Profile,
    gpus: Sequence[Gpu],
    labels: Iterable[Mapping[str, str]],
    allowed: Sequence[Profile] = (),
) -> Slot:
    """Pick the slot for a new server of `profile`, given the holders' labels.

    `allowed` are the profiles this user may choose; when `profile` is full, the error names
    those that have room now.
    """
    occ = occupancy_from_labels(labels)
    slot = choose(profile, gpus, occ)
    if slot is not None:
        return slot
    used, total = capacity(profile, gpus, occ)
    alternatives = [
        text
        for other in allowed
        if other.slug != profile.slug and (text := _alternative(other, gpus, occ))
    ]
    raise NoGpuSlot(profile, used, total, alternatives)
