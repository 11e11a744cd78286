"""Reading and preparing nbgrader's gradebook (SQLite) for the late policy and the export.

Submission times: ngshare stamps each submission with its own clock (UTC) when it arrives;
`nbgrader collect` (ngshare_exchange) writes that stamp to submitted/<student>/<A>/timestamp.txt,
keeping only the newest submission; `nbgrader autograde` reads it into the gradebook's
SubmittedAssignment.timestamp (naive UTC). The student's clock is never consulted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import sys
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from hub.course import Course
from hub.grading.extensions import Granted


@dataclasses.dataclass(frozen=True)
class Submission:
    """One student's graded submission of one assignment, as the gradebook has it."""

    assignment: str
    student: str
    score: float  # raw: before any late penalty
    max_score: float
    timestamp: dt.datetime | None  # aware UTC; None if nbgrader had no timestamp.txt
    gradebook_penalty: float  # what autograde's plugin stored (sum over notebooks)
    needs_manual_grade: bool


def _open(db_url: str) -> Gradebook:
    """nbgrader's Gradebook runs the `alembic` command found on PATH; a CLI started by its full
    path (/opt/venv/bin/course) may not have its environment's bin folder on PATH."""
    if shutil.which("alembic") is None:
        bin_dir = str(Path(sys.executable).parent)
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    return Gradebook(db_url)


def sync_due_dates(
    db_url: str, course: Course, extensions: dict[tuple[str, str], Granted]
) -> list[str]:
    """Write the course's due times and the extensions into the gradebook; run before autograde.

    nbgrader only calls the late-submission plugin when its gradebook says a submission is
    late, so an assignment without a `duedate` there would never be penalised. Sets each
    existing assignment's duedate (UTC) and each existing submission's `extension` (until - due,
    or none). Returns the course's assignment ids that are not in the gradebook yet (not
    generated): run this again after `nbgrader generate_assignment`.
    """
    missing = []
    with _open(db_url) as gb:
        for a in course.assignments:
            try:
                entry = gb.find_assignment(a.id)
            except MissingEntry:
                missing.append(a.id)
                continue
            due = course.due(a)
            entry.duedate = _naive_utc(due)
            for sub in entry.submissions:
                granted = extensions.get((a.id, sub.student_id))
                sub.extension = granted.until - due if granted else None
        gb.db.commit()
    return missing


def read_submissions(db_url: str) -> tuple[dict[str, float], dict[tuple[str, str], Submission]]:
    """(max score by assignment id, submissions by (assignment, student)) from the gradebook."""
    max_scores: dict[str, float] = {}
    subs: dict[tuple[str, str], Submission] = {}
    with _open(db_url) as gb:
        for assignment in gb.assignments:
            max_scores[assignment.name] = float(assignment.max_score)
            for s in assignment.submissions:
                subs[(assignment.name, s.student_id)] = Submission(
                    assignment=assignment.name,
                    student=s.student_id,
                    score=float(s.score),
                    max_score=float(s.max_score),
                    timestamp=s.timestamp.replace(tzinfo=dt.UTC) if s.timestamp else None,
                    gradebook_penalty=float(s.late_submission_penalty or 0.0),
                    needs_manual_grade=bool(s.needs_manual_grade),
                )
    return max_scores, subs


def _naive_utc(when: dt.datetime) -> dt.datetime:
    return when.astimezone(dt.UTC).replace(tzinfo=None)
