"""`make gpu-check`: after a deploy, prove each GPU profile really gets a working GPU.

    python -m hub.gpu.check [--timeout S]     (in the hub container: `make gpu-check`)

For each GPU profile of the course file it takes a free slot from the allocator (as a spawn
would: same inventory, same labels, so a running course is never double-booked), starts a
throw-away container from the student image with that slot's device request and the profile's
limits, no network, and runs `python -m coursekit.gpucheck --require-gpu` in it (devices and
memory, a matmul, a training step, PyG on the GPU). The container is removed afterwards. One
line per profile: PASS, FAIL with the reason, or SKIP when every slot of a profile that does have
GPUs here is in use. Exit 1 if any profile failed or if nothing was checked (no GPU profile, or
every profile skipped): a check that checked nothing is not a pass.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import docker

from hub.course import Profile, load_course, memory_bytes
from hub.gpu.allocator import NoGpuSlot, Slot, allocate, holding_labels
from hub.gpu.inventory import discover_inventory
from hub.settings import Settings

LABEL_STACK = "org.course.stack"  # as hub.spawner (not imported: it pulls in the hub)
CHECK_USER = "gpu-check"  # the slot's owner label while the check runs
VERDICT_TAG = "GPUCHECK "  # coursekit.gpucheck prints its JSON after this


def check_container(
    client: docker.APIClient, image: str, stack: str, profile: Profile, slot: Slot
) -> dict:
    """Create the throw-away container for `slot` (not started)."""
    host_config = client.create_host_config(
        device_requests=[slot.docker_device_request()],
        network_mode="none",
        nano_cpus=int(profile.cpu * 1e9),
        mem_limit=memory_bytes(profile.memory),
        pids_limit=profile.pids,
        cap_drop=["ALL"],
        security_opt=["no-new-privileges:true"],
    )
    return client.create_container(
        image,
        command=["python", "-m", "coursekit.gpucheck", "--require-gpu", "--json"],
        environment={"OMP_NUM_THREADS": str(max(1, int(profile.cpu)))},
        labels={LABEL_STACK: stack, **slot.labels(CHECK_USER, profile.slug)},
        host_config=host_config,
    )


def check_profile(
    client: docker.APIClient, image: str, stack: str, profile: Profile, slot: Slot, timeout: float
) -> tuple[bool, str]:
    """Run the student image's GPU check on `slot`; (passed, one-line reason)."""
    container = check_container(client, image, stack, profile, slot)["Id"]
    try:
        try:
            client.start(container)
        except docker.errors.APIError as err:
            return False, (
                f"Docker could not start a container with {','.join(slot.devices)}: "
                f"{err.explanation or err}. Is the NVIDIA container toolkit installed and "
                "Docker restarted since (docs/gpus.md)?"
            )
        try:
            status = client.wait(container, timeout=timeout)["StatusCode"]
        except Exception:  # requests' ReadTimeout: the check hung
            return False, f"no verdict after {timeout:.0f} s (the GPU check hung)"
        output = client.logs(container, stdout=True, stderr=True).decode(errors="replace")
        for line in reversed(output.splitlines()):
            if line.startswith(VERDICT_TAG):
                verdict = json.loads(line[len(VERDICT_TAG) :])["verdict"]
                return status == 0, verdict
        return False, f"exit {status} without a verdict: {output.strip()[-400:]}"
    finally:
        client.remove_container(container, force=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=300, help="seconds per profile")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    course = load_course(settings.course_file)
    profiles = [p for p in course.profiles if p.gpu.mode != "none"]
    if not profiles:
        print(
            f"gpu-check: FAIL: {settings.course_file} defines no GPU profile, so nothing was "
            "checked (give the server `gpu: false` in the inventory if it is a CPU course)"
        )
        return 1
    inventory = discover_inventory(course.gpus)
    print(inventory.describe(), flush=True)
    client = docker.APIClient(version="auto")
    image = course.images.student
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for profile in profiles:
        start = time.monotonic()
        outcome, reason = _check(client, image, settings.stack, profile, inventory, args.timeout)
        counts[outcome] += 1
        print(
            f"{outcome} {profile.slug} ({profile.display_name}){reason} "
            f"({time.monotonic() - start:.0f} s)",
            flush=True,
        )
    line, status = summary(counts, len(profiles))
    print(line)
    return status


def summary(counts: dict[str, int], profiles: int) -> tuple[str, int]:
    """The closing line and the exit status: 1 when a profile failed or none was checked."""
    line = (
        f"gpu-check: {counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped "
        f"(every slot in use) of {profiles} GPU profiles"
    )
    if counts["FAIL"]:
        return line, 1
    if not counts["PASS"]:
        return (
            f"{line}: FAIL: nothing was checked; stop the running GPU servers (or wait for a "
            "quiet hour) and run it again",
            1,
        )
    if counts["SKIP"]:
        return f"{line}: the skipped profiles were NOT checked", 0
    return line, 0


def slot_or_verdict(profile: Profile, inventory, holders) -> Slot | tuple[str, str]:
    """The slot to check `profile` on, or the verdict when there is none: FAIL when this server
    has no GPU for the profile at all (whatever else runs), SKIP when its slots are all taken."""
    try:
        return allocate(profile, inventory.gpus, holders)
    except NoGpuSlot as busy:
        try:  # would it get a slot on an idle server? (held GPUs count as none for a mode)
            allocate(profile, inventory.gpus, [])
        except NoGpuSlot:
            return "FAIL", f": no GPU for this profile on this server ({inventory.source})"
        return "SKIP", f": {busy}"


def _check(client, image, stack, profile, inventory, timeout) -> tuple[str, str]:
    containers = client.containers(all=True, filters={"label": f"{LABEL_STACK}={stack}"})
    slot = slot_or_verdict(profile, inventory, holding_labels(containers))
    if not isinstance(slot, Slot):
        return slot
    try:
        ok, reason = check_profile(client, image, stack, profile, slot, timeout)
    except docker.errors.DockerException as err:
        ok, reason = False, f"Docker refused the check container: {err}"
    return ("PASS" if ok else "FAIL"), f" on {','.join(slot.devices)}: {reason}"


if __name__ == "__main__":
    sys.exit(main())
