"""The labs' real-data path: `course data fetch` stages every manifest entry from a mirror, and
every lab that loads data runs in smoke mode on it and says it used it, not its fallback.

The real sources cannot be reached here (no network), so the mirror is a file:// tree of tiny
stand-ins in the sources' own formats (tests/content/tinydata.py), built once per session. The
fetchers, the checksums, the staging and the labs' loaders are the real ones.
"""

import json
import subprocess
import sys

import pytest
import yaml

from hub.datamanifest import lab_data_uses

from .labfiles import LABS, REPO, lab_folders
from .test_labs import run_lab, stream_text
from .tinydata import build_mirror

MANIFEST = LABS / "data-manifest.yml"
ENTRIES = yaml.safe_load(MANIFEST.read_text())["entries"]


def course_data(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", "data", *args, "--manifest", str(MANIFEST)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=REPO,
    )


@pytest.fixture(scope="session")
def fetched(tmp_path_factory):
    """A data folder fetched from the tiny mirror, as `course data fetch` stages it."""
    base = tmp_path_factory.mktemp("course-data")
    mirror = build_mirror(base / "mirror", [e["name"] for e in ENTRIES])
    data = base / "data"
    data.mkdir()
    empty = course_data("status", "--data-dir", str(data))
    assert empty.returncode == 1, empty.stdout + empty.stderr
    assert empty.stdout.count(" missing ") == len(ENTRIES), empty.stdout
    fetch = course_data("fetch", "--data-dir", str(data), "--mirror", mirror.as_uri())
    assert fetch.returncode == 0, fetch.stdout + fetch.stderr
    report = json.loads(fetch.stdout.splitlines()[-1].removeprefix("COURSE-DATA "))
    assert sorted(f["name"] for f in report["fetched"]) == sorted(e["name"] for e in ENTRIES)
    return data, mirror


def test_status_names_every_entry_present_after_the_fetch_and_a_second_fetch_does_nothing(fetched):
    data, mirror = fetched
    status = course_data("status", "--data-dir", str(data))
    assert status.returncode == 0, status.stdout + status.stderr
    assert status.stdout.count(" present ") == len(ENTRIES), status.stdout
    again = course_data("fetch", "--data-dir", str(data), "--mirror", mirror.as_uri())
    report = json.loads(again.stdout.splitlines()[-1].removeprefix("COURSE-DATA "))
    assert (
        again.returncode == 0 and report["fetched"] == [] and len(report["present"]) == len(ENTRIES)
    )


def test_each_fetcher_left_what_the_labs_read(fetched):
    data, _ = fetched
    mnist = data / "vision" / "MNIST" / "raw"
    assert sorted(p.name for p in mnist.iterdir()) == [  # unpacked, archives removed
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
    ]
    assert (data / "vision" / "cifar-10-batches-py" / "data_batch_5").is_file()
    assert (data / "text" / "ag_news" / "train" / "dataset_info.json").is_file()
    assert list((data / "graphs" / "Cora" / "processed").iterdir())  # processed at fetch time
    model = data / "models" / "distilbert-base-uncased"
    assert (model / "model.safetensors").is_file() and (model / "tokenizer.json").is_file()


DATA_LABS = [lab for lab in lab_folders() if lab_data_uses(lab / f"{lab.name}.ipynb")]


@pytest.mark.parametrize("lab", DATA_LABS, ids=lambda p: p.name)
def test_lab_runs_on_the_real_data_path(lab, fetched, tmp_path, monkeypatch):
    data, _ = fetched
    nb = run_lab(lab, tmp_path, monkeypatch, data)
    printed = stream_text(nb)
    assert "offline fallback" not in printed and "NOT staged" not in printed, printed[:3000]
    first = next(c for c in nb.cells if c.cell_type == "code")
    said = "".join(o.get("text", "") for o in first.outputs)
    for name in lab_data_uses(lab / f"{lab.name}.ipynb"):
        target = next(e["target"] for e in ENTRIES if e["name"] == name)
        assert f"[coursekit] data: {name} -- the real data set, from {data / target}" in said, said
        folder = str(data / target.split("/")[0])
        assert any(
            line.startswith("[coursekit]") and folder in line and "data:" not in line
            for line in printed.splitlines()
        ), f"{lab.name}: no loader said it read {name} from {folder}"
