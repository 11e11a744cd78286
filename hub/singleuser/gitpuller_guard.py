"""nbgitpuller pulls the course's labs, into a folder inside the home, and nothing else.

nbgitpuller (1.3.0) clones whatever `repo` a link names into `os.path.join(home, targetpath)`:
`targetpath=../../tmp/x` or `/tmp/x` writes outside the home, and a crafted link (a plain GET,
authenticated by the victim's browser cookies) can make someone's server clone a repository
that another student serves from their own container (students' containers share a network)
into a folder whose files run later, such as ~/.local/share/jupyter/kernels/python3/ (a kernel
spec: code run at the next kernel start) or ~/.jupyter/ (server config). The course's links only
ever pull the labs repository into ~/labs, so this guard refuses, with 403 and the reason:

- a `repo` other than the course's labs repository ($COURSE_LABS_REPO, set by the hub's
  spawner; default the served file:///srv/labs.git);
- a `targetpath` that is absolute, leaves the home (also through symlinks), is the home itself,
  or has a hidden component (`.jupyter`, `.local`, `.ipython`: configuration that runs code).

`urlpath` needs no guard: it is only where the browser goes after the pull, a path that
nbgitpuller prefixes with the server's own base URL.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from tornado import web

DEFAULT_REPO = "file:///srv/labs.git"
REPO_ENV = "COURSE_LABS_REPO"


def allowed_repos(env: dict[str, str] | os._Environ = os.environ) -> set[str]:
    value = env.get(REPO_ENV, "") or DEFAULT_REPO
    return {_norm_repo(r) for r in value.split(",") if r.strip()}


def _norm_repo(repo: str) -> str:
    return repo.strip().rstrip("/").removesuffix(".git")


def refusal(repo: str, targetpath: str | None, root: str | Path, allowed: set[str]) -> str | None:
    """Why this pull must not run, or None when it may."""
    if _norm_repo(repo) not in allowed:
        return (
            f"nbgitpuller here only pulls the course's labs ({', '.join(sorted(allowed))}), "
            f"not {repo!r}"
        )
    # nbgitpuller's own default: the repository's last path component
    target = targetpath if targetpath is not None else repo.rstrip("/").split("/")[-1]
    parts = Path(target).parts
    if not target or os.path.isabs(target):
        return f"targetpath {target!r} must be a folder name relative to your home"
    if any(p.startswith(".") for p in parts):
        return (
            f"targetpath {target!r} may not contain '..' or hidden folders (those hold "
            "configuration that runs code)"
        )
    home = Path(root).resolve()
    dest = (home / target).resolve()  # follows symlinks already in the home
    if dest == home or home not in dest.parents:
        return f"targetpath {target!r} leads outside your home folder"
    return None


def _guarded(get, allowed: set[str]):
    @web.authenticated
    @functools.wraps(get)
    async def guarded_get(self, *args, **kwargs):
        repo = self.get_argument("repo", "")
        target = self.get_argument("targetpath", None)  # "" too: nbgitpuller's API uses it
        if target is None:
            target = self.get_argument("targetPath", None)
        root = os.path.join(
            os.path.expanduser(self.settings["server_root_dir"]),
            os.getenv("NBGITPULLER_PARENTPATH", ""),
        )
        reason = refusal(repo, target, root, allowed)
        if reason:
            self.log.warning("nbgitpuller refused: %s", reason)
            raise web.HTTPError(403, reason)
        return await get(self, *args, **kwargs)

    guarded_get.course_guard = True
    return guarded_get


def _jupyter_server_extension_points():
    return [{"module": "hub.singleuser.gitpuller_guard"}]


def _load_jupyter_server_extension(serverapp) -> None:
    from nbgitpuller import handlers

    allowed = allowed_repos()
    for cls in (handlers.SyncHandler, handlers.UIHandler):
        if not getattr(cls.get, "course_guard", False):
            cls.get = _guarded(cls.get, allowed)
    serverapp.log.info(
        "nbgitpuller guard: only %s, into folders inside the home", ", ".join(sorted(allowed))
    )
