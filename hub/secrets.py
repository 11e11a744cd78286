"""The stack's secrets: generated once on the server into the secrets volume, mode 600, reused.

Each secret belongs to the one service that reads it (the hub, running as root, reads all):

    python -m hub.secrets /secrets      # the stack's init container runs this on every start
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

# name -> uid:gid of the container user that must read it (the hub runs as root)
SECRETS = {
    "cookie_secret": (0, 0),
    "proxy_token": (65534, 65534),  # configurable-http-proxy runs as nobody
    "ngshare_token": (1100, 1100),  # ngshare's own user, see images/ngshare
    "course_admin_token": (0, 0),  # the `course` CLI's hub service token
}


def ensure_secrets(folder: Path) -> list[str]:
    """Create missing secrets; never change an existing one. Returns the names created."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    created = []
    for name, (uid, gid) in SECRETS.items():
        path = folder / name
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            created.append(name)
        if os.geteuid() == 0:
            os.chown(path, uid, gid)
        path.chmod(0o600)
    folder.chmod(0o711)  # services may open their own file by name, not list the folder
    return created


def read_secret(name: str, folder: str | Path | None = None) -> str:
    """A secret's value; a clear error names the file if the init step has not run."""
    folder = Path(folder or os.environ.get("COURSE_SECRETS_DIR", "/secrets"))
    path = folder / name
    try:
        value = path.read_text().strip()
    except OSError as err:
        raise RuntimeError(
            f"secret {name!r} is missing at {path} ({err.strerror}); the stack's init step "
            "(python -m hub.secrets /secrets) creates it"
        ) from None
    if len(value) < 32:
        raise RuntimeError(f"secret {path} is too short; delete it to have it regenerated")
    return value


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/secrets")
    made = ensure_secrets(target)
    print(f"secrets in {target}: created {', '.join(made) or 'none'}; existing ones kept")
