#!/usr/bin/env python3
"""One prepared check for a machine with a GPU (and no Docker): discovery, NVML, torch, PyG.

    python3 benchmarks/gpu_device_check.py [--json FILE] [--require-gpu]

1. GPU inventory through the hub's own code (`hub.gpu.inventory`): NVML, then `nvidia-smi`
   parsed by the same parsers, and a cross-check that both agree.
2. One round of the GPU culler's NVML sampler (`hub.gpu.sampler`) while the GPU is busy.
3. The student image's GPU unit: torch.cuda.is_available(), device names and memory, a matmul
   checked against float64 on the CPU, a tiny training step, and a PyG GCN forward/backward.

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
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for `hub`

RESULTS: list[dict] = []


def check(name: str):
    """Run the decorated function as a named check; record PASS/FAIL and its detail."""

    def wrap(fn):
        def run(*args, **kwargs):
            start = time.perf_counter()
            try:
                detail = fn(*args, **kwargs)
                ok = True
            except Exception as err:  # a check's failure is a result, not a crash
                detail = f"{type(err).__name__}: {err}"
                traceback.print_exc(file=sys.stderr)
                ok = False
            seconds = time.perf_counter() - start
            RESULTS.append({"check": name, "ok": ok, "detail": detail, "seconds": seconds})
            print(f"{'PASS' if ok else 'FAIL'} {name}: {detail} ({seconds:.2f} s)", flush=True)
            return detail if ok else None

        return run

    return wrap


# -- 1. inventory -------------------------------------------------------------------------------


@check("inventory via hub.gpu.inventory (NVML, then nvidia-smi)")
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


@check("raw NVML listing (hub modules not importable)")
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


@check("GPU culler sampler (NVML utilisation while busy)")
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


# -- 3. torch and PyG ---------------------------------------------------------------------------


@check("torch CUDA devices")
def devices_check(torch):
    if not torch.cuda.is_available():
        return {"cuda": False, "torch": torch.__version__}
    return {
        "cuda": True,
        "torch": torch.__version__,
        "cuda_runtime": torch.version.cuda,
        "devices": [
            {
                "name": torch.cuda.get_device_name(i),
                "memory_mib": torch.cuda.get_device_properties(i).total_memory // 2**20,
                "capability": ".".join(map(str, torch.cuda.get_device_capability(i))),
            }
            for i in range(torch.cuda.device_count())
        ],
    }


@check("matmul against float64 on the CPU")
def matmul_check(torch, device):
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(2048, 2048, generator=gen)
    b = torch.randn(2048, 2048, generator=gen)
    expected = (a.double() @ b.double()).float()
    got = (a.to(device) @ b.to(device)).cpu()
    error = ((got - expected).abs().max() / expected.abs().max()).item()
    # TF32 (allowed by default for matmuls on some setups) gives about 1e-3.
    if error > 5e-3:
        raise AssertionError(f"relative error {error:.2e}")
    return f"2048x2048 on {device}, max relative error {error:.1e}"


@check("tiny training step (loss goes down)")
def training_check(torch, device):
    torch.manual_seed(0)
    x = torch.randn(512, 20, device=device)
    y = (x[:, :1] > 0).float()
    model = torch.nn.Sequential(
        torch.nn.Linear(20, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1)
    ).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    losses = []
    for _ in range(30):
        optimiser.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    if not losses[-1] < 0.7 * losses[0]:
        raise AssertionError(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}")
    on = next(model.parameters()).device
    return f"loss {losses[0]:.3f} -> {losses[-1]:.3f} in 30 steps on {on}"


@check("PyG import and a GCN on the device")
def pyg_check(torch, device):
    import torch_geometric
    from torch_geometric.nn import GCNConv

    torch.manual_seed(0)
    nodes = 100
    edge_index = torch.randint(0, nodes, (2, 400), device=device)
    features = torch.randn(nodes, 16, device=device)
    conv1, conv2 = GCNConv(16, 32).to(device), GCNConv(32, 4).to(device)
    out = conv2(conv1(features, edge_index).relu(), edge_index)
    out.sum().backward()
    if out.shape != (nodes, 4) or not torch.isfinite(out).all():
        raise AssertionError(f"bad output {tuple(out.shape)}")
    grad = conv1.lin.weight.grad
    return (
        f"torch_geometric {torch_geometric.__version__}: GCN {tuple(out.shape)} on {out.device}, "
        f"gradient on {grad.device}"
    )


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
    inventory_check() if hub_ok else raw_nvml_check()

    import torch

    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    if not cuda:
        print("NOTE no CUDA device: the torch checks run on the CPU instead", flush=True)
    devices_check(torch)
    matmul_check(torch, device)
    training_check(torch, device)
    pyg_check(torch, device)
    if cuda and hub_ok:
        sampler_check(torch, device)

    failed = [r["check"] for r in RESULTS if not r["ok"]]
    if args.require_gpu and not cuda:
        failed.append("a GPU was required")
    where = f"GPU ({torch.cuda.get_device_name(0)})" if cuda else "CPU only, no GPU found"
    verdict = f"{'FAIL' if failed else 'PASS'}: {len(RESULTS)} checks on {where}"
    if failed:
        verdict += f"; failed: {', '.join(failed)}"
    print(verdict, flush=True)
    if args.json:
        args.json.write_text(json.dumps({"verdict": verdict, "results": RESULTS}, indent=1,
                                        default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
