"""The host's GPU inventory: which GPUs and MIG instances exist.

`discover_inventory()` tries, in order: NVML (the `pynvml` module from nvidia-ml-py), the
`nvidia-smi` command, the course file's `gpus:` list, and finally nothing. Each source returns
the course model's `Gpu` objects, so the allocator never needs to know where they came from.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence

from hub.course import Gpu, MigInstance


@dataclasses.dataclass(frozen=True)
class Inventory:
    gpus: tuple[Gpu, ...]
    source: str  # "nvml", "nvidia-smi", "course file" or "none"
    notes: tuple[str, ...] = ()  # why earlier sources were skipped

    def describe(self) -> str:
        lines = [f"GPU inventory from {self.source}: {len(self.gpus)} GPU(s)"]
        for gpu in self.gpus:
            lines.append(f"  GPU {gpu.index} {gpu.uuid} {gpu.memory_mib} MiB")
            lines += [f"    MIG {m.profile} {m.uuid}" for m in gpu.mig]
        lines += [f"  ({note})" for note in self.notes]
        return "\n".join(lines)


# -- NVML ---------------------------------------------------------------------------------

MIG_NAME_RE = re.compile(r"\bMIG\s+(\S+)")


def _text(value: str | bytes) -> str:
    # nvidia-ml-py returns str; old pynvml releases returned bytes.
    return value.decode() if isinstance(value, bytes) else value


def _nvml_mig_instances(nvml, handle) -> list[MigInstance]:
    try:
        current, _pending = nvml.nvmlDeviceGetMigMode(handle)
    except nvml.NVMLError:
        return []  # GPU without MIG support
    if current != nvml.NVML_DEVICE_MIG_ENABLE:
        return []
    out = []
    for slot in range(nvml.nvmlDeviceGetMaxMigDeviceCount(handle)):
        try:
            mig = nvml.nvmlDeviceGetMigDeviceHandleByIndex(handle, slot)
        except nvml.NVMLError:
            continue  # empty slot: no instance created there
        # A MIG device's name ends with its profile: "NVIDIA A100-SXM4-80GB MIG 1g.10gb".
        match = MIG_NAME_RE.search(_text(nvml.nvmlDeviceGetName(mig)))
        profile = match.group(1) if match else "unknown"
        out.append(MigInstance(uuid=_text(nvml.nvmlDeviceGetUUID(mig)), profile=profile))
    return out


def inventory_from_nvml(nvml) -> list[Gpu]:
    """Read the GPUs through an NVML module (pynvml or a fake with the same functions)."""
    nvml.nvmlInit()
    try:
        gpus = []
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle).total // (1024 * 1024)
            gpus.append(
                Gpu(
                    index=index,
                    uuid=_text(nvml.nvmlDeviceGetUUID(handle)),
                    memory_mib=memory,
                    mig=_nvml_mig_instances(nvml, handle),
                )
            )
        return gpus
    finally:
        nvml.nvmlShutdown()


# -- nvidia-smi ---------------------------------------------------------------------------

QUERY_GPU_ARGS = ["--query-gpu=index,uuid,memory.total", "--format=csv,noheader"]

# "GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-5d5b...)"
SMI_GPU_RE = re.compile(r"^GPU\s+(\d+):.*\(UUID:\s*(GPU-[^)\s]+)\)")
# "  MIG 1g.10gb     Device  0: (UUID: MIG-c6d4...)"; drivers before R470 printed
# "MIG-GPU-<gpu uuid>/<gi>/<ci>" as the UUID, which Docker accepts just the same.
SMI_MIG_RE = re.compile(r"^\s+MIG\s+(\S+)\s+Device\s+\d+:\s*\(UUID:\s*(MIG-[^)\s]+)\)")


def parse_query_gpu(text: str) -> list[tuple[int, str, int]]:
    """Parse `nvidia-smi --query-gpu=index,uuid,memory.total --format=csv,noheader`.

    Rows look like `0, GPU-5d5b..., 81559 MiB` (or a bare number with `nounits`).
    """
    rows = []
    for fields in csv.reader(line for line in text.splitlines() if line.strip()):
        if len(fields) != 3:
            raise ValueError(f"unexpected nvidia-smi row {fields!r}; expected 3 fields")
        index, uuid, memory = (f.strip() for f in fields)
        rows.append((int(index), uuid, int(memory.split()[0])))
    return rows


def parse_smi_list(text: str) -> dict[str, list[MigInstance]]:
    """Parse `nvidia-smi -L`: each GPU's UUID -> its MIG instances (empty when none)."""
    out: dict[str, list[MigInstance]] = {}
    current = None
    for line in text.splitlines():
        if gpu := SMI_GPU_RE.match(line):
            current = gpu.group(2)
            out[current] = []
        elif (mig := SMI_MIG_RE.match(line)) and current is not None:
            out[current].append(MigInstance(uuid=mig.group(2), profile=mig.group(1)))
    return out


def inventory_from_smi(run: Callable[[list[str]], str]) -> list[Gpu]:
    """Build the inventory from nvidia-smi; `run(args)` returns the command's stdout."""
    migs = parse_smi_list(run(["nvidia-smi", "-L"]))
    return [
        Gpu(index=index, uuid=uuid, memory_mib=memory, mig=migs.get(uuid, []))
        for index, uuid, memory in parse_query_gpu(run(["nvidia-smi", *QUERY_GPU_ARGS]))
    ]


def _run_command(args: list[str]) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=30).stdout


# -- the fallback chain -------------------------------------------------------------------


def _import_nvml():
    import pynvml  # nvidia-ml-py; imports fine without a GPU, nvmlInit then fails

    return pynvml


def discover_inventory(
    course_gpus: Sequence[Gpu] = (),
    *,
    import_nvml: Callable[[], object] = _import_nvml,
    run: Callable[[list[str]], str] = _run_command,
    which: Callable[[str], str | None] = shutil.which,
) -> Inventory:
    """The host's GPUs: NVML, else nvidia-smi, else the course file's list, else none.

    A source that finds no GPU falls through to the next one, so a course file can describe
    a server whose driver is not visible from where the hub runs.
    """
    notes = []
    try:
        gpus = inventory_from_nvml(import_nvml())
        if gpus:
            return Inventory(tuple(gpus), "nvml", tuple(notes))
        notes.append("NVML found no GPU")
    except Exception as err:  # ImportError, NVMLError_LibraryNotFound, ...
        notes.append(f"NVML unavailable: {type(err).__name__}: {err}")
    if which("nvidia-smi"):
        try:
            gpus = inventory_from_smi(run)
            if gpus:
                return Inventory(tuple(gpus), "nvidia-smi", tuple(notes))
            notes.append("nvidia-smi listed no GPU")
        except (OSError, ValueError, subprocess.SubprocessError) as err:
            notes.append(f"nvidia-smi failed: {err}")
    else:
        notes.append("nvidia-smi not on PATH")
    if course_gpus:
        return Inventory(tuple(course_gpus), "course file", tuple(notes))
    return Inventory((), "none", tuple(notes))
