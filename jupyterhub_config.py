"""JupyterHub configuration: load the course, apply it, then the site's own overrides.

Everything course-specific lives in the course file (course.yml); the logic lives in hub/config.py.
"""

import os
from glob import glob

from hub.config import apply_all
from hub.course import load_course
from hub.roster import load_roster
from hub.settings import Settings

c = get_config()  # noqa: F821  (injected by JupyterHub)

settings = Settings.from_env()
course = load_course(settings.course_file)
roster = load_roster(settings.course_file.parent / course.roster)
apply_all(c, course, roster, settings)

# Escape hatch: extra *.py files beside the course file, loaded in sorted order.
for extra in sorted(glob(os.path.join(settings.course_file.parent, "jupyterhub_config.d", "*.py"))):
    load_subconfig(extra)  # noqa: F821
