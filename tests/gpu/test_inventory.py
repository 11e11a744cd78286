from pathlib import Path

import pytest

from hub.course import Gpu, MigInstance
from hub.gpu.inventory import (
    discover_inventory,
    inventory_from_nvml,
    inventory_from_smi,
    parse_query_gpu,
    parse_smi_list,
)

from .fake_nvml import GIB, FakeGpu, FakeNvml, a100_with_migs

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_query_gpu_rows_with_units():
    assert parse_query_gpu(read("query-gpu-h100x2.csv")) == [
        (0, "GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77", 81559),
        (1, "GPU-1f3a2b9c-0e7d-4c55-8f21-6b2d9c4e7a10", 81559),
    ]


def test_query_gpu_rows_without_units():
    assert parse_query_gpu(read("query-gpu-nounits.csv")) == [
        (0, "GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77", 24564)
    ]


def test_query_gpu_rejects_a_row_it_does_not_understand():
    with pytest.raises(ValueError, match="expected 3 fields"):
        parse_query_gpu("0, GPU-x\n")


def test_smi_list_without_mig():
    assert parse_smi_list(read("list-h100x2.txt")) == {
        "GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77": [],
        "GPU-1f3a2b9c-0e7d-4c55-8f21-6b2d9c4e7a10": [],
    }


def test_smi_list_with_mig_instances():
    parsed = parse_smi_list(read("list-a100-mig.txt"))
    assert parsed["GPU-e91edf3b-b297-37c1-a2a7-7601c3238fa2"] == [
        MigInstance(uuid="MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f", profile="1g.10gb"),
        MigInstance(uuid="MIG-cba663e8-9bed-5b25-b243-5985ef7c9beb", profile="1g.10gb"),
        MigInstance(uuid="MIG-1d6d3b3c-8a49-5a4f-9c8e-2f0d41c5a6b7", profile="3g.40gb"),
    ]
    assert parsed["GPU-7a2c4e10-93d1-4b8e-bd5c-0f6e1a2b3c4d"] == []


def test_smi_list_old_driver_mig_uuids():
    parsed = parse_smi_list(read("list-r450-mig.txt"))
    [migs] = parsed.values()
    assert [m.uuid for m in migs] == [
        "MIG-GPU-e91edf3b-b297-37c1-a2a7-7601c3238fa2/7/0",
        "MIG-GPU-e91edf3b-b297-37c1-a2a7-7601c3238fa2/8/0",
    ]
    assert {m.profile for m in migs} == {"1g.5gb"}


def fake_smi(query: str, listing: str):
    calls = []

    def run(args):
        calls.append(args)
        return read(listing) if args[1] == "-L" else read(query)

    return run, calls


def test_inventory_from_smi_joins_both_commands():
    run, calls = fake_smi("query-gpu-a100-mig.csv", "list-a100-mig.txt")
    gpus = inventory_from_smi(run)
    assert [(g.index, g.memory_mib, len(g.mig)) for g in gpus] == [(0, 81920, 3), (1, 81920, 0)]
    assert ["nvidia-smi", "--query-gpu=index,uuid,memory.total", "--format=csv,noheader"] in calls


def test_inventory_from_nvml_reads_gpus_and_mig_instances():
    nvml = a100_with_migs()
    gpus = inventory_from_nvml(nvml)
    assert gpus == [
        Gpu(
            index=0,
            uuid="GPU-aaaa",
            memory_mib=80 * 1024,
            mig=[
                MigInstance(uuid="MIG-1111", profile="1g.10gb"),
                MigInstance(uuid="MIG-2222", profile="1g.10gb"),
                MigInstance(uuid="MIG-3333", profile="3g.40gb"),
            ],
        ),
        Gpu(index=1, uuid="GPU-bbbb", memory_mib=80 * 1024, mig=[]),
    ]
    assert nvml.initialised == 0, "NVML must be shut down again"


def test_inventory_from_nvml_gpu_without_mig_support():
    nvml = FakeNvml([FakeGpu("GPU-cccc", 24 * GIB)])
    assert inventory_from_nvml(nvml) == [Gpu(index=0, uuid="GPU-cccc", memory_mib=24576)]


COURSE_GPUS = [Gpu(index=0, uuid="GPU-course")]


def no_nvml():
    raise ImportError("No module named 'pynvml'")


def test_discovery_prefers_nvml():
    inv = discover_inventory(COURSE_GPUS, import_nvml=a100_with_migs, which=lambda _: None)
    assert inv.source == "nvml"
    assert [g.uuid for g in inv.gpus] == ["GPU-aaaa", "GPU-bbbb"]


def test_discovery_falls_back_to_nvidia_smi():
    run, _ = fake_smi("query-gpu-h100x2.csv", "list-h100x2.txt")
    inv = discover_inventory(
        COURSE_GPUS, import_nvml=no_nvml, run=run, which=lambda _: "/usr/bin/nvidia-smi"
    )
    assert inv.source == "nvidia-smi"
    assert len(inv.gpus) == 2
    assert "NVML unavailable: ImportError" in inv.notes[0]


def test_discovery_falls_back_to_course_file_when_smi_fails():
    def broken(args):
        raise OSError("NVIDIA-SMI has failed because it couldn't communicate with the driver")

    inv = discover_inventory(
        COURSE_GPUS, import_nvml=no_nvml, run=broken, which=lambda _: "/usr/bin/nvidia-smi"
    )
    assert (inv.source, inv.gpus) == ("course file", tuple(COURSE_GPUS))
    assert any("couldn't communicate" in n for n in inv.notes)


def test_discovery_with_nothing_is_empty():
    inv = discover_inventory((), import_nvml=no_nvml, which=lambda _: None)
    assert (inv.source, inv.gpus) == ("none", ())
    assert "nvidia-smi not on PATH" in inv.notes
    assert "0 GPU(s)" in inv.describe()


def test_nvml_without_gpus_falls_through():
    inv = discover_inventory(COURSE_GPUS, import_nvml=lambda: FakeNvml([]), which=lambda _: None)
    assert inv.source == "course file"
    assert "NVML found no GPU" in inv.notes


def test_fake_nvml_only_uses_functions_the_real_binding_has():
    pynvml = pytest.importorskip("pynvml", reason="nvidia-ml-py is not installed")
    used = [name for name in dir(FakeNvml) if name.startswith(("nvml", "NVML"))]
    assert used and all(hasattr(pynvml, name) for name in used)
    assert pynvml.NVML_DEVICE_MIG_ENABLE == FakeNvml.NVML_DEVICE_MIG_ENABLE


def test_real_nvml_without_a_driver_falls_back(monkeypatch):
    pytest.importorskip("pynvml", reason="nvidia-ml-py is not installed")
    import pynvml

    def no_library():
        raise pynvml.NVMLError_LibraryNotFound()

    monkeypatch.setattr(pynvml, "nvmlInit", no_library)
    inv = discover_inventory(COURSE_GPUS, which=lambda _: None)
    assert inv.source == "course file"
    assert "NVMLError_LibraryNotFound" in inv.notes[0]
