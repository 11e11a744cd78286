"""A Jupyter server extension for students' servers: the staff-only pages (formgrader) answer
403 with a sentence saying why and where the student's own assignments are, instead of a bare
404. Enabled in the student image for everyone; the staff configuration layer turns it off and
formgrader on (images/student/rootfs/opt/venv/etc/jupyter*/jupyter_server_config.d)."""

from __future__ import annotations

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

REFUSAL = (
    "Formgrader is for course staff: it grades everyone's submissions. Your own assignments "
    "are in JupyterLab under Nbgrader > Assignment List (fetch, submit, and your feedback)."
)


class StaffOnlyHandler(JupyterHandler):
    @web.authenticated
    def get(self, *args: str) -> None:
        raise web.HTTPError(403, REFUSAL)


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "hub.staff_only"}]


def _load_jupyter_server_extension(serverapp) -> None:
    base = serverapp.web_app.settings["base_url"]
    route = url_path_join(base, "formgrader") + r"(/.*)?"
    serverapp.web_app.add_handlers(".*$", [(route, StaffOnlyHandler)])
