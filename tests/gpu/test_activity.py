import datetime as dt

from hub.gpu.activity import (
    Holder,
    Sample,
    container_key,
    holders_from_containers,
    servers_to_stop,
    update_last_busy,
)
from hub.gpu.allocator import Slot

T0 = dt.datetime(2026, 10, 7, 18, 30, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def minutes(n):
    return T0 + dt.timedelta(minutes=n)


def holder(user, mode="exclusive", devices=("GPU-0",), since=T0, cid=None, profile="full"):
    return Holder(user, "", profile, mode, tuple(devices), cid or f"c-{user}", since)


def decide(holders, samples, now, per_process=False, watching_since=T0):
    last = update_last_busy({}, samples, threshold=5)
    return servers_to_stop(holders, last, now, HOUR, watching_since=watching_since,
                           per_process=per_process)


def test_idle_exclusive_holder_is_stopped_after_the_timeout():
    ann = holder("ann")
    assert decide([ann], [], minutes(59)) == []
    [stop] = decide([ann], [], minutes(60))
    assert stop.holder == ann
    assert "no GPU activity for 60 minutes" in stop.reason
    assert "Your files are kept" in stop.reason


def test_recent_activity_keeps_a_server():
    ann = holder("ann")
    samples = [Sample("GPU-0", minutes(30), 80.0)]
    assert decide([ann], samples, minutes(89)) == []
    assert [s.holder for s in decide([ann], samples, minutes(90))] == [ann]


def test_utilisation_below_threshold_is_idle():
    samples = [Sample("GPU-0", minutes(50), 3.0)]
    assert len(decide([holder("ann")], samples, minutes(60))) == 1


def test_a_new_server_gets_a_full_timeout():
    late = holder("bob", since=minutes(30))
    assert decide([late], [], minutes(80)) == []
    assert len(decide([late], [], minutes(90))) == 1


def test_a_restarted_culler_waits_a_full_timeout():
    assert decide([holder("ann")], [], minutes(100), watching_since=minutes(50)) == []


def test_mig_holders_are_judged_by_their_own_slice():
    a = holder("a", "mig", ("MIG-1",), profile="mig")
    b = holder("b", "mig", ("MIG-2",), profile="mig")
    stops = decide([a, b], [Sample("MIG-1", minutes(55), 100.0)], minutes(61))
    assert [s.holder.user for s in stops] == ["b"]


def test_shared_gpu_busy_protects_everyone_on_it_without_per_process_data():
    a = holder("a", "shared", ("GPU-1",), profile="shared")
    b = holder("b", "shared", ("GPU-1",), profile="shared")
    c = holder("c", "shared", ("GPU-2",), profile="shared")
    stops = decide([a, b, c], [Sample("GPU-1", minutes(59), 90.0)], minutes(61))
    assert [s.holder.user for s in stops] == ["c"]


def test_shared_gpu_with_per_process_data_judges_each_container():
    a = holder("a", "shared", ("GPU-1",), cid="aaa", profile="shared")
    b = holder("b", "shared", ("GPU-1",), cid="bbb", profile="shared")
    samples = [Sample("GPU-1", minutes(59), 90.0), Sample(container_key("aaa"), minutes(59), 90)]
    stops = decide([a, b], samples, minutes(61), per_process=True)
    assert [s.holder.user for s in stops] == ["b"]


def test_last_busy_keeps_the_latest_time():
    last = update_last_busy({}, [Sample("k", minutes(10), 50), Sample("k", minutes(5), 50)], 5)
    assert last == {"k": minutes(10)}
    assert update_last_busy(last, [Sample("k", minutes(20), 1)], 5) == last


def test_holders_come_from_running_gpu_containers_only():
    labels = Slot("mig", "mig", ("MIG-1",)).labels(user="ann", server="project")
    containers = [
        {"Id": "abc", "State": "running", "Created": T0.timestamp(), "Labels": labels},
        {"Id": "old", "State": "exited", "Created": T0.timestamp(), "Labels": labels},
        {"Id": "cpu", "State": "running", "Created": T0.timestamp(),
         "Labels": Slot("cpu", "none").labels(user="bob")},
        {"Id": "other", "State": "running", "Created": T0.timestamp(), "Labels": {}},
    ]
    assert holders_from_containers(containers) == [
        Holder("ann", "project", "mig", "mig", ("MIG-1",), "abc", T0)
    ]


def test_display_name_appears_in_the_reason():
    last = {}
    [stop] = servers_to_stop([holder("ann")], last, minutes(61), HOUR, watching_since=T0,
                             display_names={"full": "Full GPU (projects)"})
    assert 'held a GPU ("Full GPU (projects)") with no GPU activity for 61 minutes' in stop.reason
