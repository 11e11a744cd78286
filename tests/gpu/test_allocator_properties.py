"""Property tests: random spawns, stops and hub restarts against an independent ledger.

The ledger below counts who holds what from the slots handed out, without the allocator's
code; the allocator sees only the containers' labels, as after a real hub restart.
"""

from __future__ import annotations

import json
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.course import Gpu, MigInstance
from hub.gpu.allocator import (
    NoGpuSlot,
    allocate,
    choose,
    holding_labels,
    occupancy_from_labels,
)

from .builders import profile

MIG_KINDS = ["1g.10gb", "3g.40gb"]


@st.composite
def inventories(draw) -> list[Gpu]:
    plain = draw(st.integers(0, 4))
    mig_slices = draw(st.lists(st.lists(st.sampled_from(MIG_KINDS), min_size=1, max_size=4),
                               max_size=2))
    gpus = [Gpu(index=i, uuid=f"GPU-{i}") for i in range(plain)]
    for j, kinds in enumerate(mig_slices):
        i = plain + j
        migs = [MigInstance(uuid=f"MIG-{i}-{s}", profile=k) for s, k in enumerate(kinds)]
        gpus.append(Gpu(index=i, uuid=f"GPU-{i}", mig=migs))
    return gpus


@st.composite
def profile_sets(draw, pools: bool = True):
    def pool():  # GPU indexes the profile may use; often empty (= all)
        if not pools:
            return []
        return draw(st.one_of(st.just([]), st.lists(st.integers(0, 5), unique=True)))

    return [
        profile("cpu"),
        profile("shared", "shared", students_per_gpu=draw(st.integers(1, 4)), gpus=pool()),
        profile("shared-big", "shared", students_per_gpu=draw(st.integers(1, 6)), gpus=pool()),
        profile("mig", "mig", mig_profile="1g.10gb", gpus=pool()),
        profile("mig3", "mig", mig_profile="3g.40gb", gpus=pool()),
        profile("full", "exclusive", gpus=pool()),
    ]


def in_pool(p, gpu) -> bool:
    return not p.gpu.gpus or gpu.index in p.gpu.gpus


spawn = st.tuples(st.just("spawn"), st.integers(0, 5))
stop = st.tuples(st.just("stop"), st.integers(0, 1000))
restart = st.tuples(st.just("restart"), st.randoms(use_true_random=False))
operations = st.lists(st.one_of(spawn, spawn, stop, restart), max_size=60)


class Ledger:
    """Who holds what, counted from the slots as they are handed out."""

    def __init__(self, gpus):
        self.gpus = gpus
        self.shared: Counter[str] = Counter()
        self.exclusive: Counter[str] = Counter()
        self.mig: Counter[str] = Counter()

    def add(self, slot, sign=1):
        table = {"shared": self.shared, "exclusive": self.exclusive, "mig": self.mig}.get(slot.mode)
        for device in slot.devices:
            table[device] += sign

    def eligible_shared(self, p):
        return [g for g in self.gpus if in_pool(p, g) and not g.mig
                and not self.exclusive[g.uuid] and self.shared[g.uuid] < p.gpu.students_per_gpu]

    def has_room(self, p) -> bool:
        mode = p.gpu.mode
        if mode == "shared":
            return bool(self.eligible_shared(p))
        if mode == "mig":
            return any(m.profile == p.gpu.mig_profile and not self.mig[m.uuid]
                       for g in self.gpus if in_pool(p, g) for m in g.mig)
        if mode == "exclusive":
            return any(not g.mig and not self.shared[g.uuid] and not self.exclusive[g.uuid]
                       for g in self.gpus if in_pool(p, g))
        return True

    def check(self, profiles):
        mig_gpus = {g.uuid for g in self.gpus if g.mig}
        whole = {g.uuid for g in self.gpus if not g.mig}
        max_k = max(p.gpu.students_per_gpu for p in profiles if p.gpu.mode == "shared")
        assert all(n <= 1 for n in self.exclusive.values()), "exclusive GPU double-booked"
        assert all(n <= 1 for n in self.mig.values()), "MIG slice double-booked"
        for uuid, n in self.shared.items():
            assert n <= max_k, "shared GPU over capacity"
            assert uuid in whole, "shared user on a MIG GPU"
            assert not (n and self.exclusive[uuid]), "GPU both shared and exclusive"
        assert not (set(+self.exclusive) & mig_gpus), "MIG GPU given whole"
        all_migs = {m.uuid for g in self.gpus for m in g.mig}
        assert set(+self.mig) <= all_migs


