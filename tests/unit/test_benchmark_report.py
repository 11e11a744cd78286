"""benchmarks/report.py: the one percentile every benchmark uses, and the provenance each
result file carries."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import report  # noqa: E402

samples = st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=50)


@given(samples, st.floats(0, 1))
def test_a_percentile_stays_within_the_sample(values, q):
    assert min(values) <= report.percentile(values, q) <= max(values)


@given(samples, st.floats(0, 1), st.floats(0, 1))
def test_a_higher_q_never_gives_a_lower_percentile(values, a, b):
    low, high = sorted((a, b))
    assert report.percentile(values, low) <= report.percentile(values, high)


def test_small_samples_keep_p95_at_or_below_the_maximum():
    # statistics.quantiles' default ("exclusive") method, used by one benchmark before,
    # extrapolates: its p95 of three latencies lies above the largest of them.
    three = [3.8, 6.3, 6.8]
    assert statistics.quantiles(three, n=100)[94] > max(three)
    assert report.percentile(three, 0.95) == pytest.approx(6.75)
    assert report.percentile([2.0], 0.95) == 2.0
    assert report.percentile([1, 2, 3, 4, 5], 0.5) == 3


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="no values"):
        report.percentile([], 0.5)
    with pytest.raises(ValueError, match="within 0..1"):
        report.percentile([1.0], 95)


def test_a_result_file_says_where_it_came_from(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    monkeypatch.setattr(report, "ROOT", ROOT)
    path = report.write_result(
        "demo", {"p95_s": 1.5}, [str(ROOT / "benchmarks" / "spawn.py"), "--users", "5"]
    )
    data = json.loads(path.read_text())
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    prov = data["provenance"]
    assert prov["command"] == "python benchmarks/spawn.py --users 5"
    assert prov["commit"] == head and len(head) == 40
    assert prov["machine"]["cores"] >= 1 and prov["machine"]["memory_gib"] > 0
    assert prov["machine"]["docker_storage_driver"]
    assert prov["date"].endswith("+00:00")
    assert data["p95_s"] == 1.5
    assert path.name.startswith("demo-") and path.suffix == ".json"
