"""Lab publication: copy the released labs into the git repository nbgitpuller pulls from.

`publish(course, labs_dir, repo, now)` makes the repository's branch hold exactly the labs
released by `now` (plus a generated README and the shared files in SHARED_FILES). Each
publication that changes something is one new commit on top of the previous one, so students'
nbgitpuller pulls merge; a publication with nothing new makes no commit. Assignment sources,
solutions and hidden tests never leave labs/: content carrying nbgrader's solution or
hidden-test markers, or a path named like a solution, stops the publication before any commit.

Git runs as a subprocess in a throw-away work tree, then pushes to the stack's own bare
repository (a path, default /srv/labs.git).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import subprocess
import tempfile
from pathlib import Path

from hub.course import Course, Week
from hub.problems import Problem, ProblemsError

SERVED_REPO_PATH = "/srv/labs.git"
# Top-level files of labs/ that every week may use; everything else at the top level stays home.
SHARED_FILES = ("data-manifest.yml",)
# nbgrader's cell markers for solutions and hidden tests: a lab must carry neither.
FORBIDDEN_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# Path parts that name solutions or nbgrader's course folders ("source" holds assignment masters).
FORBIDDEN_PART = re.compile(
    r"(?i)^(solutions?|.*[-_.]solutions?(\.[a-z0-9]+)?|gradebook\.db|autograded|submitted|"
    r"feedback|nbgrader_config\.py)$"
)
# Editor and runtime debris that is never published (skipped, not refused).
SKIPPED_PARTS = {".ipynb_checkpoints", "__pycache__", ".pytest_cache", ".DS_Store", ".git"}
PUBLISHER = ("course publisher", "course-publisher@localhost")


class PublishError(ProblemsError):
    """Publication was refused or failed; `.problems` says why, nothing was committed."""


@dataclasses.dataclass(frozen=True)
class Publication:
    commit: str | None  # the new commit, or None when nothing changed
    branch: str
    weeks: tuple[int, ...]  # the weeks in the published tree
    added: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.commit is not None

    def summary(self) -> str:
        weeks = ", ".join(str(w) for w in self.weeks) or "none"
        if not self.changed:
            return f"labs up to date on {self.branch} (released weeks: {weeks}); no commit"
        counts = (
            f"{len(self.added)} added, {len(self.modified)} changed, {len(self.deleted)} removed"
        )
        return f"published {self.commit[:12]} on {self.branch}: weeks {weeks} ({counts})"


def parse_now(text: str | None, course: Course) -> dt.datetime:
    """The CLI's --now: ISO 8601, naive values read in the course's time zone; None is the
    real time."""
    if not text:
        return dt.datetime.now(dt.UTC)
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ProblemsError([Problem("--now", "", f"{text!r} is not an ISO 8601 time; valid: "
                                     "e.g. 2026-10-07T18:30 or 2026-10-07T18:30+01:00")]) from None
    return when if when.tzinfo else when.replace(tzinfo=course.tz)


def main_notebook(week: Week) -> str:
    """The week's notebook, relative to the published tree: weekNN-slug/weekNN-slug.ipynb."""
    return f"{week.lab}/{week.lab}.ipynb"


# -- what is published -----------------------------------------------------------------------


def lab_problems(course: Course, labs_dir: str | Path, source: str = "course.yml") -> list[Problem]:
    """Problems `course validate` reports about the labs: missing folders or notebooks,
    symbolic links, and solution or hidden-test content, for every week (released or not)."""
    labs_dir = Path(labs_dir)
    problems = []
    for i, week in enumerate(course.weeks):
        if not week.lab:
            continue
        where = f"weeks[{i}].lab"
        folder = labs_dir / week.lab
        if not folder.is_dir():
            problems.append(Problem(
                source, where,
                f"week {week.week}: lab folder {week.lab!r} is missing from {labs_dir}/",
            ))
            continue
        if not (labs_dir / main_notebook(week)).is_file():
            problems.append(Problem(
                source, where,
                f"week {week.week}: {week.lab}/ has no main notebook {week.lab}.ipynb",
            ))
        files, refused = _lab_files(labs_dir, week.lab)
        refused += forbidden_content(files)
        problems += [Problem(source, where, f"week {week.week}: {r}") for r in refused]
    return problems


def published_files(course: Course, labs_dir: str | Path, now: dt.datetime) -> dict[str, bytes]:
    """The tree to publish at `now`: relative posix path -> content.

    Raises PublishError when a released lab is missing or carries forbidden content.
    """
    labs_dir = Path(labs_dir)
    weeks = course.released_weeks(now)
    files: dict[str, bytes] = {}
    refused: list[str] = []
    for week in weeks:
        if not (labs_dir / week.lab).is_dir():
            refused.append(f"week {week.week}: lab folder {week.lab!r} is missing from {labs_dir}/")
            continue
        week_files, week_refused = _lab_files(labs_dir, week.lab)
        files.update(week_files)
        refused += week_refused
    if weeks:
        for name in SHARED_FILES:
            if (labs_dir / name).is_file():
                files[name] = (labs_dir / name).read_bytes()
    files["README.md"] = readme(course, weeks).encode()
    refused += forbidden_content(files)
    if refused:
        raise PublishError([Problem(str(labs_dir), "", r) for r in refused])
    return files


