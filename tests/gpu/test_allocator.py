import pytest

from hub.course import Gpu, MigInstance
from hub.gpu.allocator import (
    NoGpuSlot,
    Slot,
    allocate,
    capacity,
    free_places,
    holding_labels,
    occupancy_from_labels,
)

from .builders import CPU, FULL, MIG, PROFILES, SHARED, mig_gpu, plain_gpus, profile


def take(profile_, gpus, holders, allowed=PROFILES):
    slot = allocate(profile_, gpus, holders, allowed)
    holders.append(slot.labels(user=f"u{len(holders)}"))
    return slot


def test_cpu_profile_gets_no_device(gpus):
    slot = allocate(CPU, gpus, [])
    assert slot == Slot("cpu", "none")
    assert slot.device_request() is None
    assert slot.docker_device_request() is None


def test_shared_spreads_over_gpus_least_loaded_first(gpus):
    holders = []
    picks = [take(SHARED, gpus, holders).devices for _ in range(6)]
    assert picks == [("GPU-0",), ("GPU-1",)] * 3
    with pytest.raises(NoGpuSlot):
        take(SHARED, gpus, holders)


def test_shared_never_uses_a_mig_gpu():
    gpus = [Gpu(index=0, uuid="GPU-0", mig=[MigInstance(uuid="MIG-0", profile="1g.10gb")])]
    with pytest.raises(NoGpuSlot, match="has no GPU on this server"):
        allocate(SHARED, gpus, [])


def test_mig_gives_each_server_its_own_slice(gpus):
    holders = []
    picks = [take(MIG, gpus, holders).devices[0] for _ in range(3)]
    assert picks == ["MIG-2-0", "MIG-2-1", "MIG-2-2"]
    with pytest.raises(NoGpuSlot, match=r"is full \(3 of 3 places in use\)"):
        take(MIG, gpus, holders)


def test_mig_profile_must_match(gpus):
    other = profile("mig3", "mig", mig_profile="3g.40gb")
    with pytest.raises(NoGpuSlot, match="has no GPU"):
        allocate(other, gpus, [])


def test_exclusive_waits_for_a_gpu_without_shared_users(gpus):
    holders = []
    take(SHARED, gpus, holders)  # GPU-0 now has a shared user
    assert take(FULL, gpus, holders).devices == ("GPU-1",)
    with pytest.raises(NoGpuSlot):
        take(FULL, gpus, holders)
    # shared users are never put on the exclusively held GPU
    assert {take(SHARED, gpus, holders).devices for _ in range(2)} == {("GPU-0",)}


def test_stopping_gives_the_slot_back(gpus):
    holders = []
    take(FULL, gpus, holders)
    take(FULL, gpus, holders)
    with pytest.raises(NoGpuSlot):
        take(FULL, gpus, holders)
    holders.pop(0)
    assert take(FULL, gpus, holders).devices == ("GPU-0",)


def test_full_profile_names_alternatives_with_room(gpus):
    holders = []
    for _ in range(3):
        take(MIG, gpus, holders)
    with pytest.raises(NoGpuSlot) as err:
        allocate(MIG, gpus, holders, allowed=[CPU, SHARED, MIG])
    message = str(err.value)
    assert 'The profile "GPU slice (MIG 1g.10gb)" is full (3 of 3 places in use).' in message
    assert '"CPU (2 cores, 4 GB)"' in message
    assert '"Shared GPU" (6 free)' in message
    assert "Full GPU" not in message, "only profiles the user may choose are offered"
    assert err.value.alternatives == ['"CPU (2 cores, 4 GB)"', '"Shared GPU" (6 free)']
    assert err.value.jupyterhub_message == message


def test_full_profile_without_alternatives_says_try_later(gpus):
    holders = []
    take(FULL, gpus, holders, allowed=[FULL])
    take(FULL, gpus, holders, allowed=[FULL])
    with pytest.raises(NoGpuSlot, match="No other profile you may use has room"):
        take(FULL, gpus, holders, allowed=[FULL])


def test_device_request_names_exact_devices():
    slot = Slot("mig", "mig", ("MIG-2-1",))
    assert slot.device_request() == {
        "Driver": "nvidia",
        "Count": 0,
        "DeviceIDs": ["MIG-2-1"],
        "Capabilities": [["gpu"]],
        "Options": {},
    }
    request = slot.docker_device_request()
    assert (request.driver, request.device_ids, request.capabilities, request.count) == (
        "nvidia", ["MIG-2-1"], [["gpu"]], 0
    )


def test_labels_round_trip_to_occupancy():
    slots = [
        Slot("shared", "shared", ("GPU-0",)),
        Slot("shared", "shared", ("GPU-0",)),
        Slot("full", "exclusive", ("GPU-1",)),
        Slot("mig", "mig", ("MIG-2-0",)),
        Slot("cpu", "none"),
    ]
    occ = occupancy_from_labels(s.labels(user="x") for s in slots)
    assert occ.shared == {"GPU-0": 2}
    assert occ.exclusive == {"GPU-1"}
    assert occ.mig == {"MIG-2-0"}
    assert occ.by_profile == {"shared": 2, "full": 1, "mig": 1, "cpu": 1}


def test_unlabelled_containers_are_ignored():
    assert occupancy_from_labels([{}, {"other": "x"}]).by_profile == {}


