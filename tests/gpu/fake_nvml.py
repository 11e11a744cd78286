"""A stand-in for the `pynvml` module: the NVML functions the hub calls, over a fixed host."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace


class NVMLError(Exception):
    pass


@dataclasses.dataclass
class FakeMig:
    uuid: str
    name: str  # e.g. "NVIDIA A100-SXM4-80GB MIG 1g.10gb"
    processes: list[int] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class FakeGpu:
    uuid: str
    memory_bytes: int
    mig_slots: list[FakeMig | None] | None = None  # None: MIG not supported
    mig_enabled: bool = False
    utilisation: int = 0
    process_util: list[tuple[int, int, int]] = dataclasses.field(default_factory=list)
    # (pid, smUtil, timeStamp in microseconds)


class FakeNvml:
    NVMLError = NVMLError
    NVML_DEVICE_MIG_ENABLE = 1

    def __init__(self, gpus: list[FakeGpu]):
        self.gpus = gpus
        self.initialised = 0

    def nvmlInit(self):
        self.initialised += 1

    def nvmlShutdown(self):
        self.initialised -= 1

    def _live(self):
        if self.initialised <= 0:
            raise NVMLError("Uninitialized")

    def nvmlDeviceGetCount(self):
        self._live()
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index):
        return self.gpus[index]

    def nvmlDeviceGetUUID(self, handle):
        return handle.uuid

    def nvmlDeviceGetName(self, handle):
        return handle.name

    def nvmlDeviceGetMemoryInfo(self, handle):
        return SimpleNamespace(total=handle.memory_bytes)

    def nvmlDeviceGetMigMode(self, handle):
        if handle.mig_slots is None:
            raise NVMLError("Not Supported")
        mode = int(handle.mig_enabled)
        return mode, mode

    def nvmlDeviceGetMaxMigDeviceCount(self, handle):
        return len(handle.mig_slots or [])

    def nvmlDeviceGetMigDeviceHandleByIndex(self, handle, index):
        mig = handle.mig_slots[index]
        if mig is None:
            raise NVMLError("Not Found")
        return mig

    def nvmlDeviceGetUtilizationRates(self, handle):
        return SimpleNamespace(gpu=handle.utilisation, memory=0)

    def nvmlDeviceGetComputeRunningProcesses(self, handle):
        return [SimpleNamespace(pid=pid, usedGpuMemory=1 << 30) for pid in handle.processes]

    def nvmlDeviceGetProcessUtilization(self, handle, last_seen):
        rows = [
            SimpleNamespace(pid=pid, smUtil=util, timeStamp=stamp)
            for pid, util, stamp in handle.process_util
            if stamp > last_seen
        ]
        if not rows:
            raise NVMLError("Not Found")
        return rows


GIB = 1024**3


def a100_with_migs() -> FakeNvml:
    """GPU 0: MIG on, two 1g.10gb and one 3g.40gb, one empty slot; GPU 1: MIG off."""
    name = "NVIDIA A100-SXM4-80GB MIG "
    return FakeNvml(
        [
            FakeGpu(
                "GPU-aaaa",
                80 * GIB,
                mig_slots=[
                    FakeMig("MIG-1111", name + "1g.10gb"),
                    None,
                    FakeMig("MIG-2222", name + "1g.10gb"),
                    FakeMig("MIG-3333", name + "3g.40gb"),
                ],
                mig_enabled=True,
            ),
            FakeGpu("GPU-bbbb", 80 * GIB, mig_slots=[None] * 7, mig_enabled=False),
        ]
    )
