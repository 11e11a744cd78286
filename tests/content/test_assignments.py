"""The four graded assignments, through the real nbgrader: the release hides the solutions and
hidden tests, the reference solution gets full marks, the blank release gets nothing, and each
plausible wrong answer loses exactly the points of the parts it breaks (so the tests test).

The first test that needs grades generates and autogrades every selected assignment at once,
on two worker threads (assignments/ copied to a temporary folder; see assignments_support);
the tests then read the scores from nbgrader's gradebooks.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

from .assignments_support.course import (
    ASSIGNMENTS,
    HIDDEN_MARKERS,
    SOLUTION_MARKERS,
    AssignmentRun,
    Scores,
    Submissions,
    marked_lines,
    outside_lines,
    run_all,
)
from .assignments_support.mutations import MUTATIONS, Mutation

IDS = sorted(MUTATIONS)
TOTAL_RE = re.compile(r"\*\*Total: (\d+) points\*\*")
REFERENCE, BLANK = "reference", "blank_release"


def source_notebook(assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(ASSIGNMENTS / "source" / assignment / f"{assignment}.ipynb", 4)


def mutate(nb: nbformat.NotebookNode, mutation: Mutation) -> nbformat.NotebookNode:
    wrong = copy.deepcopy(nb)
    cells = [c for c in wrong.cells if c.metadata.get("nbgrader", {}).get("grade_id")
             == mutation.cell]
    assert len(cells) == 1, f"{mutation.name}: no single cell {mutation.cell!r}"
    assert cells[0].source.count(mutation.old) == 1, (
        f"{mutation.name}: {mutation.old!r} must occur once in cell {mutation.cell!r}"
    )
    cells[0].source = cells[0].source.replace(mutation.old, mutation.new)
    return wrong


def grade_cells(nb: nbformat.NotebookNode) -> dict[str, int]:
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}


def submissions(assignment: str, course: Path) -> Submissions:
    """The reference solution, the blank release, and one notebook per wrong answer."""
    name = f"{assignment}.ipynb"
    solution = source_notebook(assignment)
    out = {
        REFERENCE: {name: solution},
        BLANK: {name: nbformat.read(course / "release" / assignment / name, 4)},
    }
    for mutation in MUTATIONS[assignment]:
        out[mutation.name] = {name: mutate(solution, mutation)}
    return out


@dataclass
class Graded:
    release: Path  # release/<assignment>/ as generate_assignment made it
    scores: Scores


@pytest.fixture(scope="module")
def graded(request, tmp_path_factory) -> dict[str, Graded]:
    """Generate and autograde, at once, every assignment that the selected tests need."""
    needed = sorted({item.callspec.params["assignment"] for item in request.session.items
                     if item.getparent(pytest.Module) is request.node
                     and "graded" in item.fixturenames})
    workers = max(1, min(2, os.cpu_count() or 1))
    runs = [AssignmentRun(a, tmp_path_factory.mktemp(a), workers,
                          lambda course, a=a: submissions(a, course)) for a in needed]
    scores = run_all(runs, workers)
    return {run.assignment: Graded(run.course / "release" / run.assignment,
                                   scores[run.assignment]) for run in runs}


def total(scores: dict[str, tuple[float, float]]) -> float:
    return sum(score for score, _ in scores.values())


@pytest.mark.parametrize("assignment", IDS)
def test_source_notebooks_are_clean_and_points_add_up(assignment):
    nb = source_notebook(assignment)
    nbformat.validate(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"cell {index} has output"
    stated = {int(t) for t in TOTAL_RE.findall(nb.cells[0].source)}
    readme = (ASSIGNMENTS / "source" / assignment / "README.md").read_text()
    stated_readme = {int(t) for t in TOTAL_RE.findall(readme)}
    points = sum(grade_cells(nb).values())
    assert stated == stated_readme == {points}, (
        f"notebook says {stated}, README says {stated_readme}, the cells add up to {points}"
    )


@pytest.mark.parametrize("assignment", IDS)
def test_release_has_no_solution_code_and_no_hidden_tests(graded, assignment):
    release = graded[assignment].release
    source = source_notebook(assignment)
    public = outside_lines(source)
    secrets = {
        "solution": marked_lines(source, SOLUTION_MARKERS) - public,
        "hidden test": marked_lines(source, HIDDEN_MARKERS) - public,
    }
    assert all(len(lines) >= 5 for lines in secrets.values()), secrets  # the scan has teeth
    files = [p for p in release.rglob("*") if p.is_file()]
    assert any(p.suffix == ".ipynb" for p in files) and any(p.name == "README.md" for p in files)
    for path in files:
        text = path.read_text(errors="replace")
        for marker in (*SOLUTION_MARKERS, *HIDDEN_MARKERS):
            assert marker not in text, f"{path.name} still contains {marker!r}"
        if path.suffix == ".ipynb":
            lines = {line.strip() for c in nbformat.read(path, 4).cells
                     for line in c.source.splitlines()}
        else:
            lines = {line.strip() for line in text.splitlines()}
        for kind, hidden in secrets.items():
            leaked = sorted(lines & hidden)
            assert not leaked, f"{path.name} leaks {kind} lines: {leaked[:5]}"


@pytest.mark.parametrize("assignment", IDS)
def test_reference_solution_gets_full_marks(graded, assignment):
    expected = grade_cells(source_notebook(assignment))
    got = graded[assignment].scores[REFERENCE]
    assert {cell: score for cell, (score, _) in got.items()} == expected


@pytest.mark.parametrize("assignment", IDS)
def test_unmodified_release_scores_nothing(graded, assignment):
    blank = graded[assignment].scores[BLANK]
    assert total(blank) == 0, blank


@pytest.mark.parametrize(
    ("assignment", "mutation"),
    [(a, mu) for a in IDS for mu in MUTATIONS[a]],
    ids=[f"{a}-{mu.name}" for a in IDS for mu in MUTATIONS[a]],
)
def test_wrong_answer_loses_exactly_the_parts_it_breaks(graded, assignment, mutation):
    points = grade_cells(source_notebook(assignment))
    scores = graded[assignment].scores[mutation.name]
    lost = {cell for cell, (score, max_score) in scores.items() if score < max_score}
    assert lost == mutation.breaks, f"{mutation.why}: lost {lost}, expected {mutation.breaks}"
    assert total(scores) == sum(points.values()) - sum(points[c] for c in lost)



def test_every_assignment_has_at_least_two_wrong_answers():
    assert IDS == sorted(p.name for p in (ASSIGNMENTS / "source").iterdir() if p.is_dir())
    assert IDS == ["A1", "A2", "A3", "A4"]
    assert all(len(MUTATIONS[a]) >= 2 for a in IDS)


def test_course_id_comes_from_the_course_file(tmp_path, monkeypatch):
    other = tmp_path / "course.yml"
    other.write_text("course:\n  id: other-course\n")
    monkeypatch.setenv("COURSE_FILE", str(other))
    loader = PyFileConfigLoader("nbgrader_config.py", path=str(ASSIGNMENTS))
    assert loader.load_config().CourseDirectory.course_id == "other-course"


DATE_RE = re.compile(r"\b20\d\d-\d\d-\d\d\b|\b(January|February|March|April|May|June|July|"
                     r"August|September|October|November|December) \d", re.IGNORECASE)


@pytest.mark.parametrize("assignment", IDS)
def test_no_dates_in_the_assignment_itself(assignment):
    """Release and due dates live in the course file only."""
    for path in (ASSIGNMENTS / "source" / assignment).rglob("*"):
        if path.is_file():
            found = DATE_RE.search(path.read_text())
            assert not found, f"{path.name} names a date: {found.group(0)!r}"
