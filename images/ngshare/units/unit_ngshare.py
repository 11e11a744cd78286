"""ngshare 0.6.0 with SQLAlchemy 1.4: under SQLAlchemy 2 it silently stores nothing."""

import sys
from importlib.metadata import version

import ngshare  # noqa: F401
from packaging.version import Version

assert version("ngshare") == "0.6.0", version("ngshare")
assert Version(version("sqlalchemy")) < Version("2"), version("sqlalchemy")

# the image starts ngshare through ngshare_strict.py: its checks are in front of every upload
sys.path.insert(0, "/opt/course")
import ngshare_strict  # noqa: E402
from ngshare import ngshare as server  # noqa: E402

ngshare_strict.install()
assert getattr(server.MyHelpers.json_files_unpack, "strict", False)
assert "ngshare_strict.py" in open("/usr/local/bin/start-ngshare").read()
assert ngshare_strict.files_problem('[{"path": "a\\u0000b", "content": ""}]')
print("ok: ngshare", version("ngshare"), "with SQLAlchemy", version("sqlalchemy"),
      "behind ngshare_strict")
