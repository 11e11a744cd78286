#!/usr/bin/env python3
"""One prepared check for a machine with a GPU (and no Docker): discovery, NVML, torch, PyG.

    python3 benchmarks/gpu_device_check.py [--json FILE] [--require-gpu]

1. GPU inventory through the hub's own code (`hub.gpu.inventory`): NVML, then `nvidia-smi`
   parsed by the same parsers, and a cross-check that both agree.
2. One round of the GPU culler's NVML sampler (`hub.gpu.sampler`) while the GPU is busy.
3. The student image's GPU check (`coursekit.gpucheck`, what `make gpu-check` runs in each GPU
   profile's container): devices and memory, a matmul checked against float64 on the CPU, a tiny
   training step, and a PyG GCN forward/backward.

Without a GPU every torch check runs on the CPU and the verdict says so (exit 0 unless
--require-gpu). Each check prints one line, PASS or FAIL; the last line is the verdict.
The hub's modules need pydantic; where it is missing, step 1 falls back to raw NVML and says so.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root: hub, coursekit

from coursekit.gpucheck import Checks, run_torch_checks, verdict  # noqa: E402

CHECKS = Checks()


# -- 1. inventory -------------------------------------------------------------------------------


def inventory_check():
    from hub.gpu.inventory import (
        _run_command,
        discover_inventory,
        inventory_from_nvml,
        inventory_from_smi,
    )

    inventory = discover_inventory()
    print(inventory.describe(), flush=True)
    summary = {"source": inventory.source, "gpus": [g.model_dump() for g in inventory.gpus]}
    try:
        import pynvml

        by_nvml = inventory_from_nvml(pynvml)
        by_smi = inventory_from_smi(_run_command)
        same = [(g.index, g.uuid, [m.uuid for m in g.mig]) for g in by_nvml] == [
            (g.index, g.uuid, [m.uuid for m in g.mig]) for g in by_smi
        ]
        memory = [(a.memory_mib, b.memory_mib) for a, b in zip(by_nvml, by_smi, strict=False)]
        summary["nvml_equals_smi"] = same
        summary["memory_mib_nvml_vs_smi"] = memory
        if not same:
            raise AssertionError(f"NVML and nvidia-smi disagree: {by_nvml} vs {by_smi}")
    except ImportError as err:
        summary["cross_check"] = f"skipped: {err}"
    except Exception as err:
        if inventory.source == "nvml":
            raise
        summary["cross_check"] = f"skipped (no GPU here): {type(err).__name__}: {err}"
    return summary


def raw_nvml_check():
    import pynvml

    pynvml.nvmlInit()
    try:
        out = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            out.append(
                {
                    "index": i,
                    "uuid": pynvml.nvmlDeviceGetUUID(h),
                    "name": pynvml.nvmlDeviceGetName(h),
                    "memory_mib": pynvml.nvmlDeviceGetMemoryInfo(h).total // 2**20,
                }
            )
        return {"driver": pynvml.nvmlSystemGetDriverVersion(), "gpus": out}
    finally:
        pynvml.nvmlShutdown()


# -- 2. the culler's sampler --------------------------------------------------------------------


def sampler_check(torch, device):
    import pynvml

    from hub.gpu.sampler import NvmlSampler

    stop = threading.Event()

    def keep_busy():
        a = torch.randn(4096, 4096, device=device)
        while not stop.is_set():
            a = (a @ a).clamp_(-1, 1)
            torch.cuda.synchronize()

    worker = threading.Thread(target=keep_busy, daemon=True)
    worker.start()
    sampler = NvmlSampler(pynvml, per_process=True)
    try:
        time.sleep(2.0)
        samples = sampler.sample()
    finally:
        stop.set()
        worker.join()
        sampler.close()
    rows = [{"key": s.key, "utilisation": s.utilisation} for s in samples]
    if not any(s.utilisation > 0 for s in samples if not s.key.startswith("container:")):
        raise AssertionError(f"busy GPU reported idle: {rows}")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--require-gpu", action="store_true", help="no GPU is a failure")
    args = parser.parse_args()
    print(f"host {platform.node()} python {platform.python_version()}", flush=True)

    try:
        import hub.gpu.inventory  # noqa: F401  (needs pydantic)

        hub_ok = True
    except ImportError as err:
        print(f"NOTE hub modules not importable ({err}); using raw NVML", flush=True)
        hub_ok = False
    if hub_ok:
        CHECKS.run("inventory via hub.gpu.inventory (NVML, then nvidia-smi)", inventory_check)
    else:
        CHECKS.run("raw NVML listing (hub modules not importable)", raw_nvml_check)
    torch, device = run_torch_checks(CHECKS)
    if torch.cuda.is_available() and hub_ok:
        CHECKS.run("GPU culler sampler (NVML utilisation while busy)", sampler_check, torch, device)

    text, failed = verdict(CHECKS, torch, args.require_gpu)
    print(text, flush=True)
    if args.json:
        args.json.write_text(
            json.dumps({"verdict": text, "results": CHECKS.results}, indent=1, default=str)
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
