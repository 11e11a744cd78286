"""The course's late policy as an nbgrader late-submission plugin.

Enable it in the staff's nbgrader_config.py:

    c.AssignLatePenalties.plugin_class = "hub.grading.nbgrader_plugin.CourseLatePolicy"

nbgrader (0.9.6, preprocessors/latesubmissions.py) calls `late_submission_penalty` once per
notebook, during `nbgrader autograde`, and only when the gradebook says the submission is late
(its timestamp after the assignment's `duedate` plus the submission's `extension`), so the
gradebook's due dates must be set first: `hub.grading.gradebook.sync_due_dates`. The plugin
then recomputes the lateness itself from the submission's timestamp and the due time that the
course file and the extensions give (the source of truth), and returns the points to take off
this notebook. In `scale` mode the notebooks' penalties add up to exactly the assignment-level
penalty; in `deduct` mode each notebook loses rate x its own max score per day (floor 0).
"""

from __future__ import annotations

import os
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Unicode, default

from hub.course import load_course
from hub.grading.extensions import STORE_NAME, due_for, extension_table, load_extensions, read_store
from hub.grading.late import apply_late_policy, seconds_between

DEFAULT_COURSE_FILE = "/srv/course/course.yml"


class CourseLatePolicy(LateSubmissionPlugin):
    course_file = Unicode(
        help="The course file; default: $COURSE_FILE, else /srv/course/course.yml"
    ).tag(config=True)
    extensions_file = Unicode(
        "", help=f"The extensions store; default: {STORE_NAME} next to the gradebook database"
    ).tag(config=True)

    @default("course_file")
    def _course_file_default(self) -> str:
        return os.environ.get("COURSE_FILE", DEFAULT_COURSE_FILE)

    def late_submission_penalty(
        self, student_id: str, score: float, total_seconds_late: float
    ) -> float:
        caller = self.parent  # nbgrader's AssignLatePenalties, inside its open gradebook
        assignment_id = caller.assignment_id
        submission = caller.gradebook.find_submission(assignment_id, student_id)
        notebook = caller.gradebook.find_submission_notebook(
            caller.notebook_id, assignment_id, student_id
        )
        course = load_course(self.course_file)
        table = self._extensions(course, caller.db_url)
        due = due_for(course, table, assignment_id, student_id)
        seconds = seconds_between(due, submission.timestamp)
        outcome = apply_late_policy(score, notebook.max_score, seconds, course.late_policy)
        self.log.info(
            "%s/%s/%s: %.0f s after %s -> day %d, %s, penalty %s of %s",
            assignment_id, student_id, caller.notebook_id, outcome.seconds_late,
            due.isoformat(), outcome.days_late, outcome.status, outcome.penalty, score,
        )
        return outcome.penalty

    def _extensions(self, course, db_url: str):
        if self.extensions_file:
            return extension_table(course, read_store(self.extensions_file))
        return load_extensions(course, _sqlite_dir(db_url))


def _sqlite_dir(db_url: str) -> Path:
    prefix = "sqlite:///"
    if not db_url.startswith(prefix):
        raise ValueError(
            f"gradebook {db_url!r} is not a SQLite file; set CourseLatePolicy.extensions_file"
        )
    return Path(db_url[len(prefix):]).parent
