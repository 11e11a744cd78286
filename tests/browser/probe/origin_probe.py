"""What a student can put in their own server (tests/browser/test_origin_isolation.py): a
Jupyter server extension, loaded by their ~/.jupyter/jupyter_server_config.py, that serves a
page of their own at /user/<student>/origin-probe. A plain tornado handler: no Jupyter
Content-Security-Policy sandbox (files under /files/ get one), no login."""

from pathlib import Path

from jupyter_server.utils import url_path_join
from tornado import web

PAGE = (Path(__file__).parent / "origin_probe.html").read_text()


class ProbePage(web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(PAGE)


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "origin_probe"}]


def _load_jupyter_server_extension(serverapp) -> None:
    route = url_path_join(serverapp.web_app.settings["base_url"], "origin-probe")
    serverapp.web_app.add_handlers(".*$", [(route, ProbePage)])
