"""Notebooks under labs/ are committed without outputs or execution counts."""

import nbformat
import pytest

from .labfiles import LABS

NOTEBOOKS = sorted(LABS.rglob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found under labs/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(LABS)))
def test_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert not cell.outputs, f"{path.name}: cell {index} has outputs"
        assert cell.execution_count is None, f"{path.name}: cell {index} has an execution count"
