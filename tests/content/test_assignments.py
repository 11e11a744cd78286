"""The four graded assignments, through the real nbgrader: the release hides the solutions and
hidden tests, the reference solution gets full marks, the blank release gets nothing, and each
plausible wrong answer loses exactly the points of the parts it breaks (so the tests test).

Each assignment is generated and autograded once (one release, one autograde per worker for
all its submissions); the tests then read the gradebook.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from .assignments_support.course import (
    ASSIGNMENTS,
    HIDDEN_MARKERS,
    SOLUTION_MARKERS,
    autograde_in_parallel,
    marked_lines,
    nbgrader,
    nbgrader_env,
    new_course,
    outside_lines,
)
from .assignments_support.mutations import MUTATIONS, Mutation

IDS = sorted(MUTATIONS)
TOTAL_RE = re.compile(r"\*\*Total: (\d+) points\*\*")
REFERENCE, BLANK = "reference", "blank_release"


@dataclass
class Graded:
    assignment: str
    source: Path
    release: Path
    scores: dict[str, dict[str, tuple[float, float]]]  # student -> grade cell -> (score, max)

    def total(self, student: str) -> float:
        return sum(score for score, _ in self.scores[student].values())


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


_GRADED: dict[str, Graded] = {}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Generate and autograde an assignment on first use; later tests reuse the gradebook."""

    def get(assignment: str) -> Graded:
        if assignment not in _GRADED:
            root = tmp_path_factory.mktemp(assignment)
            env = nbgrader_env(root / "scratch")
            course = new_course(root)
            nbgrader(course, env, "generate_assignment", assignment)
            name = f"{assignment}.ipynb"
            solution = source_notebook(assignment)
            submissions = {
                REFERENCE: {name: solution},
                BLANK: {name: nbformat.read(course / "release" / assignment / name, 4)},
            }
            for mutation in MUTATIONS[assignment]:
                submissions[mutation.name] = {name: mutate(solution, mutation)}
            workers = max(1, min(2, os.cpu_count() or 1))
            scores = autograde_in_parallel(course, assignment, env, submissions, workers)
            _GRADED[assignment] = Graded(assignment, course / "source" / assignment,
                                         course / "release" / assignment, scores)
        return _GRADED[assignment]

    return get


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
    g = graded(assignment)
    source = source_notebook(assignment)
    public = outside_lines(source)
    secrets = {
        "solution": marked_lines(source, SOLUTION_MARKERS) - public,
        "hidden test": marked_lines(source, HIDDEN_MARKERS) - public,
    }
    assert all(len(lines) >= 5 for lines in secrets.values()), secrets  # the scan has teeth
    files = [p for p in g.release.rglob("*") if p.is_file()]
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
    g = graded(assignment)
    expected = grade_cells(source_notebook(assignment))
    got = g.scores[REFERENCE]
    assert {cell: score for cell, (score, _) in got.items()} == expected


@pytest.mark.parametrize("assignment", IDS)
def test_unmodified_release_scores_nothing(graded, assignment):
    g = graded(assignment)
    assert g.total(BLANK) == 0, g.scores[BLANK]


@pytest.mark.parametrize(
    ("assignment", "mutation"),
    [(a, mu) for a in IDS for mu in MUTATIONS[a]],
    ids=[f"{a}-{mu.name}" for a in IDS for mu in MUTATIONS[a]],
)
def test_wrong_answer_loses_exactly_the_parts_it_breaks(graded, assignment, mutation):
    g = graded(assignment)
    points = grade_cells(source_notebook(assignment))
    scores = g.scores[mutation.name]
    lost = {cell for cell, (score, max_score) in scores.items() if score < max_score}
    assert lost == mutation.breaks, f"{mutation.why}: lost {lost}, expected {mutation.breaks}"
    assert g.total(mutation.name) == sum(points.values()) - sum(points[c] for c in lost)

