"""The two steps around the sandbox, without Docker: what a sandbox is given (pack) and how its
executed notebooks are scored outside it without executing anything (score)."""

from __future__ import annotations

import nbformat
import pytest
import test_sandbox
from nbformat.v4 import new_output
from nbgrader.api import Gradebook
from test_sandbox import COURSE_ID

from hub.grading import workflow

tiny_course = test_sandbox.course_root  # a one-question course, as a fixture


def test_pack_gives_the_sandbox_no_other_students_data_and_no_solutions(tiny_course, tmp_path):
    with Gradebook(workflow.db_url(tiny_course), COURSE_ID) as gb:
        gb.update_or_create_student("someone_else", first_name="Private")
    scratch = workflow.pack(tiny_course, COURSE_ID, "ps1", "good", tmp_path)
    files = sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*") if p.is_file())
    assert files == ["gradebook.db", "nbgrader_config.py", "source/ps1/data.txt",
                     "submitted/good/ps1/ps1.ipynb", "submitted/good/ps1/timestamp.txt"]
    with Gradebook(workflow.db_url(scratch), COURSE_ID) as gb:
        assert gb.students == []
        assert [c.name for c in gb.find_notebook("ps1", "ps1").grade_cells] == ["test"]
    assert "### BEGIN SOLUTION" not in "".join(
        p.read_text(errors="replace") for p in scratch.rglob("*")
        if p.is_file() and p.suffix != ".db")


def executed(tiny_course, tmp_path, student: str, error: bool, ran: bool = True):
    nb = nbformat.read(tiny_course / "submitted" / student / "ps1" / "ps1.ipynb", as_version=4)
    for i, cell in enumerate(nb.cells, 1):
        cell.execution_count = i if ran else None
    if error:
        nb.cells[1].outputs = [new_output("error", ename="AssertionError", evalue="",
                                          traceback=["AssertionError"])]
    folder = tmp_path / student / "ps1"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "ps1.ipynb")
    return folder


def test_scoring_reads_outputs_and_executes_nothing(tiny_course, tmp_path):
    # "loop" would never finish if scoring executed it
    passed = workflow.score(tiny_course, COURSE_ID, "ps1", "loop",
                            executed(tiny_course, tmp_path / "a", "loop", error=False))
    assert (passed.score, passed.max_score) == (1.0, 1.0)
    failed = workflow.score(tiny_course, COURSE_ID, "ps1", "loop",
                            executed(tiny_course, tmp_path / "b", "loop", error=True))
    assert failed.score == 0.0
    with Gradebook(workflow.db_url(tiny_course), COURSE_ID) as gb:
        sub = gb.find_submission("ps1", "loop")
        assert sub.timestamp.isoformat() == "2026-10-01T12:00:00"  # from submitted/, not the box


def test_an_unexecuted_test_cell_is_never_scored(tiny_course, tmp_path):
    with pytest.raises(workflow.WorkflowError, match="was not executed"):
        workflow.score(tiny_course, COURSE_ID, "ps1", "crash",
                       executed(tiny_course, tmp_path, "crash", error=False, ran=False))
