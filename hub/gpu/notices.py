"""Why a server was stopped, kept for the student's home page.

A small JSON file (user -> {"text", "at"}) on a volume the culler and the hub share. The culler
writes it; the hub's home page reads `notice_for(path, user)`. Writes go through a temporary
file and a rename, so the hub never reads half a file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path


def read_notices(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record_notice(path: Path, user: str, text: str, at: dt.datetime) -> None:
    path = Path(path)
    notices = read_notices(path)
    notices[user] = {"text": text, "at": at.isoformat()}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".notices-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(notices, f, indent=1, sort_keys=True)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def notice_for(
    path: Path, user: str, now: dt.datetime, max_age: dt.timedelta = dt.timedelta(days=2)
) -> str | None:
    """The user's latest notice if it is recent enough to still matter, else None."""
    entry = read_notices(path).get(user)
    if not entry:
        return None
    try:
        at = dt.datetime.fromisoformat(entry["at"])
    except (KeyError, ValueError):
        return None
    return entry.get("text") if now - at <= max_age else None
