"""`make gpu-check`'s verdicts (hub/gpu/check.py) without Docker: which profile is checked,
failed or skipped for a given inventory and holders, and when the run as a whole fails.

The real allocator and inventory are used; only the containers' labels are given as data, as
the hub reads them from Docker. The check on a running stack is tests/stack/test_gpu_profiles.py.
"""

from __future__ import annotations

from hub.gpu.allocator import Slot
from hub.gpu.check import slot_or_verdict, summary
from hub.gpu.inventory import Inventory

from .builders import FULL, SHARED, plain_gpus, profile

TWO = Inventory(tuple(plain_gpus(2)), "course file")


def holder(slot: Slot, user: str) -> dict[str, str]:
    return slot.labels(user, "")


def test_a_free_profile_gets_a_slot_to_check():
    slot = slot_or_verdict(SHARED, TWO, [])
    assert isinstance(slot, Slot) and slot.devices == ("GPU-0",)


def test_a_profile_with_no_gpu_here_fails_even_while_other_gpu_servers_run():
    elsewhere = profile("elsewhere", "shared", students_per_gpu=3, gpus=[7])
    busy = [holder(Slot("shared", "shared", ("GPU-0",)), "student1")]
    for holders in ([], busy):
        verdict = slot_or_verdict(elsewhere, TWO, holders)
        assert verdict == ("FAIL", ": no GPU for this profile on this server (course file)")


def test_a_full_profile_is_skipped_not_failed():
    one = Inventory(tuple(plain_gpus(1)), "nvml")
    taken = [holder(Slot("full", "exclusive", ("GPU-0",)), "ta1")]
    outcome, reason = slot_or_verdict(FULL, one, taken)
    assert outcome == "SKIP" and "is full" in reason
    # a GPU held by shared users offers no exclusive place: still SKIP, not "no GPU here"
    shared_users = [holder(Slot("shared", "shared", ("GPU-0",)), "student1")]
    assert slot_or_verdict(FULL, one, shared_users)[0] == "SKIP"


def test_a_run_that_checked_nothing_fails_with_the_reason():
    line, status = summary({"PASS": 0, "FAIL": 0, "SKIP": 2}, 2)
    assert status == 1
    assert line.startswith("gpu-check: 0 passed, 0 failed, 2 skipped")
    assert "nothing was checked" in line


def test_a_failed_profile_fails_the_run_and_skips_are_named_as_unchecked():
    assert summary({"PASS": 1, "FAIL": 1, "SKIP": 0}, 2)[1] == 1
    line, status = summary({"PASS": 1, "FAIL": 0, "SKIP": 1}, 2)
    assert status == 0 and "NOT checked" in line
    assert summary({"PASS": 2, "FAIL": 0, "SKIP": 0}, 2) == (
        "gpu-check: 2 passed, 0 failed, 0 skipped (every slot in use) of 2 GPU profiles",
        0,
    )
