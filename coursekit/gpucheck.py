"""The student image's GPU check: is the GPU visible, and do torch and PyG really compute on it?

    python -m coursekit.gpucheck [--require-gpu] [--json]

Run by `make gpu-check` in a throw-away container per GPU profile (hub/gpu/check.py), and by
benchmarks/gpu_device_check.py on a lent GPU machine. Each check prints one PASS/FAIL line; the
last line is the verdict. Without a GPU the torch checks run on the CPU and the verdict says so
(exit 0, unless --require-gpu). `--json` prints the results as one JSON line at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback

VERDICT_TAG = "GPUCHECK "


class Checks:
    """Named checks, each run once; a failure is a result, not a crash."""

    def __init__(self):
        self.results: list[dict] = []

    def run(self, name: str, fn, *args):
        start = time.perf_counter()
        try:
            detail, ok = fn(*args), True
        except Exception as err:
            detail, ok = f"{type(err).__name__}: {err}", False
            traceback.print_exc(file=sys.stderr)
        seconds = time.perf_counter() - start
        self.results.append({"check": name, "ok": ok, "detail": detail, "seconds": seconds})
        print(f"{'PASS' if ok else 'FAIL'} {name}: {detail} ({seconds:.2f} s)", flush=True)
        return detail if ok else None

    @property
    def failed(self) -> list[str]:
        return [r["check"] for r in self.results if not r["ok"]]


def devices(torch) -> dict:
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


def matmul(torch, device) -> str:
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


def training_step(torch, device) -> str:
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


def pyg_model(torch, device) -> str:
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


def run_torch_checks(checks: Checks):
    """The checks every GPU profile must pass; returns (torch, device)."""
    import torch

    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    if not cuda:
        print("NOTE no CUDA device: the torch checks run on the CPU instead", flush=True)
    checks.run("torch CUDA devices", devices, torch)
    checks.run("matmul against float64 on the CPU", matmul, torch, device)
    checks.run("tiny training step (loss goes down)", training_step, torch, device)
    checks.run("PyG import and a GCN on the device", pyg_model, torch, device)
    return torch, device


def verdict(checks: Checks, torch, require_gpu: bool) -> tuple[str, list[str]]:
    cuda = torch.cuda.is_available()
    failed = checks.failed + (["a GPU was required"] if require_gpu and not cuda else [])
    where = f"GPU ({torch.cuda.get_device_name(0)})" if cuda else "CPU only, no GPU found"
    text = f"{'FAIL' if failed else 'PASS'}: {len(checks.results)} checks on {where}"
    if failed:
        text += f"; failed: {', '.join(failed)}"
    return text, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--require-gpu", action="store_true", help="no GPU is a failure")
    parser.add_argument("--json", action="store_true", help="end with the results as JSON")
    args = parser.parse_args(argv)
    checks = Checks()
    torch, _ = run_torch_checks(checks)
    text, failed = verdict(checks, torch, args.require_gpu)
    print(text, flush=True)
    if args.json:
        print(VERDICT_TAG + json.dumps({"verdict": text, "results": checks.results}, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
