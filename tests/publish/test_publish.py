"""Publication into a temporary bare repository, with the clock before and after releases."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.publish import PublishError, lab_problems, parse_now, publish

from .conftest import clone, git, utc

# Week 2 opens 2026-09-23 18:30 BST (17:30Z), week 3 on 2026-09-30 at 17:30Z.
BETWEEN_2_AND_3 = utc("2026-09-27T12:00")
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def published_tree(repo: Path, tmp: Path) -> dict[str, str]:
    work = clone(repo, tmp / "check")
    return {
        p.relative_to(work).as_posix(): p.read_text(errors="replace")
        for p in work.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(work).parts
    }


def test_only_released_weeks_are_published(course, labs, bare_repo, tmp_path):
    result = publish(course, labs, BETWEEN_2_AND_3, repo=bare_repo)
    assert result.changed and result.weeks == (1, 2)
    tree = published_tree(bare_repo, tmp_path)
    folders = {path.split("/")[0] for path in tree}
    assert folders == {"week01-intro", "week02-mlp", "README.md", "data-manifest.yml"}
    assert "week01-intro/week01-intro.ipynb" in tree
    assert "week01-intro/helpers/plot.py" in tree
    assert not any(".ipynb_checkpoints" in path for path in tree)
    # No assignment source, solution or hidden test anywhere in the published tree.
    assert not any("assignments" in path or "A1" in path for path in tree)
    for path, text in tree.items():
        assert not any(marker in text for marker in MARKERS), path
    assert "week03" not in tree["README.md"] and "week02-mlp" in tree["README.md"]


def test_clock_just_before_and_after_a_release(course, labs, bare_repo, tmp_path):
    before = publish(course, labs, utc("2026-09-30T17:29:59"), repo=bare_repo)
    assert before.weeks == (1, 2)
    after = publish(course, labs, utc("2026-09-30T17:30:00"), repo=bare_repo)
    assert after.weeks == (1, 2, 3)
    assert "week03-optim/week03-optim.ipynb" in after.added
    assert "week03-optim/week03-optim.ipynb" in published_tree(bare_repo, tmp_path)


def test_release_after_the_clock_change_uses_gmt(course, labs, bare_repo):
    # Week 7 opens 2026-10-28 18:30 GMT = 18:30Z (clocks went back on 25 Oct); at 17:45Z a
    # BST reading of the release would already have published it.
    assert 7 not in publish(course, labs, utc("2026-10-28T17:45"), repo=bare_repo).weeks
    assert 7 in publish(course, labs, utc("2026-10-28T18:30"), repo=bare_repo).weeks


def test_nothing_new_makes_no_commit(course, labs, bare_repo):
    first = publish(course, labs, BETWEEN_2_AND_3, repo=bare_repo)
    again = publish(course, labs, utc("2026-09-28T09:00"), repo=bare_repo)
    assert not again.changed and again.commit is None
    assert again.summary() == "labs up to date on main (released weeks: 1, 2); no commit"
    assert first.summary().endswith("on main: weeks 1, 2 (7 added, 0 changed, 0 removed)")
    assert git("rev-parse", "main", cwd=bare_repo).strip() == first.commit


def test_an_update_is_a_new_commit_on_top(course, labs, bare_repo):
    first = publish(course, labs, BETWEEN_2_AND_3, repo=bare_repo)
    (labs / "week01-intro" / "extra.py").write_text("print('new')\n")
    (labs / "week02-mlp" / "README.md").write_text("# week02-mlp\n\nCorrected text.\n")
    (labs / "week01-intro" / "helpers" / "plot.py").unlink()
    second = publish(course, labs, BETWEEN_2_AND_3, repo=bare_repo)
    assert second.changed and second.commit != first.commit
    assert second.added == ("week01-intro/extra.py",)
    assert second.modified == ("week02-mlp/README.md",)
    assert second.deleted == ("week01-intro/helpers/plot.py",)
    parent = git("rev-parse", f"{second.commit}^", cwd=bare_repo).strip()
    assert parent == first.commit  # fast-forward: students' pulls merge
    assert git("symbolic-ref", "HEAD", cwd=bare_repo).strip() == "refs/heads/main"


def test_solution_marker_in_a_released_lab_refuses_everything(course, labs, bare_repo):
    first = publish(course, labs, utc("2026-09-17T12:00"), repo=bare_repo)
    leak = labs / "week02-mlp" / "week02-mlp.ipynb"
    leak.write_text(leak.read_text().replace("x = 1", "### BEGIN SOLUTION\\nx = 1"))
    with pytest.raises(PublishError) as refused:
        publish(course, labs, BETWEEN_2_AND_3, repo=bare_repo)
    assert "week02-mlp/week02-mlp.ipynb" in str(refused.value)
    assert "BEGIN SOLUTION" in str(refused.value)
    assert git("rev-parse", "main", cwd=bare_repo).strip() == first.commit


@pytest.mark.parametrize("name", ["solutions/answers.py", "week02-mlp-solution.ipynb"])
def test_solution_like_paths_are_refused(course, labs, bare_repo, name):
    target = labs / "week02-mlp" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("answers\n")
    with pytest.raises(PublishError, match="names a solution"):
        publish(course, labs, BETWEEN_2_AND_3, repo=bare_repo)


def test_symbolic_links_are_refused(course, labs, bare_repo, tmp_path):
    (labs / "week01-intro" / "answers.ipynb").symlink_to(
        tmp_path / "assignments" / "source" / "A1" / "A1.ipynb"
    )
    with pytest.raises(PublishError, match="symbolic link"):
        publish(course, labs, BETWEEN_2_AND_3, repo=bare_repo)


def test_unreleased_lab_with_a_marker_is_not_published_but_validated(course, labs, bare_repo):
    leak = labs / "week05-rnn" / "week05-rnn.ipynb"
    leak.write_text(leak.read_text().replace("x = 1", "# BEGIN HIDDEN TESTS"))
    assert publish(course, labs, BETWEEN_2_AND_3, repo=bare_repo).weeks == (1, 2)
    problems = lab_problems(course, labs)
    assert [p.where for p in problems] == ["weeks[4].lab"]
    assert "week 5" in problems[0].message and "BEGIN HIDDEN TESTS" in problems[0].message


def test_missing_lab_folder_is_a_validation_error_naming_week_and_folder(course, labs):
    assert lab_problems(course, labs) == []
    (labs / "week03-optim" / "week03-optim.ipynb").unlink()
    for path in (labs / "week04-cnn").iterdir():
        path.unlink()
    (labs / "week04-cnn").rmdir()
    problems = lab_problems(course, labs, source="course.yml")
    messages = [str(p) for p in problems]
    assert messages == [
        "course.yml: weeks[2].lab: week 3: week03-optim/ has no main notebook "
        "week03-optim.ipynb",
        f"course.yml: weeks[3].lab: week 4: lab folder 'week04-cnn' is missing from {labs}/",
    ]


def test_publishing_a_missing_released_lab_fails_without_a_commit(course, labs, bare_repo):
    first = publish(course, labs, utc("2026-09-17T12:00"), repo=bare_repo)
    (labs / "week02-mlp" / "README.md").unlink()
    (labs / "week02-mlp" / "week02-mlp.ipynb").unlink()
    (labs / "week02-mlp").rmdir()
    with pytest.raises(PublishError, match="week 2: lab folder 'week02-mlp' is missing"):
        publish(course, labs, BETWEEN_2_AND_3, repo=bare_repo)
    assert git("rev-parse", "main", cwd=bare_repo).strip() == first.commit


def test_before_any_release_the_repo_holds_only_a_readme(course, labs, bare_repo, tmp_path):
    result = publish(course, labs, utc("2026-09-01T00:00"), repo=bare_repo)
    assert result.weeks == ()
    tree = published_tree(bare_repo, tmp_path)
    assert list(tree) == ["README.md"]
    assert "No lab has been released yet" in tree["README.md"]


def test_naive_clock_is_rejected(course, labs, bare_repo):
    with pytest.raises(ValueError, match="aware"):
        publish(course, labs, BETWEEN_2_AND_3.replace(tzinfo=None), repo=bare_repo)


def test_cli_clock_reads_naive_times_in_the_course_zone(course):
    assert parse_now("2026-09-30T18:30", course) == utc("2026-09-30T17:30")
    assert parse_now("2026-09-30T17:30+00:00", course) == utc("2026-09-30T17:30")
    assert parse_now(None, course).tzinfo is not None