def restart_hub(containers, rnd):
    """What a new hub sees: Docker's list, in any order, labels as stored strings,
    plus exited containers whose labels must not count."""
    listed = [{"State": "running", "Labels": json.loads(json.dumps(c))} for c in containers]
    listed += [{"State": "exited", "Labels": dict(c)} for c in containers[:2]]
    rnd.shuffle(listed)
    return holding_labels(listed)


def run(gpus, profiles, ops, on_spawn=None):
    containers: list[dict] = []
    slots = []
    ledger = Ledger(gpus)
    for op, arg in ops:
        if op == "spawn":
            p = profiles[arg]
            try:
                slot = allocate(p, gpus, containers, allowed=profiles)
            except NoGpuSlot:
                assert not ledger.has_room(p), f"{p.slug} refused although a slot was free"
                continue
            assert ledger.has_room(p)
            gpu_of = {g.uuid: g for g in gpus} | {m.uuid: g for g in gpus for m in g.mig}
            assert all(in_pool(p, gpu_of[d]) for d in slot.devices), "slot outside the pool"
            if on_spawn:
                on_spawn(p, slot, ledger)
            ledger.add(slot)
            slots.append(slot)
            containers.append(slot.labels(user=f"user{len(slots)}"))
        elif op == "stop" and containers:
            i = arg % len(containers)
            containers.pop(i)
            ledger.add(slots.pop(i), sign=-1)
        elif op == "restart":
            before = occupancy_from_labels(containers)
            choices = [choose(p, gpus, before) for p in profiles]
            containers_after = restart_hub(containers, arg)
            after = occupancy_from_labels(containers_after)
            assert after == before, "state rebuilt from labels differs"
            assert [choose(p, gpus, after) for p in profiles] == choices
        ledger.check(profiles)
        occ = occupancy_from_labels(containers)
        assert dict(occ.shared) == dict(+ledger.shared)
        assert occ.exclusive == set(+ledger.exclusive)
        assert occ.mig == set(+ledger.mig)
    return ledger


def shared_spawn_takes_least_loaded(p, slot, ledger):
    if slot.mode != "shared":
        return
    eligible = ledger.eligible_shared(p)
    assert in_pool(p, next(g for g in ledger.gpus if g.uuid == slot.devices[0]))
    lowest = min(ledger.shared[g.uuid] for g in eligible)
    assert ledger.shared[slot.devices[0]] == lowest, "shared spawn not on a least-loaded GPU"


@settings(max_examples=300, deadline=None)
@given(inventories(), profile_sets(), operations)
def test_random_spawns_stops_and_restarts_keep_every_invariant(gpus, profiles, ops):
    run(gpus, profiles, ops, on_spawn=shared_spawn_takes_least_loaded)


spawns_only = st.lists(st.one_of(st.tuples(st.just("spawn"), st.integers(0, 5)), restart),
                       max_size=60)


@settings(max_examples=200, deadline=None)
@given(inventories(), profile_sets(pools=False), spawns_only)
def test_without_stops_shared_load_stays_within_one(gpus, profiles, ops):
    ledger = run(gpus, profiles, ops)
    pool = [ledger.shared[g.uuid] for g in gpus if not g.mig and not ledger.exclusive[g.uuid]]
    if pool:
        assert max(pool) - min(pool) <= 1, pool
