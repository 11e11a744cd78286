"""What every benchmark shares: one percentile, and result files that say where they came from.

Each benchmark writes benchmarks/results/<name>-<UTC time>.json (committed, so the docs can cite
the file a figure came from): its figures, plus `provenance`: the command line, the commit (and
whether the tree had uncommitted changes), the machine (cores, memory, kernel, Docker's storage
driver) and the date and time.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0 <= q <= 1), interpolated linearly between the closest ranks (numpy's
    default method): never below the smallest value nor above the largest, for any sample size."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 1:
        raise ValueError(f"q must be within 0..1, not {q}")
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def _storage_driver() -> str:
    done = subprocess.run(["docker", "info", "-f", "{{.Driver}}"], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else "unknown (docker did not answer)"


def provenance(argv: Sequence[str] | None = None) -> dict:
    argv = list(sys.argv if argv is None else argv)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "command": " ".join(["python", os.path.relpath(argv[0], ROOT), *argv[1:]]),
        "commit": _git("rev-parse", "HEAD") or "unknown (not a git checkout)",
        "uncommitted_changes": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "machine": {
            "cores": os.cpu_count(),
            "memory_gib": round(memory / 2**30, 1),
            "kernel": platform.release(),
            "docker_storage_driver": _storage_driver(),
        },
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def write_result(name: str, result: dict, argv: Sequence[str] | None = None) -> Path:
    """Write `result` with its provenance; return the file's path (printed for the docs)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{name}-{stamp}.json"
    path.write_text(json.dumps({"provenance": provenance(argv), **result}, indent=2) + "\n")
    print(f"results written to {os.path.relpath(path, ROOT)}")
    return path
