"""Where `course` runs its grading commands: in the hub container (no nbformat, no nbgrader:
images/hub/requirements.in) every command goes to a staff-tools container, and must get there
without importing what only the grading folder's side needs. `sudo course release A1` on a
deployed server is exactly this (tests/deploy runs it for real)."""

from __future__ import annotations

import sys

import pytest

from hub.cli import build_parser
from hub.grading import commands, where

HUB_LACKS = ("nbformat", "nbgrader")

ARGV = {
    "release": ["release", "A1"],
    "collect": ["collect", "A1"],
    "feedback": ["feedback", "A1"],
    "grades": ["grades"],
    "similarity": ["similarity", "A1"],
    "extend": ["extend", "A1", "student1", "--until", "2026-10-09T18:30"],
}


@pytest.fixture
def hub_container(monkeypatch):
    """Imports of the modules the hub image lacks fail, as they do there; grading modules that
    were imported by earlier tests are forgotten so that they are imported afresh."""
    for name in list(sys.modules):
        if name.split(".")[0] in HUB_LACKS or name in (
            "hub.grading.workflow",
            "hub.grading.export",
            "hub.grading.similarity",
            "hub.grading.gradebook",
        ):
            monkeypatch.delitem(sys.modules, name)
    for name in HUB_LACKS:
        monkeypatch.setitem(sys.modules, name, None)  # `import nbformat` -> ImportError
    calls = []
    monkeypatch.setattr(
        commands, "run_in_toolbox", lambda args, argv, fetch=None: calls.append(argv) or 0
    )
    monkeypatch.setattr(where, "DEFAULT_GRADING_DIR", "/nonexistent/grading")
    monkeypatch.delenv("COURSE_GRADING_DIR", raising=False)
    return calls


@pytest.mark.parametrize("command", sorted(ARGV))
def test_command_goes_to_the_toolbox_without_nbgrader(hub_container, command):
    args = build_parser().parse_args(["--course", "course.yml", *ARGV[command]])
    assert args.func(args) == 0
    assert hub_container == [ARGV[command]]


def test_default_grading_dir_is_the_workflows():
    from hub.grading import workflow

    assert where.DEFAULT_GRADING_DIR == workflow.DEFAULT_GRADING_DIR


@pytest.mark.parametrize(
    "argv, message",
    [
        (["release", "A9"], "no assignment 'A9'; valid: A1, A2, A3, A4"),
        (["similarity", "A9"], "no assignment 'A9'"),
        (["extend", "A1", "nobody", "--until", "2026-10-09T18:30"],
         "nobody: not a student on the roster"),
        (["extend", "A1", "ta1", "--until", "2026-10-09T18:30"],
         "ta1: not a student on the roster"),  # staff get no extensions
        (["autograde", "A1", "--student", "student1", "--student", "nobody"],
         "nobody: not a student on the roster"),
    ],
)
def test_bad_input_is_one_line_before_any_container(hub_container, capsys, argv, message):
    args = build_parser().parse_args(["--course", "course.yml", *argv])
    assert args.func(args) == 1
    assert message in capsys.readouterr().err
    assert hub_container == []  # no staff-tools container was asked for


@pytest.mark.parametrize("argv", [["roster", "diff"], ["roster", "sync"], ["publish-labs"]])
def test_hub_only_commands_say_where_without_docker(monkeypatch, capsys, tmp_path, argv):
    """A staff server: no course-admin token, no Docker engine."""
    from hub.cli import main

    monkeypatch.setenv("COURSE_SECRETS_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_ADMIN_TOKEN", raising=False)
    monkeypatch.setattr(where, "docker_available", lambda: False)
    assert main(["--course", "course.yml", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"`course {' '.join(argv)}` runs in the hub container" in err
