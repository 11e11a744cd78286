"""A GPU node's swarm label on real GPUs (scale-out, docs/scale-out.md): what the swarm role's
gpu_inventory.py reads from nvidia-smi, parsed by the hub as the node label course.gpus, and
placement on it. Run on a GPU machine from the repository root (no Docker needed):

    python3 benchmarks/gpu_node_check.py --json OUT.json

Checks: the label lists every GPU nvidia-smi lists (UUID, memory, MIG instances); the hub
parses it (hub.gpu.nodes); a shared profile's servers land on that node with that GPU's UUID,
students_per_gpu of them per GPU, and the next is refused; CUDA opens the GPU by that UUID
(what NVIDIA_VISIBLE_DEVICES hands the container is the same identifier)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.course import Profile  # noqa: E402
from hub.gpu.allocator import NoGpuSlot  # noqa: E402
from hub.gpu.nodes import LABEL_NODE, LABEL_NODE_GPUS, nodes_from_api, place  # noqa: E402

INVENTORY = ROOT / "ansible" / "roles" / "swarm" / "files" / "gpu_inventory.py"
PER_GPU = 4
SHARED = Profile.model_validate({
    "slug": "gpu-shared", "display_name": "Shared GPU", "cpu": 4, "memory": "16G",
    "gpu": {"mode": "shared", "students_per_gpu": PER_GPU},
})  # fmt: skip


def run(*cmd: str, env: dict | None = None) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    checks: list[tuple[str, bool, str]] = []

    def check(name: str, ok: bool, detail: str = "") -> None:
        checks.append((name, ok, detail))
        print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)

    label = run(sys.executable, str(INVENTORY)).strip()
    smi = [
        [f.strip() for f in row.split(",")]
        for row in run("nvidia-smi", "--query-gpu=index,uuid,memory.total",
                       "--format=csv,noheader,nounits").splitlines() if row.strip()
    ]  # fmt: skip
    listed = json.loads(label)
    check("the label lists every GPU", [g["uuid"] for g in listed] == [r[1] for r in smi],
          f"{len(listed)} GPU(s): {label[:300]}")  # fmt: skip
    check("memory as nvidia-smi reports it",
          [g["memory_mib"] for g in listed] == [int(float(r[2])) for r in smi])  # fmt: skip
    mig_lines = [ln for ln in run("nvidia-smi", "-L").splitlines() if "MIG" in ln]
    check("MIG instances as nvidia-smi -L lists them",
          sum(len(g["mig"]) for g in listed) == len(mig_lines), f"{len(mig_lines)} MIG")

    node = {"ID": "node-under-test", "Description": {"Hostname": "gpu-node"},
            "Spec": {"Availability": "active", "Labels": {LABEL_NODE_GPUS: label}},
            "Status": {"State": "ready"}}  # fmt: skip
    nodes = nodes_from_api([node])
    check("the hub parses the label", len(nodes) == 1 and len(nodes[0].gpus) == len(smi))

    holders: list[dict] = []
    devices = []
    for i in range(PER_GPU * len(smi)):
        placed, slot = place(SHARED, nodes, holders, [SHARED])
        devices.append(slot.devices)
        holders.append({**slot.labels(user=f"student{i}"), LABEL_NODE: placed.id})
    per_uuid = {u: sum(1 for d in devices if d == (u,)) for u in (r[1] for r in smi)}
    check(f"{PER_GPU} shared servers per GPU, each given its GPU's UUID",
          set(per_uuid.values()) == {PER_GPU}, json.dumps(per_uuid))  # fmt: skip
    try:
        place(SHARED, nodes, holders, [SHARED])
        check("the next server is refused", False, "it was placed")
    except NoGpuSlot as e:
        check("the next server is refused", True, str(e)[:200])

    uuid = devices[0][0]
    probe = ("import torch; print(torch.cuda.device_count(), "
             "torch.cuda.get_device_name(0), torch.cuda.get_device_properties(0).uuid)")
    try:
        out = run(sys.executable, "-c", probe, env={**os.environ, "CUDA_VISIBLE_DEVICES": uuid})
    except subprocess.CalledProcessError as e:
        check("CUDA opens exactly that GPU by its UUID", False, e.stderr.strip()[-300:])
    else:
        count, *rest = out.split()
        check("CUDA opens exactly that GPU by its UUID",
              count == "1" and uuid.removeprefix("GPU-") == rest[-1], out.strip())  # fmt: skip

    if args.json:
        args.json.write_text(json.dumps(
            {"label": listed, "checks": [{"name": n, "ok": ok, "detail": d}
                                         for n, ok, d in checks]}, indent=2))  # fmt: skip
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
