"""Students' pulls through nbgitpuller's own GitPuller against the file:// repository: their
edits survive staff updates (nbgitpuller's rules: local edits are committed, then merged with
`-Xours`, so the student's side wins where both changed the same lines)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nbgitpuller import GitPuller

from hub.publish import publish

from .conftest import utc

WEEK2 = utc("2026-09-27T12:00")
NOTEBOOK = "week01-intro/week01-intro.ipynb"


def pull(repo: Path, home: Path) -> list[str]:
    """What /git-pull/api does for repo=file://<repo>&branch=main&targetpath=labs."""
    puller = GitPuller(f"file://{repo}", str(home / "labs"), branch="main")
    return list(puller.pull())


def cell_sources(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]]


def edit_cell(path: Path, index: int, source: str) -> None:
    doc = json.loads(path.read_text())
    doc["cells"][index]["source"] = source
    path.write_text(json.dumps(doc, indent=1) + "\n")


@pytest.fixture
def student(course, labs, bare_repo, tmp_path) -> Path:
    """A student home after a first pull of week 1."""
    publish(course, labs, utc("2026-09-17T12:00"), repo=bare_repo)
    home = tmp_path / "home"
    home.mkdir()
    pull(bare_repo, home)
    return home


def test_first_pull_lands_the_lab_in_the_home(student):
    assert (student / "labs" / NOTEBOOK).is_file()
    assert not (student / "labs" / "week02-mlp").exists()


def test_update_keeps_student_edits_and_brings_new_files(course, labs, bare_repo, student):
    mine = student / "labs" / NOTEBOOK
    edit_cell(mine, 2, "my_answer = 'mine'\n")  # the student's work
    (student / "labs" / "week01-intro" / "notes.md").write_text("my notes\n")  # untracked
    # Staff: week 2 is released, week 1 gets a new file and a changed README.
    (labs / "week01-intro" / "extra.py").write_text("print('new')\n")
    (labs / "week01-intro" / "README.md").write_text("# week01-intro\n\nUpdated text.\n")
    publish(course, labs, WEEK2, repo=bare_repo)

    pull(bare_repo, student)

    lab = student / "labs"
    assert cell_sources(lab / NOTEBOOK)[2] == "my_answer = 'mine'\n"
    assert (lab / "week01-intro" / "notes.md").read_text() == "my notes\n"
    assert (lab / "week01-intro" / "extra.py").read_text() == "print('new')\n"
    assert "Updated text." in (lab / "week01-intro" / "README.md").read_text()
    assert (lab / "week02-mlp" / "week02-mlp.ipynb").is_file()


def test_conflicting_lines_keep_the_students_version(course, labs, bare_repo, student):
    """Both sides changed the same cell: no conflict markers, the student's lines win, and
    staff changes elsewhere in the same notebook still arrive."""
    edit_cell(student / "labs" / NOTEBOOK, 1, "x = 'student'\n")
    staff = labs / "week01-intro" / "week01-intro.ipynb"
    edit_cell(staff, 1, "x = 'staff fix'\n")
    edit_cell(staff, 0, "# week01-intro (revised)\nimport torch\n")
    publish(course, labs, WEEK2, repo=bare_repo)

    pull(bare_repo, student)

    sources = cell_sources(student / "labs" / NOTEBOOK)  # still valid JSON
    assert sources[1] == "x = 'student'\n"
    assert sources[0].startswith("# week01-intro (revised)")
    assert "<<<<<<<" not in (student / "labs" / NOTEBOOK).read_text()


def test_a_deleted_file_comes_back_on_the_next_pull(course, labs, bare_repo, student):
    (student / "labs" / NOTEBOOK).unlink()
    pull(bare_repo, student)
    assert (student / "labs" / NOTEBOOK).is_file()


def test_a_student_file_in_the_way_of_a_new_file_is_renamed(course, labs, bare_repo, student):
    (student / "labs" / "week01-intro" / "extra.py").write_text("mine\n")
    (labs / "week01-intro" / "extra.py").write_text("print('new')\n")
    publish(course, labs, WEEK2, repo=bare_repo)
    pull(bare_repo, student)
    folder = student / "labs" / "week01-intro"
    assert (folder / "extra.py").read_text() == "print('new')\n"
    kept = [p for p in folder.glob("extra__*.py")]
    assert len(kept) == 1 and kept[0].read_text() == "mine\n"