def test_only_live_containers_hold_slots():
    labels = Slot("full", "exclusive", ("GPU-0",)).labels(user="ann")
    containers = [
        {"State": "running", "Labels": labels},
        {"State": "created", "Labels": labels},
        {"State": "exited", "Labels": labels},
        {"State": "dead", "Labels": labels},
        {"State": "running", "Labels": None},
    ]
    assert holding_labels(containers) == [labels, labels, {}]


def test_capacity_counts_places_usable_now(gpus):
    holders = []
    take(FULL, gpus, holders)
    take(SHARED, gpus, holders)
    occ = occupancy_from_labels(holders)
    assert capacity(SHARED, gpus, occ) == (1, 3)  # GPU-0 is held whole
    assert capacity(FULL, gpus, occ) == (1, 1)
    assert capacity(MIG, gpus, occ) == (0, 3)
    with pytest.raises(ValueError):
        capacity(CPU, gpus, occ)


def test_docker_sdk_turns_either_form_into_the_same_host_config():
    import docker

    client = docker.APIClient(version="1.41")  # builds configs only, never connects
    slot = Slot("shared", "shared", ("GPU-0",))
    from_dict = client.create_host_config(device_requests=[slot.device_request()])
    from_type = client.create_host_config(device_requests=[slot.docker_device_request()])
    assert from_dict["DeviceRequests"] == from_type["DeviceRequests"] == [
        {"Driver": "nvidia", "Count": 0, "DeviceIDs": ["GPU-0"], "Capabilities": [["gpu"]],
         "Options": {}}
    ]


# -- profiles limited to some GPUs (gpu.gpus) --------------------------------------------


def test_pinned_exclusive_leaves_the_other_gpus_for_shared():
    gpus = plain_gpus(3)
    full = profile("full", "exclusive", gpus=[2])
    shared = profile("shared", "shared", students_per_gpu=2, gpus=[0, 1])
    holders = []
    assert take(full, gpus, holders, [shared, full]).devices == ("GPU-2",)
    with pytest.raises(NoGpuSlot, match=r"is full \(1 of 1 places in use\)"):
        take(full, gpus, holders, [shared, full])
    picks = [take(shared, gpus, holders, [shared, full]).devices for _ in range(4)]
    assert sorted(picks) == [("GPU-0",), ("GPU-0",), ("GPU-1",), ("GPU-1",)]
    with pytest.raises(NoGpuSlot, match=r"is full \(4 of 4 places in use\)"):
        take(shared, gpus, holders, [shared, full])


def test_pinned_shared_is_full_although_other_gpus_are_idle():
    gpus = plain_gpus(2)
    shared = profile("shared", "shared", students_per_gpu=1, gpus=[1])
    holders = []
    assert take(shared, gpus, holders).devices == ("GPU-1",)
    with pytest.raises(NoGpuSlot, match=r"is full \(1 of 1 places in use\)"):
        take(shared, gpus, holders)
    occ = occupancy_from_labels(holders)
    assert capacity(shared, gpus, occ) == (1, 1)
    assert free_places(shared, gpus, occ) == 0
    assert free_places(FULL, gpus, occ) == 1, "an unpinned profile still sees GPU 0"


def test_pinned_mig_uses_only_slices_of_its_gpus():
    gpus = [mig_gpu(0, 2), mig_gpu(1, 2)]
    mig = profile("mig", "mig", mig_profile="1g.10gb", gpus=[1])
    holders = []
    assert [take(mig, gpus, holders).devices[0] for _ in range(2)] == ["MIG-1-0", "MIG-1-1"]
    with pytest.raises(NoGpuSlot, match=r"\(2 of 2 places in use\)"):
        take(mig, gpus, holders)


def test_pinned_to_a_gpu_the_server_lacks_says_no_gpu():
    gpus = plain_gpus(2)
    with pytest.raises(NoGpuSlot, match="has no GPU on this server"):
        allocate(profile("full", "exclusive", gpus=[5]), gpus, [])


def test_pinned_capacity_counts_only_its_gpus():
    gpus = plain_gpus(4)
    shared = profile("shared", "shared", students_per_gpu=3, gpus=[0, 1])
    full = profile("full", "exclusive", gpus=[1, 2])
    occ = occupancy_from_labels([Slot("full", "exclusive", ("GPU-1",)).labels("u")])
    assert capacity(shared, gpus, occ) == (0, 3), "GPU-1 is held whole"
    assert free_places(shared, gpus, occ) == 3
    assert capacity(full, gpus, occ) == (1, 2)
    assert free_places(full, gpus, occ) == 1


def test_a_profile_pool_keeps_gpus_apart(gpus):
    students = profile("shared", "shared", students_per_gpu=2, gpus=[0])
    projects = profile("full", "exclusive", gpus=[1])
    holders = []
    assert {take(students, gpus, holders).devices for _ in range(2)} == {("GPU-0",)}
    with pytest.raises(NoGpuSlot, match=r"is full \(2 of 2 places in use\)"):
        take(students, gpus, holders)
    assert take(projects, gpus, holders).devices == ("GPU-1",)
    with pytest.raises(NoGpuSlot):
        take(projects, gpus, holders)


def test_a_mig_pool_limits_the_slices(gpus):
    elsewhere = profile("mig", "mig", mig_profile="1g.10gb", gpus=[0, 1])
    with pytest.raises(NoGpuSlot, match="has no GPU on this server"):
        allocate(elsewhere, gpus, [])
    here = profile("mig", "mig", mig_profile="1g.10gb", gpus=[2])
    assert allocate(here, gpus, []).devices == ("MIG-2-0",)
