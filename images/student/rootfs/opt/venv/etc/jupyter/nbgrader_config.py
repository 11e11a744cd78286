"""nbgrader's global configuration in the student image: exchange through ngshare.

Students see every course they belong to (course_id '*'); staff servers' course folder sets the
real course id in its own nbgrader_config.py.
"""

import os

# ngshare_exchange reads the user name at import: JUPYTERHUB_USER in servers, else USER, which
# tools run outside a server (docker exec, the grading sandbox) may not have.
os.environ.setdefault("USER", "jovyan")
from ngshare_exchange import configureExchange  # noqa: E402

c = get_config()  # noqa: F821  (injected by traitlets)
# The spawner sets NGSHARE_URL; the default is the stack's ngshare container.
configureExchange(c, os.environ.get("NGSHARE_URL", "http://ngshare:10101/services/ngshare"))
# Refuse an oversized submission with a clear message instead of ngshare dropping it.
from hub.grading.submit_limit import SizeLimitedSubmit  # noqa: E402

c.ExchangeFactory.submit = SizeLimitedSubmit
c.CourseDirectory.course_id = "*"
