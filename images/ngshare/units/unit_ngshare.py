"""ngshare 0.6.0 with SQLAlchemy 1.4: under SQLAlchemy 2 it silently stores nothing."""

from importlib.metadata import version

import ngshare  # noqa: F401
from packaging.version import Version

assert version("ngshare") == "0.6.0", version("ngshare")
assert Version(version("sqlalchemy")) < Version("2"), version("sqlalchemy")
print("ok: ngshare", version("ngshare"), "with SQLAlchemy", version("sqlalchemy"))
