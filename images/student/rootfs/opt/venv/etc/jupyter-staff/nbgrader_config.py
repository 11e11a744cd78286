"""Staff servers only (the spawner puts this folder first in JUPYTER_CONFIG_PATH for staff):
formgrader works on the shared grading folder, with that folder's own configuration (course id,
late-policy plugin) that `course release` writes there."""

import os

c = get_config()  # noqa: F821  (injected by traitlets)
grading = os.environ.get("COURSE_GRADING_DIR", "/home/jovyan/grading")
c.CourseDirectory.root = grading
if os.path.exists(os.path.join(grading, "nbgrader_config.py")):
    load_subconfig("nbgrader_config.py", path=grading)  # noqa: F821
