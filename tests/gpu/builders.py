"""Profiles and inventories shared by the GPU tests (built from the course model itself)."""

from __future__ import annotations

from pathlib import Path

import yaml

from hub.course import Gpu, GpuSpec, MigInstance, Profile

ROOT = Path(__file__).resolve().parents[2]


def profile(slug: str, mode: str = "none", groups=("students", "staff"), **gpu) -> Profile:
    return Profile(
        slug=slug,
        display_name={
            "cpu": "CPU (2 cores, 4 GB)",
            "shared": "Shared GPU",
            "mig": "GPU slice (MIG 1g.10gb)",
            "full": "Full GPU (projects)",
        }.get(slug, slug),
        gpu=GpuSpec(mode=mode, **gpu),
        groups=list(groups),
        default=slug == "cpu",
    )


CPU = profile("cpu")
SHARED = profile("shared", "shared", students_per_gpu=3)
MIG = profile("mig", "mig", mig_profile="1g.10gb")
FULL = profile("full", "exclusive", groups=("staff", "team-*"))
PROFILES = [CPU, SHARED, MIG, FULL]


def plain_gpus(n: int, start: int = 0) -> list[Gpu]:
    return [Gpu(index=i, uuid=f"GPU-{i}") for i in range(start, start + n)]


def mig_gpu(index: int, slices: int) -> Gpu:
    return Gpu(
        index=index,
        uuid=f"GPU-{index}",
        mig=[MigInstance(uuid=f"MIG-{index}-{s}", profile="1g.10gb") for s in range(slices)],
    )


def write_course(path: Path, **culler) -> Path:
    """The sample course file with `culler:` settings replaced; returns its path."""
    data = yaml.safe_load((ROOT / "course.yml").read_text(encoding="utf-8"))
    data["culler"] = {**data.get("culler", {}), **culler}
    data["roster"] = str(ROOT / data.get("roster", "roster.csv"))
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path
