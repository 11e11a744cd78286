"""GPU slots across the nodes of a Docker Swarm: which node a new server goes to.

Each node carries its GPU inventory in the node label `course.gpus` (JSON, written by the
Ansible `swarm` role from the node's nvidia-smi; docs/scale-out.md). Each student service
carries the slot labels of `allocator.Slot` plus `course.node`, the node it was placed on.
As on one host, those labels are the whole state: `place()` is a pure function of the nodes
and the services' labels, and the single-host rules of `allocator.choose` apply per node.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence

from pydantic import TypeAdapter, ValidationError

from hub.course import Gpu, Profile
from hub.gpu.allocator import (
    NoGpuSlot,
    Slot,
    capacity,
    choose,
    free_places,
    occupancy_from_labels,
)

LABEL_NODE_GPUS = "course.gpus"  # node label: the node's GPUs, JSON list of hub.course.Gpu
LABEL_NODE = "course.node"  # service label: the swarm node id the server was placed on

_GPU_LIST = TypeAdapter(list[Gpu])
LABEL_EXAMPLE = '[{"index": 0, "uuid": "GPU-...", "memory_mib": 81559, "mig": []}]'


class NodeLabelError(ValueError):
    """A node's `course.gpus` label is not a valid GPU list."""


@dataclasses.dataclass(frozen=True)
class Node:
    id: str
    hostname: str
    gpus: tuple[Gpu, ...] = ()


def parse_gpu_label(text: str, hostname: str) -> tuple[Gpu, ...]:
    try:
        return tuple(_GPU_LIST.validate_python(json.loads(text)))
    except (json.JSONDecodeError, ValidationError) as err:
        raise NodeLabelError(
            f"swarm node {hostname}: label {LABEL_NODE_GPUS} is not a GPU list ({err}); "
            f"expected JSON like {LABEL_EXAMPLE}, or no label for a node without GPUs"
        ) from None


def nodes_from_api(nodes: Iterable[Mapping]) -> list[Node]:
    """The nodes that may take new servers, from the Docker API's node list
    (`docker.APIClient().nodes()`): ready and `active`. A paused or drained node takes none,
    which is how an admin empties a node during the semester."""
    out = []
    for n in nodes:
        spec = n.get("Spec") or {}
        if spec.get("Availability") != "active":
            continue
        if (n.get("Status") or {}).get("State") != "ready":
            continue
        hostname = (n.get("Description") or {}).get("Hostname", n["ID"])
        label = (spec.get("Labels") or {}).get(LABEL_NODE_GPUS, "")
        gpus = parse_gpu_label(label, hostname) if label.strip() else ()
        out.append(Node(id=n["ID"], hostname=hostname, gpus=gpus))
    return sorted(out, key=lambda node: node.hostname)


def _on(node: Node, labels: Sequence[Mapping[str, str]]) -> list[Mapping[str, str]]:
    return [label for label in labels if label.get(LABEL_NODE) == node.id]


def place(
    profile: Profile,
    nodes: Sequence[Node],
    labels: Iterable[Mapping[str, str]],
    allowed: Sequence[Profile] = (),
) -> tuple[Node | None, Slot]:
    """The node and slot for a new server of `profile`, given the services' labels.

    A CPU profile gets no node (the swarm's scheduler spreads those). A GPU profile goes to
    the node with the most free places for it (lowest hostname on a tie), so servers spread
    over the nodes; the slot within that node follows the single-host rules. When no node has
    room, `NoGpuSlot` counts the places of all nodes and names the profiles with room.
    """
    labels = list(labels)
    if profile.gpu.mode == "none":
        return None, Slot(profile.slug, "none")
    best: tuple[int, Node, Slot] | None = None
    for node in nodes:
        occ = occupancy_from_labels(_on(node, labels))
        slot = choose(profile, node.gpus, occ)
        if slot is None:
            continue
        free = free_places(profile, node.gpus, occ) or 0
        if best is None or free > best[0]:
            best = (free, node, slot)
    if best is not None:
        return best[1], best[2]
    used = total = 0
    for node in nodes:
        u, t = capacity(profile, node.gpus, occupancy_from_labels(_on(node, labels)))
        used, total = used + u, total + t
    raise NoGpuSlot(profile, used, total, _alternatives(profile, nodes, labels, allowed))


def _alternatives(profile, nodes, labels, allowed) -> list[str]:
    out = []
    for other in allowed:
        if other.slug == profile.slug:
            continue
        if other.gpu.mode == "none":
            out.append(f'"{other.display_name}"')
            continue
        free = sum(
            free_places(other, n.gpus, occupancy_from_labels(_on(n, labels))) or 0 for n in nodes
        )
        if free > 0:
            out.append(f'"{other.display_name}" ({free} free)')
    return out
