"""GPU activity samples from NVML, for the GPU-aware culler.

- a whole GPU: `nvmlDeviceGetUtilizationRates().gpu`, keyed by the GPU's UUID;
- a MIG instance: NVML has no per-instance utilisation, so a running compute process on the
  instance counts as activity (utilisation 100), none as 0;
- with `per_process`, each process's SM utilisation on a non-MIG GPU is also reported under its
  container's key (`container:<id>`, found from /proc/<pid>/cgroup). NVML gives host PIDs, so
  this needs the culler in the host's PID namespace; without it shared GPUs are judged per GPU.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from hub.gpu.activity import Sample, container_key
from hub.gpu.inventory import _text

CGROUP_CONTAINER_RE = re.compile(r"(?:docker-|docker/|containerd-)([0-9a-f]{64})")


def container_of_pid(pid: int, proc: Path = Path("/proc")) -> str | None:
    """The Docker container id a host PID runs in, from its cgroup path (None if none)."""
    try:
        text = (proc / str(pid) / "cgroup").read_text()
    except OSError:
        return None
    match = CGROUP_CONTAINER_RE.search(text)
    return match.group(1) if match else None


class NvmlSampler:
    """Takes one round of samples each call; keeps NVML initialised between calls."""

    def __init__(
        self,
        nvml,
        *,
        per_process: bool = False,
        container_of: Callable[[int], str | None] = container_of_pid,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ):
        self.nvml = nvml
        self.per_process = per_process
        self.container_of = container_of
        self.clock = clock
        self._last_seen_us: dict[int, int] = {}  # GPU index -> newest process sample taken
        nvml.nvmlInit()

    def close(self) -> None:
        self.nvml.nvmlShutdown()

    def sample(self) -> list[Sample]:
        nvml, now = self.nvml, self.clock()
        out: list[Sample] = []
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            migs = self._mig_handles(handle)
            if migs:
                out += [self._mig_sample(mig, now) for mig in migs]
                continue
            uuid = _text(nvml.nvmlDeviceGetUUID(handle))
            out.append(Sample(uuid, now, float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)))
            if self.per_process:
                out += self._process_samples(index, handle, now)
        return out

    def _mig_handles(self, handle) -> list:
        nvml = self.nvml
        try:
            current, _pending = nvml.nvmlDeviceGetMigMode(handle)
        except nvml.NVMLError:
            return []
        if current != nvml.NVML_DEVICE_MIG_ENABLE:
            return []
        handles = []
        for slot in range(nvml.nvmlDeviceGetMaxMigDeviceCount(handle)):
            try:
                handles.append(nvml.nvmlDeviceGetMigDeviceHandleByIndex(handle, slot))
            except nvml.NVMLError:
                continue
        return handles

    def _mig_sample(self, mig, now: dt.datetime) -> Sample:
        busy = bool(self.nvml.nvmlDeviceGetComputeRunningProcesses(mig))
        return Sample(_text(self.nvml.nvmlDeviceGetUUID(mig)), now, 100.0 if busy else 0.0)

    def _process_samples(self, index: int, handle, now: dt.datetime) -> list[Sample]:
        nvml = self.nvml
        try:
            rows = nvml.nvmlDeviceGetProcessUtilization(handle, self._last_seen_us.get(index, 0))
        except nvml.NVMLError:
            return []  # NVML_ERROR_NOT_FOUND: no process ran since the last call
        best: dict[str, float] = {}
        for row in rows:
            self._last_seen_us[index] = max(self._last_seen_us.get(index, 0), row.timeStamp)
            container = self.container_of(row.pid)
            if container:
                best[container] = max(best.get(container, 0.0), float(row.smUtil))
        return [Sample(container_key(c), now, util) for c, util in best.items()]
