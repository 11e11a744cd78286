"""nbgrader configuration of the course's assignments; this folder is the course directory.

Run nbgrader from here (`cd assignments && nbgrader generate_assignment A1`). The course id
comes from the course file (`COURSE_FILE`, else the nearest `course.yml` above this folder) so
that nothing repeats it; release and due dates also live only in the course file.
"""

import importlib.util
import os
from pathlib import Path

import yaml

c = get_config()  # noqa: F821  (injected by traitlets when it loads this file)


def find_course_file() -> Path:
    if os.environ.get("COURSE_FILE"):
        return Path(os.environ["COURSE_FILE"])
    here = Path(__file__).resolve().parent
    for folder in (here, *here.parents):
        if (folder / "course.yml").is_file():
            return folder / "course.yml"
    raise FileNotFoundError(
        f"no course file: set COURSE_FILE or put course.yml in {here} or a folder above it"
    )


course_file = find_course_file()
c.CourseDirectory.course_id = yaml.safe_load(course_file.read_text())["course"]["id"]
c.CourseDirectory.root = str(Path(__file__).resolve().parent)

# Each notebook runs top to bottom on a CPU in about a minute; a cell that runs for 5 minutes
# is stuck (an endless training loop), so the autograder moves on.
c.ExecutePreprocessor.timeout = 300
# Students only hand in notebooks; helper and data files come from the release.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# The course's late policy (course file + extensions) where the staff tooling is installed;
# `hub.grading.gradebook.sync_due_dates` must have put the course file's due dates in the
# gradebook first. Student images without the `hub` package grade without late penalties.
if importlib.util.find_spec("hub") and importlib.util.find_spec("hub.grading.nbgrader_plugin"):
    c.AssignLatePenalties.plugin_class = "hub.grading.nbgrader_plugin.CourseLatePolicy"
    c.CourseLatePolicy.course_file = str(course_file)
