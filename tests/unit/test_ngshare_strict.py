"""ngshare_strict.py's checks of uploaded file names (the ngshare image runs ngshare behind
them; tests/stack/test_hostile_api.py sends the same names to the real ngshare)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from hostile import tried

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    "ngshare_strict", ROOT / "images" / "ngshare" / "ngshare_strict.py"
)
strict = importlib.util.module_from_spec(spec)
spec.loader.exec_module(strict)


def files(*paths: str) -> str:
    return json.dumps([{"path": p, "content": "aGk="} for p in paths])


@pytest.mark.parametrize(
    "body",
    [
        files("A1.ipynb"),
        files("A1.ipynb", "data/x.csv", "data/y.csv"),
        files("é.ipynb"),
        files("a b/c.txt"),
        None,
    ],
)
def test_ordinary_submissions_pass(body):
    assert strict.files_problem(body) is None


@pytest.mark.parametrize(
    "body",
    [
        files("a\x00b.ipynb"),
        files("a\nb"),
        files("x\x7f"),
        files("x" * 256),
        files("d/" + "x" * 256),
        files("/".join(["d"] * 600)),
        files("a", "a/b"),
        files("a", "a"),
        files("data", "data/x/y.csv"),
        "not json",
        "{}",
        json.dumps({"path": "x"}),
        json.dumps([["x", "y"]]),
        json.dumps([{"path": 1, "content": ""}]),
        json.dumps([{"path": "x"}]),
        json.dumps([{"path": "x", "content": None}]),
        json.dumps([{"path": "\ud800", "content": ""}]),
        json.dumps([{"path": "x", "content": "%%%"}]),
        "[" * 100_000,
        files(*[f"f{i}" for i in range(1001)]),
    ],
)
def test_names_that_would_break_collect_or_ngshare_are_refused(body):
    tried("ngshare: upload bodies (unit)")
    assert strict.files_problem(body)
