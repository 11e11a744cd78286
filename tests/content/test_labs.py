"""Every lab runs top to bottom in smoke mode, offline, in a throw-away copy of its folder."""

import os
import shutil
import time

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from hub.datamanifest import lab_data_uses

from .labfiles import REPO, lab_folders

SMOKE_TIMEOUT_S = 180  # the ceiling for one lab in smoke mode on 2 CPU cores


def test_every_course_week_has_a_lab():
    import yaml

    course = yaml.safe_load((REPO / "course.yml").read_text())
    expected = {week["lab"] for week in course["weeks"]}
    assert expected == {p.name for p in lab_folders()}


@pytest.mark.parametrize("lab", lab_folders(), ids=lambda p: p.name)
def test_lab_has_notebook_and_readme(lab):
    assert (lab / f"{lab.name}.ipynb").is_file()
    readme = (lab / "README.md").read_text()
    for heading in ("Learning goals", "Estimated time", "Hand in"):
        assert heading in readme, f"{lab.name}/README.md lacks a '{heading}' section"


@pytest.mark.parametrize("lab", lab_folders(), ids=lambda p: p.name)
def test_lab_has_size_parameter_and_hidden_solutions(lab):
    nb = nbformat.read(lab / f"{lab.name}.ipynb", as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "MODE = coursekit.mode()" in tagged[0].source
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert solutions, f"{lab.name} has no solution cells"
    assert all(c.metadata.get("jupyter", {}).get("source_hidden") for c in solutions)


@pytest.mark.parametrize("lab", lab_folders(), ids=lambda p: p.name)
def test_lab_runs_in_smoke_mode(lab, tmp_path, monkeypatch, record_lab_time):
    # No course data: every loader must take its offline fallback, and say so.
    nb = run_lab(lab, tmp_path, monkeypatch, tmp_path / "no-course-data", record_lab_time)
    used = lab_data_uses(lab / f"{lab.name}.ipynb")
    printed = stream_text(nb)
    first = next(c for c in nb.cells if c.cell_type == "code")
    said = "".join(o.get("text", "") for o in first.outputs)
    for name in used:  # the lab's first output says so, then each loader again
        assert f"[coursekit] data: {name} -- NOT staged" in said, f"{lab.name}: {said}"
    assert printed.count("offline fallback:") >= len(used), printed[:3000]


def run_lab(lab, tmp_path, monkeypatch, data_dir, record_lab_time=None):
    """Run `lab` top to bottom in smoke mode in a copy of its folder; return the notebook."""
    workdir = tmp_path / lab.name
    shutil.copytree(lab, workdir)
    # The kernel inherits this environment: smoke size, the course data folder given,
    # coursekit importable, caches and config in tmp (the repo is read-only in the image test).
    monkeypatch.setenv("LAB_MODE", "smoke")
    monkeypatch.setenv("COURSE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    # CI shares its two cores with other jobs; oversubscribed OpenMP threads spin-wait and made
    # small models ~30x slower here. One thread per kernel keeps smoke runs predictable.
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    nb = nbformat.read(workdir / f"{lab.name}.ipynb", as_version=4)
    client = NotebookClient(
        nb,
        timeout=SMOKE_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": workdir}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{lab.name}: {_failing_cell(nb)}\n{error}", pytrace=False)
    finally:
        if record_lab_time:
            record_lab_time(lab.name, time.perf_counter() - start)
    return nb


def stream_text(nb) -> str:
    """Everything the notebook's cells printed."""
    return "".join(
        out.get("text", "") for cell in nb.cells for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
    )


def _failing_cell(nb) -> str:
    """Index and start of the first code cell whose output is an error."""
    for index, cell in enumerate(nb.cells):
        if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
            excerpt = "\n    ".join(cell.source.splitlines()[:8])
            return f"cell {index} failed:\n    {excerpt}"
    return "a cell failed (none recorded an error output)"
