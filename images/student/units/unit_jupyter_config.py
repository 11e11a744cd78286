"""nbgrader's exchange is ngshare; nbgitpuller is enabled; students don't get formgrader, staff
servers (the spawner puts /opt/venv/etc/jupyter-staff first in JUPYTER_CONFIG_PATH) do."""

import json
import os
import subprocess
from importlib.metadata import version

from packaging.version import Version
from traitlets.config import Config

# nbgrader's global config selects ngshare's exchange classes (servers set JUPYTERHUB_USER,
# which ngshare_exchange needs at import).
config = Config()
path = "/opt/venv/etc/jupyter/nbgrader_config.py"
exec(compile(open(path).read(), path, "exec"), {"get_config": lambda: config})
assert config.ExchangeFactory.exchange.__module__.startswith("ngshare_exchange"), config
assert config.ExchangeFactory.exchange._ngshare_url.endswith("/services/ngshare")
assert config.CourseDirectory.course_id == "*"
# Submissions over the course's size limit are refused with a message, not dropped by ngshare.
assert config.ExchangeFactory.submit.__name__ == "SizeLimitedSubmit", config.ExchangeFactory

extensions = subprocess.run(
    ["jupyter", "server", "extension", "list"], capture_output=True, text=True, check=True
)
listing = extensions.stdout + extensions.stderr
assert any("nbgitpuller" in line and "enabled" in line for line in listing.splitlines()), listing
formgrader = [line for line in listing.splitlines()
              if "formgrader" in line and "abled" in line]  # its enabled/disabled line
assert formgrader and all("disabled" in line for line in formgrader), formgrader

# nbgitpuller pulls only the course's labs into the home (hub/singleuser/gitpuller_guard.py);
# a full home gives a clear 507 on save (hub/singleuser/contents.py).
guard = [line for line in listing.splitlines() if "hub.singleuser.gitpuller_guard" in line]
assert any("enabled" in line for line in guard), listing
assert any("OK" in line for line in guard), listing
# the hub API client resolves `hub` at every connection (hub/singleuser/hub_client.py)
hub_client = [line for line in listing.splitlines() if "hub.singleuser.hub_client" in line]
assert any("enabled" in line for line in hub_client), listing
assert any("OK" in line for line in hub_client), listing
# a busy kernel counts as activity for the idle culler (hub/singleuser/busy_kernels.py)
busy = [line for line in listing.splitlines() if "hub.singleuser.busy_kernels" in line]
assert any("enabled" in line for line in busy), listing
assert any("OK" in line for line in busy), listing
# (a config.d file only enables extensions: other settings go in jupyter_server_config.json)
from jupyter_server.serverapp import ServerApp  # noqa: E402

app = ServerApp()
app.load_config_file()
assert app.contents_manager_class.__name__ == "CourseContentsManager", app.contents_manager_class

page = json.load(open("/opt/venv/etc/jupyter/labconfig/page_config.json"))
assert page["disabledExtensions"]["@jupyter/nbgrader:formgrader"] is True

# Staff servers: formgrader on (server and lab), over the grading folder.
STAFF_CHECK = """
from jupyter_server.serverapp import ServerApp
from jupyterlab_server.config import get_page_config
from nbgrader.apps.baseapp import NbGrader
app = ServerApp()
app.load_config_file()
app.find_server_extensions()
assert app.jpserver_extensions["nbgrader.server_extensions.formgrader"] is True
assert app.jpserver_extensions["hub.staff_only"] is False  # students' formgrader refusal
# JupyterLab shows formgrader in an iframe of the same server: JupyterHub's default
# frame-ancestors 'none' would blank it
csp = app.tornado_settings["headers"]["Content-Security-Policy"]
assert csp == "frame-ancestors 'self'", csp
assert app.jpserver_extensions["nbgitpuller"] is True
assert app.jpserver_extensions["notebook"] is False
assert "@jupyter/nbgrader:formgrader" not in get_page_config([], None)["disabledExtensions"]
grader = NbGrader()
grader.load_config_file()
assert grader.config.CourseDirectory.root == "/home/jovyan/grading", grader.config
"""
STAFF_LAYER = {"JUPYTER_CONFIG_PATH": "/opt/venv/etc/jupyter-staff"}
for role_env, staff in (({}, False), (STAFF_LAYER, True)):
    done = subprocess.run(["python", "-c", STAFF_CHECK], capture_output=True, text=True,
                          cwd="/tmp", env={**os.environ, **role_env})
    assert (done.returncode == 0) == staff, (role_env, done.stderr[-2000:])

# Students: formgrader's URL answers with hub.staff_only's readable refusal.
students = subprocess.run(["python", "-c", "from jupyter_server.serverapp import ServerApp\n"
                           "app = ServerApp()\napp.load_config_file()\n"
                           "app.find_server_extensions()\n"
                           "print(app.jpserver_extensions['hub.staff_only'])"],
                          capture_output=True, text=True, cwd="/tmp")
assert students.stdout.strip() == "True", students.stdout + students.stderr

# CVE-2021-39160 was fixed in nbgitpuller 0.10.2; never go below it.
assert Version(version("nbgitpuller")) >= Version("0.10.2")


# Students pull the labs from a repository the hub owns: git must trust it.
safe = subprocess.run(["git", "config", "--system", "--get-all", "safe.directory"],
                      capture_output=True, text=True).stdout.split()
assert "/srv/labs.git" in safe, safe
print("ok: ngshare exchange, nbgitpuller enabled and guarded, formgrader off (on for staff), "
      "labs repo trusted, full-home saves answered")
