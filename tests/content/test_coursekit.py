"""coursekit: run size, device, thread cap, loaders (manifest: tests/unit/test_data_manifest.py)."""

import sys
from pathlib import Path

import pytest

from coursekit import mode, paths, threads
from coursekit.text import load_text_classification
from coursekit.vision import load_images


def test_mode_reads_lab_mode(monkeypatch):
    monkeypatch.setenv("LAB_MODE", "Full")
    assert mode() == "full"
    monkeypatch.setenv("LAB_MODE", "smoke")
    assert mode() == "smoke"


def test_mode_rejects_unknown_values(monkeypatch):
    monkeypatch.setenv("LAB_MODE", "tiny")
    with pytest.raises(ValueError, match="tiny"):
        mode()


def test_mode_defaults_to_smoke_without_cuda(monkeypatch):
    # `coursekit.device` is the function; the module holding cuda_available is in sys.modules.
    device_module = sys.modules["coursekit.device"]
    monkeypatch.delenv("LAB_MODE", raising=False)
    monkeypatch.setattr(device_module, "cuda_available", lambda: False)
    assert mode() == "smoke"
    monkeypatch.setattr(device_module, "cuda_available", lambda: True)
    assert mode() == "full"


@pytest.mark.parametrize(
    ("content", "expected"),
    [("max 100000\n", None), ("200000 100000\n", 2), ("150000 100000\n", 2), ("50000 100000", 1)],
)
def test_cpu_quota_from_cgroup(tmp_path, content, expected):
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text(content)
    assert threads.cpu_quota(cpu_max) == expected


def test_cpu_quota_without_cgroup_file(tmp_path):
    assert threads.cpu_quota(tmp_path / "missing") is None


def test_loaders_fall_back_and_say_so(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    images = load_images("mnist", max_train=100)
    assert images.x_train.shape == (100, 1, 8, 8) and 0 <= images.x_train.min() <= 1
    text = load_text_classification(max_train=50, max_test=20)
    assert len(text.train_texts) == 50 and set(text.train_labels) <= {0, 1, 2, 3}
    out = capsys.readouterr().out
    assert out.count("offline fallback") == 2


def test_finds_a_complete_manifest_entry(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    model = Path(tmp_path, paths.SUBFOLDERS["SmolLM2-135M-Instruct"])
    model.mkdir(parents=True)
    assert paths.find("SmolLM2-135M-Instruct") is None  # folder without its marker: incomplete
    (model / "config.json").write_text("{}")
    assert paths.find("SmolLM2-135M-Instruct") == model


def _write_idx(path: Path, array, magic: int) -> None:
    import numpy as np

    header = np.array([magic, *array.shape], dtype=">i4").tobytes()
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_loads_mnist_from_the_course_data_folder(monkeypatch, tmp_path, capsys):
    import numpy as np

    raw = tmp_path / "vision" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 12), ("t10k", 5)):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)), 2051)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n), 2049)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    images = load_images("mnist")
    assert images.x_train.shape == (12, 1, 28, 28) and images.x_test.shape == (5, 1, 28, 28)
    assert float(images.x_train.max()) <= 1.0
    assert "MNIST from" in capsys.readouterr().out


def test_loads_ag_news_from_the_course_data_folder(monkeypatch, tmp_path):
    from datasets import Dataset, DatasetDict

    split = {"text": ["stocks rise", "team wins"], "label": [2, 1]}
    DatasetDict({"train": Dataset.from_dict(split), "test": Dataset.from_dict(split)}).save_to_disk(
        str(tmp_path / "text" / "ag_news")
    )
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    text = load_text_classification()
    assert text.train_texts == ["stocks rise", "team wins"] and text.source.startswith("AG News")


def _gpucheck(*args):
    import subprocess

    return subprocess.run(
        [sys.executable, "-m", "coursekit.gpucheck", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_gpucheck_runs_every_check_on_the_cpu_and_says_so():
    # The same checks `make gpu-check` runs per GPU profile; here (no GPU) on the CPU.
    import json

    from coursekit.gpucheck import VERDICT_TAG

    result = _gpucheck("--json")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.startswith("PASS ") for line in lines) == 4, result.stdout
    assert "PASS: 4 checks on CPU only, no GPU found" in lines
    report = json.loads(lines[-1].removeprefix(VERDICT_TAG))
    assert [r["check"] for r in report["results"]][-1] == "PyG import and a GCN on the device"


def test_gpucheck_fails_without_a_gpu_when_one_is_required():
    result = _gpucheck("--require-gpu")
    assert result.returncode == 1
    assert "FAIL: 4 checks on CPU only, no GPU found; failed: a GPU was required" in result.stdout
