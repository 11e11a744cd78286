"""nbgrader's exchange is ngshare; nbgitpuller is enabled; students don't get formgrader."""

import json
import subprocess

from importlib.metadata import version
from packaging.version import Version
from traitlets.config import Config
from jupyter_core.paths import jupyter_config_path
from traitlets.config.loader import PyFileConfigLoader

# nbgrader's global config selects ngshare's exchange classes.
config = Config()
for folder in jupyter_config_path():
    try:
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=folder).load_config())
    except Exception:  # noqa: BLE001  (no file in this folder)
        continue
assert "ngshare_exchange" in str(config.ExchangeFactory.fetch_assignment), config
assert config.CourseDirectory.course_id == "*"
assert config.ExchangeFactory.exchange  # ngshare's Exchange subclass

extensions = subprocess.run(
    ["jupyter", "server", "extension", "list"], capture_output=True, text=True, check=True
)
listing = extensions.stdout + extensions.stderr
assert any("nbgitpuller" in line and "enabled" in line for line in listing.splitlines()), listing
formgrader = [line for line in listing.splitlines() if "formgrader" in line]
assert all("disabled" in line for line in formgrader), formgrader

page = json.load(open("/opt/venv/etc/jupyter/labconfig/page_config.json"))
assert page["disabledExtensions"]["@jupyter/nbgrader:formgrader"] is True

# CVE-2021-39160 was fixed in nbgitpuller 0.10.2; never go below it.
assert Version(version("nbgitpuller")) >= Version("0.10.2")


# Students pull the labs from a repository the hub owns: git must trust it.
safe = subprocess.run(["git", "config", "--system", "--get-all", "safe.directory"],
                      capture_output=True, text=True).stdout.split()
assert "/srv/labs.git" in safe, safe
print("ok: ngshare exchange, nbgitpuller enabled, formgrader off, labs repo trusted")