def forbidden_content(files: dict[str, bytes]) -> list[str]:
    """Reasons a tree must not be published: solution markers or solution-like paths."""
    reasons = []
    for path, content in sorted(files.items()):
        bad_parts = [p for p in path.split("/") if FORBIDDEN_PART.match(p)]
        if bad_parts:
            reasons.append(f"{path}: {bad_parts[0]!r} names a solution or grading file")
        text = content.decode("utf-8", errors="replace")
        for marker in FORBIDDEN_MARKERS:
            if marker in text:
                reasons.append(f"{path}: contains the nbgrader marker {marker!r}")
                break
    return reasons


def readme(course: Course, weeks: list[Week]) -> str:
    """The published tree's README: the course and its released labs (no timestamp, so an
    unchanged set of labs gives an unchanged README and no commit)."""
    lines = [f"# {course.course.title}: labs", ""]
    if not weeks:
        lines.append("No lab has been released yet.")
    else:
        lines.append("Released labs (open them from the course home page):")
        lines.append("")
        lines += [f"- Week {w.week}: {w.title} ([{w.lab}]({main_notebook(w)}))" for w in weeks]
    lines += [
        "",
        "Your edits are yours: opening a lab link again brings new and updated files and keeps",
        "your changes. Where you and the staff changed the same lines, your version wins.",
        "",
    ]
    return "\n".join(lines)


def _lab_files(labs_dir: Path, lab: str) -> tuple[dict[str, bytes], list[str]]:
    files: dict[str, bytes] = {}
    refused: list[str] = []
    for path in sorted((labs_dir / lab).rglob("*")):
        rel = path.relative_to(labs_dir).as_posix()
        if SKIPPED_PARTS.intersection(rel.split("/")):
            continue
        if path.is_symlink():
            refused.append(f"{rel}: symbolic links are not published (copy the file instead)")
        elif path.is_file():
            files[rel] = path.read_bytes()
    return files, refused


# -- git -------------------------------------------------------------------------------------


def ensure_served_repo(path: str | Path, branch: str = "main") -> Path:
    """Create the stack's bare repository if it does not exist yet (idempotent)."""
    path = Path(path)
    if not (path / "HEAD").is_file():
        path.mkdir(parents=True, exist_ok=True)
        _git("init", "--quiet", "--bare", f"--initial-branch={branch}", str(path))
        # Students only ever fast-forward: history is never rewritten under them.
        _git("config", "receive.denyNonFastForwards", "true", cwd=path)
    return path


def publish(
    course: Course,
    labs_dir: str | Path,
    now: dt.datetime,
    repo: str | Path | None = None,
    branch: str | None = None,
) -> Publication:
    """Publish the labs released by `now` (aware) to `repo` (default: the served one)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    repo = str(repo or SERVED_REPO_PATH)
    branch = branch or course.labs.branch
    local = _local_path(repo)
    if local is not None:
        ensure_served_repo(local, branch)
    files = published_files(course, labs_dir, now)
    weeks = tuple(w.week for w in course.released_weeks(now))
    with tempfile.TemporaryDirectory(prefix="publish-labs-") as tmp:
        work = Path(tmp)
        _git("init", "--quiet", f"--initial-branch={branch}", str(work))
        if _git("ls-remote", "--heads", repo, f"refs/heads/{branch}").strip():
            _git("fetch", "--quiet", repo, f"refs/heads/{branch}", cwd=work)
            _git("reset", "--quiet", "--hard", "FETCH_HEAD", cwd=work)
        _replace_tree(work, files)
        _git("add", "--all", "--force", ".", cwd=work)
        status = _git("diff", "--cached", "--name-status", "--no-renames", cwd=work)
        if not status.strip():
            return Publication(None, branch, weeks)
        changes: dict[str, list[str]] = {"A": [], "M": [], "D": []}
        for line in status.splitlines():
            kind, name = line.split("\t", 1)
            changes.setdefault(kind[0], []).append(name)
        _git("commit", "--quiet", "-m", _message(weeks, now), cwd=work)
        _git("push", "--quiet", repo, f"HEAD:refs/heads/{branch}", cwd=work)
        commit = _git("rev-parse", "HEAD", cwd=work).strip()
    return Publication(
        commit, branch, weeks, tuple(changes["A"]), tuple(changes["M"]), tuple(changes["D"])
    )


def _replace_tree(work: Path, files: dict[str, bytes]) -> None:
    for tracked in _git("ls-files", "-z", cwd=work).split("\0"):
        if tracked:
            (work / tracked).unlink(missing_ok=True)
    for rel, content in files.items():
        target = work / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _message(weeks: tuple[int, ...], now: dt.datetime) -> str:
    listed = ", ".join(str(w) for w in weeks) or "none"
    return f"Publish labs released by {now.isoformat(timespec='minutes')}\n\nWeeks: {listed}\n"


def _local_path(repo: str) -> Path | None:
    """The path of a repository on this machine (a path or a file:// URL), else None."""
    if repo.startswith("file://"):
        return Path(repo.removeprefix("file://"))
    return Path(repo) if repo.startswith("/") else None


def _git(*args: str, cwd: str | Path | None = None) -> str:
    env = dict(
        os.environ,
        LANG="C",
        GIT_TERMINAL_PROMPT="0",  # a timer must fail, never wait for a password
        GIT_AUTHOR_NAME=PUBLISHER[0],
        GIT_AUTHOR_EMAIL=PUBLISHER[1],
        GIT_COMMITTER_NAME=PUBLISHER[0],
        GIT_COMMITTER_EMAIL=PUBLISHER[1],
    )
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise PublishError([Problem(
            "git", " ".join(args[:2]), (done.stderr or done.stdout).strip() or "failed"
        )])
    return done.stdout
