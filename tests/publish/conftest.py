"""Fixtures for the publication tests: a course in Europe/London, a labs/ folder, an
assignments/ folder full of solutions beside it, and a clock helper."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from hub.course import load_course

COURSE_YML = """\
course:
  id: pubtest
  title: "Publication test course"
  timezone: Europe/London
  semester_start: 2026-09-16
  lab_start: "18:30"
weeks:
  - {week: 1, title: "Intro", lab: week01-intro}
  - {week: 2, title: "MLPs", lab: week02-mlp}
  - {week: 3, title: "Optimisation", lab: week03-optim}
  - {week: 4, title: "CNNs", lab: week04-cnn}
  - {week: 5, title: "RNNs", lab: week05-rnn}
  - {week: 6, title: "Midterm", lab: week06-workshop}
  - {week: 7, title: "Transformers", lab: week07-transformers}
  - {week: 8, title: "GNNs"}
assignments:
  - {id: A1, title: "Backprop from scratch", release: 2, due: 4, weight: 5}
  - {id: A2, title: "Across the clock change", release: 4, due: 7, weight: 5}
late_policy: {mode: scale, rate_per_day: 0.10, max_days: 3, grace_minutes: 0}
extensions:
  - {student: student2, assignment: A1, until: "2026-10-09T18:30:00", reason: "medical"}
"""
LAB_WEEKS = [
    "week01-intro", "week02-mlp", "week03-optim", "week04-cnn", "week05-rnn",
    "week06-workshop", "week07-transformers",
]


def utc(text: str) -> dt.datetime:
    """An aware UTC datetime from 'YYYY-MM-DDTHH:MM[:SS]'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def notebook(*sources: str) -> str:
    cells = [
        {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
         "outputs": [], "source": src}
        for i, src in enumerate(sources)
    ]
    doc = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc, indent=1) + "\n"


def make_lab(labs: Path, name: str) -> Path:
    folder = labs / name
    folder.mkdir(parents=True)
    (folder / f"{name}.ipynb").write_text(
        notebook(f"# {name}\nimport torch\n", "x = 1\n", "# your code here\n")
    )
    (folder / "README.md").write_text(f"# {name}\n\nWhat this lab is about.\n")
    return folder


@pytest.fixture
def course_path(tmp_path: Path) -> Path:
    path = tmp_path / "course.yml"
    path.write_text(COURSE_YML)
    return path


@pytest.fixture
def course(course_path: Path):
    return load_course(course_path)


@pytest.fixture
def labs(tmp_path: Path) -> Path:
    """labs/ with every week's folder, debris to skip, and assignments/ with solutions beside."""
    labs = tmp_path / "labs"
    for name in LAB_WEEKS:
        make_lab(labs, name)
    (labs / "data-manifest.yml").write_text("datasets: []\n")
    (labs / "week01-intro" / ".ipynb_checkpoints").mkdir()
    (labs / "week01-intro" / ".ipynb_checkpoints" / "week01-intro-checkpoint.ipynb").write_text(
        "{}"
    )
    (labs / "week01-intro" / "helpers").mkdir()
    (labs / "week01-intro" / "helpers" / "plot.py").write_text("def plot():\n    pass\n")
    assignments = tmp_path / "assignments" / "source" / "A1"
    assignments.mkdir(parents=True)
    (assignments / "A1.ipynb").write_text(
        notebook("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION\n",
                 "### BEGIN HIDDEN TESTS\nassert answer == 42\n### END HIDDEN TESTS\n")
    )
    return labs


@pytest.fixture
def bare_repo(tmp_path: Path) -> Path:
    return tmp_path / "served" / "labs.git"  # publish creates it


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def clone(repo: Path, into: Path) -> Path:
    git("clone", "--quiet", f"file://{repo}", str(into))
    return into
