"""The grade export: one CSV row per roster student, and one score plot per assignment.

Every number is recomputed from its inputs (raw score from the gradebook, ngshare's submission
time, the due time from the course file and extensions, the policy from the course file), so
an extension recorded after autograde shows up here at once; where the gradebook's stored
penalty disagrees (autograde not re-run), the Notes column says so.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from pathlib import Path

from hub.course import Course
from hub.grading.extensions import Granted, due_for
from hub.grading.gradebook import Submission, read_submissions
from hub.grading.late import apply_late_policy, seconds_between
from hub.roster import Person, Roster

# Columns an LMS import maps to its users (Moodle: "Username" -> username, or "Email" -> email
# address; Canvas and Blackboard imports also accept a login/email column to match on).
IDENTITY_COLUMNS = ("Username", "Email", "Name")
PER_ASSIGNMENT = (
    "raw", "max", "submitted", "due", "extension until", "seconds late", "days late",
    "penalty", "final", "status",
)


@dataclasses.dataclass(frozen=True)
class AssignmentGrade:
    assignment: str
    raw: float
    max_score: float | None  # None: the assignment is not in the gradebook yet
    submitted: dt.datetime | None
    due: dt.datetime
    extension_until: dt.datetime | None
    seconds_late: float
    days_late: int
    penalty: float
    final: float
    status: str  # on_time | late | too_late | missing
    notes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class StudentRow:
    person: Person
    grades: tuple[AssignmentGrade, ...]
    total: float  # weighted assignments total, in percent of the course


def grade_rows(
    course: Course,
    roster: Roster,
    extensions: dict[tuple[str, str], Granted],
    max_scores: dict[str, float],
    submissions: dict[tuple[str, str], Submission],
) -> list[StudentRow]:
    """One row per roster student (staff excluded), in roster order."""
    rows = []
    for person in roster.students:
        grades = tuple(
            _grade(course, extensions, max_scores, submissions, a.id, person.username)
            for a in course.assignments
        )
        total = sum(
            g.final / g.max_score * course.assignment(g.assignment).weight
            for g in grades if g.max_score
        )
        rows.append(StudentRow(person, grades, round(total, 4)))
    return rows


def _grade(course, extensions, max_scores, submissions, assignment, student) -> AssignmentGrade:
    due = due_for(course, extensions, assignment, student)
    granted = extensions.get((assignment, student))
    until = granted.until if granted else None
    sub = submissions.get((assignment, student))
    max_score = max_scores.get(assignment)
    if sub is None:
        return AssignmentGrade(assignment, 0.0, max_score, None, due, until, 0.0, 0, 0.0, 0.0,
                               "missing")
    notes = []
    if sub.timestamp is None:
        notes.append(f"{assignment}: no submission time; counted on time")
    seconds = seconds_between(due, sub.timestamp) if sub.timestamp else 0.0
    outcome = apply_late_policy(sub.score, sub.max_score, seconds, course.late_policy)
    if abs(outcome.penalty - sub.gradebook_penalty) > 1e-6:
        notes.append(
            f"{assignment}: gradebook penalty {sub.gradebook_penalty:g} differs from "
            f"{outcome.penalty:g}; re-run autograde so feedback matches"
        )
    if sub.needs_manual_grade:
        notes.append(f"{assignment}: needs manual grading")
    return AssignmentGrade(
        assignment, sub.score, sub.max_score, sub.timestamp, due, until, outcome.seconds_late,
        outcome.days_late, outcome.penalty, outcome.final_score, outcome.status, tuple(notes),
    )


def header(course: Course) -> list[str]:
    cols = list(IDENTITY_COLUMNS)
    for a in course.assignments:
        cols += [f"{a.id} {what}" for what in PER_ASSIGNMENT]
    cols += [total_column(course), "Notes"]
    return cols


def total_column(course: Course) -> str:
    weight = sum(a.weight for a in course.assignments)
    return f"Assignments total (% of course, max {weight:g})"


def write_csv(rows: list[StudentRow], course: Course, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tz = course.tz
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(header(course))
        for row in rows:
            p = row.person
            cells: list[object] = [p.username, p.email, p.name]
            for g in row.grades:
                cells += [
                    _num(g.raw), "" if g.max_score is None else _num(g.max_score),
                    _when(g.submitted, tz), _when(g.due, tz), _when(g.extension_until, tz),
                    _num(g.seconds_late), g.days_late, _num(g.penalty), _num(g.final), g.status,
                ]
            notes = [n for g in row.grades for n in g.notes]
            notes += [f"{g.assignment}: extension until {_when(g.extension_until, tz)}"
                      for g in row.grades if g.extension_until]
            cells += [_num(row.total), "; ".join(notes)]
            out.writerow(cells)
    return path


def plot_distributions(rows: list[StudentRow], course: Course, out_dir: str | Path) -> list[Path]:
    """One PNG per assignment: histogram of final scores (percent); missing counted apart."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, a in enumerate(course.assignments):
        grades = [row.grades[i] for row in rows]
        submitted = [g for g in grades if g.status != "missing" and g.max_score]
        percents = [100 * g.final / g.max_score for g in submitted]
        missing = sum(g.status == "missing" for g in grades)
        late = sum(g.status in ("late", "too_late") for g in grades)
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.hist(percents, bins=[x * 10 for x in range(11)], color="#4c72b0", edgecolor="white")
        ax.set_xlim(0, 100)
        ax.set_xlabel("final score (% of max, after late penalty)")
        ax.set_ylabel("students")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{a.id}: {len(submitted)} graded, {late} late, {missing} missing")
        fig.tight_layout()
        path = out_dir / f"{a.id}-scores.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths


@dataclasses.dataclass(frozen=True)
class ExportResult:
    csv: Path
    plots: list[Path]
    rows: list[StudentRow]
    not_on_roster: list[str]  # gradebook submitters with no student row (left the course?)


def export_grades(
    db_url: str,
    course: Course,
    roster: Roster,
    extensions: dict[tuple[str, str], Granted],
    out_csv: str | Path,
    plots_dir: str | Path | None = None,
) -> ExportResult:
    """Read the gradebook, write the CSV (and the plots if `plots_dir` is given)."""
    max_scores, submissions = read_submissions(db_url)
    rows = grade_rows(course, roster, extensions, max_scores, submissions)
    csv_path = write_csv(rows, course, out_csv)
    plots = plot_distributions(rows, course, plots_dir) if plots_dir is not None else []
    students = {p.username for p in roster.students}
    not_on_roster = sorted({student for _, student in submissions} - students)
    return ExportResult(csv_path, plots, rows, not_on_roster)


def _num(x: float) -> str:
    """Plain decimal, at most 6 places, never exponent notation (LMS imports choke on 1e+06)."""
    text = f"{float(x):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _when(when: dt.datetime | None, tz) -> str:
    return when.astimezone(tz).isoformat() if when else ""
