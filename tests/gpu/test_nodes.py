"""Placement across swarm nodes (hub/gpu/nodes.py): node labels in, node and slot out.

Pure functions: the node list has the Docker API's shape (`docker node inspect`), the holders
are the labels the swarm spawner writes on each service.
"""

from __future__ import annotations

import json

import pytest

from hub.course import Gpu
from hub.gpu.allocator import NoGpuSlot, Slot
from hub.gpu.nodes import LABEL_NODE, LABEL_NODE_GPUS, NodeLabelError, nodes_from_api, place

from .builders import CPU, FULL, MIG, PROFILES, SHARED, mig_gpu, plain_gpus


def api_node(node_id, hostname, gpus=(), availability="active", state="ready", raw=None):
    labels = {}
    if raw is not None:
        labels[LABEL_NODE_GPUS] = raw
    elif gpus:
        labels[LABEL_NODE_GPUS] = json.dumps([g.model_dump() for g in gpus])
    return {
        "ID": node_id,
        "Description": {"Hostname": hostname},
        "Spec": {"Availability": availability, "Labels": labels, "Role": "worker"},
        "Status": {"State": state},
    }


def gpus_of(node_id: str, n: int) -> list[Gpu]:
    # UUIDs are unique per machine: two nodes never share one.
    return [g.model_copy(update={"uuid": f"GPU-{node_id}-{g.index}"}) for g in plain_gpus(n)]


def take(profile, nodes, holders, allowed=PROFILES):
    node, slot = place(profile, nodes, holders, allowed)
    labels = slot.labels(user=f"u{len(holders)}")
    if node is not None:
        labels[LABEL_NODE] = node.id
    holders.append(labels)
    return node, slot


def test_the_node_label_round_trips_and_only_ready_active_nodes_take_servers():
    nodes = nodes_from_api([
        api_node("n2", "gpu2", gpus_of("n2", 2)),
        api_node("n1", "gpu1", [mig_gpu(0, 3)]),
        api_node("n3", "gpu3", gpus_of("n3", 1), availability="pause"),
        api_node("n4", "gpu4", gpus_of("n4", 1), availability="drain"),
        api_node("n5", "gpu5", gpus_of("n5", 1), state="down"),
        api_node("hub", "hub"),
    ])
    assert [n.hostname for n in nodes] == ["gpu1", "gpu2", "hub"]
    assert nodes[0].gpus == (mig_gpu(0, 3),)
    assert [g.uuid for g in nodes[1].gpus] == ["GPU-n2-0", "GPU-n2-1"]
    assert nodes[2].gpus == ()


@pytest.mark.parametrize("raw", ["not json", '{"index": 0}', '[{"index": -1, "uuid": "GPU-0"}]'])
def test_a_bad_node_label_names_the_node_the_label_and_the_valid_form(raw):
    with pytest.raises(NodeLabelError) as err:
        nodes_from_api([api_node("n1", "gpu1", raw=raw)])
    text = str(err.value)
    assert "gpu1" in text and LABEL_NODE_GPUS in text and '"uuid": "GPU-..."' in text


def test_cpu_servers_get_no_node_and_no_device():
    nodes = nodes_from_api([api_node("n1", "gpu1", gpus_of("n1", 1))])
    assert place(CPU, nodes, []) == (None, Slot("cpu", "none"))


def test_shared_servers_spread_over_nodes_then_fill_them():
    nodes = nodes_from_api([
        api_node("n1", "gpu1", gpus_of("n1", 1)),
        api_node("n2", "gpu2", gpus_of("n2", 2)),
    ])
    holders = []
    picks = [take(SHARED, nodes, holders) for _ in range(9)]  # 3 per GPU, 3 GPUs
    hosts = [node.hostname for node, _ in picks]
    # gpu2 has twice the places: it takes servers until both nodes have as many free
    assert hosts[:4] == ["gpu2", "gpu2", "gpu2", "gpu1"]
    assert sorted(hosts).count("gpu1") == 3 and hosts.count("gpu2") == 6
    for node, slot in picks:
        assert slot.devices[0].startswith(f"GPU-{node.id}-")  # a device of that node only
    with pytest.raises(NoGpuSlot, match=r"full \(9 of 9 places in use\)") as err:
        take(SHARED, nodes, holders)
    assert '"CPU (2 cores, 4 GB)"' in str(err.value)


def test_a_device_held_on_one_node_does_not_block_the_same_index_elsewhere():
    nodes = nodes_from_api([
        api_node("n1", "gpu1", gpus_of("n1", 1)),
        api_node("n2", "gpu2", gpus_of("n2", 1)),
    ])
    holders = []
    first, _ = take(FULL, nodes, holders)
    second, _ = take(FULL, nodes, holders)
    assert {first.hostname, second.hostname} == {"gpu1", "gpu2"}
    with pytest.raises(NoGpuSlot, match=r"full \(2 of 2 places in use\)"):
        take(FULL, nodes, holders)


def test_services_on_a_node_that_left_hold_nothing():
    nodes = nodes_from_api([api_node("n1", "gpu1", gpus_of("n1", 1))])
    gone = Slot("full", "exclusive", ("GPU-n9-0",)).labels("old") | {LABEL_NODE: "n9"}
    node, slot = place(FULL, nodes, [gone])
    assert (node.id, slot.devices) == ("n1", ("GPU-n1-0",))


def test_mig_only_on_nodes_with_instances_and_the_refusal_names_other_nodes_room():
    nodes = nodes_from_api([
        api_node("n1", "gpu1", [mig_gpu(0, 2)]),
        api_node("n2", "gpu2", gpus_of("n2", 1)),
    ])
    holders = []
    assert {take(MIG, nodes, holders)[0].hostname for _ in range(2)} == {"gpu1"}
    with pytest.raises(NoGpuSlot, match=r"full \(2 of 2 places in use\)") as err:
        take(MIG, nodes, holders)
    assert '"Shared GPU" (3 free)' in str(err.value)


def test_no_gpu_anywhere_says_so():
    nodes = nodes_from_api([api_node("hub", "hub")])
    with pytest.raises(NoGpuSlot, match="has no GPU"):
        place(SHARED, nodes, [], PROFILES)
