"""The staff-tools container: how `course` works on the host (or in the hub container).

Where there is no grading folder but a Docker engine, `course release A1` starts a throw-away
container from the student image with the stack's grading volume at /home/jovyan/grading,
on the stack's network (so ngshare answers at http://ngshare:10101), with the course folder
(course.yml, roster, assignments/) copied to /srv/course and the `course-admin` service's hub
token in a file only uid 1000 reads (never in the environment, so not in `docker inspect`).
It runs the same `course` command there, as uid 1000, and is removed afterwards.

`course autograde` drives the sandboxes from here: the toolbox packs each submission, a
sandbox (hub/grading/sandbox.py) executes it, the toolbox scores the executed notebooks.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import uuid
from pathlib import Path

import docker
import docker.errors

from hub.course import Course
from hub.grading.where import ToolboxError

LABEL_TOOLBOX = "org.course.toolbox"
GRADING_MOUNT = "/home/jovyan/grading"
TOKEN_PATH = "/tmp/course-admin-token"
NGSHARE_URL = "http://ngshare:10101/services/ngshare"


def admin_token(client: docker.DockerClient, stack: str) -> str:
    """The course-admin service's token: from /secrets in the hub container, else (on the
    host) read through the stack's running hub container."""
    own = Path(os.environ.get("COURSE_SECRETS_DIR", "/secrets")) / "course_admin_token"
    if own.exists():
        return own.read_text().strip()
    hub = hub_container(client, stack)
    code, out = hub.exec_run(["cat", "/secrets/course_admin_token"])
    if code != 0:
        raise ToolboxError(f"cannot read the course-admin token in {hub.name}: {out!r}")
    return out.decode().strip()


def hub_container(client: docker.DockerClient, stack: str):
    """The stack's running hub container (its compose labels)."""
    hubs = client.containers.list(filters={"label": [
        f"com.docker.compose.project={stack}", "com.docker.compose.service=hub"]})
    if not hubs:
        raise ToolboxError(f"no running hub container for stack {stack!r}: start the stack, or "
                           "pass --stack NAME (default: $STACK_NAME, else 'course')")
    return hubs[0]


def _tar(entries: dict[str, tuple[bytes, int, int]]) -> bytes:
    """path -> (content, mode, uid); parent folders are created by Docker."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, (content, mode, uid) in sorted(entries.items()):
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.uid, info.gid = len(content), mode, uid, uid
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def course_files(course_file: Path, course: Course) -> dict[str, tuple[bytes, int, int]]:
    """course.yml, the roster and assignments/ of the course folder, for /srv/course."""
    folder = course_file.parent
    picked = {"course.yml": course_file, course.roster: folder / course.roster}
    for f in (folder / "assignments").rglob("*"):
        if f.is_file() and not {".ipynb_checkpoints", "__pycache__"} & set(f.parts):
            picked[str(f.relative_to(folder))] = f
    return {f"srv/course/{rel}": (path.read_bytes(), 0o644, 0) for rel, path in picked.items()}


def source_files(package: Path) -> dict[str, tuple[bytes, int, int]]:
    return {str(f.relative_to(package.parent)): (f.read_bytes(), 0o644, 0)
            for f in package.rglob("*") if f.is_file() and "__pycache__" not in f.parts}


class Toolbox:
    """One staff-tools container for the duration of a command (`with Toolbox(...) as box`)."""

    def __init__(self, client: docker.DockerClient, stack: str, image: str, course: Course,
                 course_file: Path, dev_source: Path | None = None):
        self.client, self.stack, self.image = client, stack, image
        self.course, self.course_file, self.dev_source = course, course_file, dev_source
        self.container = None

    def __enter__(self) -> Toolbox:
        token = admin_token(self.client, self.stack)
        self.container = self.client.containers.run(
            self.image, ["sleep", "infinity"], entrypoint=["tini", "-g", "--"],
            name=f"{self.stack}-toolbox-{uuid.uuid4().hex[:8]}", detach=True,
            user="1000:1000", network=f"{self.stack}-net",
            volumes={f"{self.stack}-grading": {"bind": GRADING_MOUNT, "mode": "rw"}},
            environment={
                "COURSE_GRADING_DIR": GRADING_MOUNT,
                "COURSE_FILE": "/srv/course/course.yml",
                "NGSHARE_URL": NGSHARE_URL,
                "COURSE_ADMIN_TOKEN_FILE": TOKEN_PATH,
                "JUPYTERHUB_USER": "course-admin",
                "HOME": "/home/jovyan",
            },
            labels={LABEL_TOOLBOX: self.stack},
            cap_drop=["ALL"], security_opt=["no-new-privileges:true"],
        )
        try:
            self._setup(token)
        except BaseException:
            self.container.remove(force=True)
            raise
        return self

    def _setup(self, token: str) -> None:
        c = self.container
        if self.check("stat", "-c", "%u", GRADING_MOUNT).strip() != "1000":
            # A fresh named volume's mount point is root's unless the image has the folder.
            self.client.containers.run(
                self.image, ["chown", "1000:1000", GRADING_MOUNT], entrypoint=[], user="root",
                volumes={f"{self.stack}-grading": {"bind": GRADING_MOUNT, "mode": "rw"}},
                network_mode="none", cap_drop=["ALL"], cap_add=["CHOWN"], remove=True,
                labels={LABEL_TOOLBOX: self.stack})
        files = {**course_files(self.course_file, self.course),
                 TOKEN_PATH.lstrip("/"): (token.encode(), 0o600, 1000)}
        if not c.put_archive("/", _tar(files)):
            raise ToolboxError("could not copy the course folder into the staff-tools container")
        if self.dev_source:
            # Run the working tree's `hub` package instead of the image's (development, tests).
            site = self.check("python", "-c",
                              "import hub, os; print(os.path.dirname(os.path.dirname("
                              "hub.__file__)))").strip()
            c.put_archive(site, _tar(source_files(self.dev_source)))

    def __exit__(self, *exc) -> None:
        if self.container is not None:
            self.container.remove(force=True)

    # -- running commands -----------------------------------------------------------------

    def run(self, *cmd: str, user: str = "1000:1000", stream=None) -> tuple[int, str]:
        """Run `cmd`; stream its output lines to `stream` (a callable) or collect them."""
        api = self.client.api
        ex = api.exec_create(self.container.id, list(cmd), user=user, workdir=GRADING_MOUNT)
        chunks = []
        for chunk in api.exec_start(ex["Id"], stream=True):
            text = chunk.decode("utf-8", "replace")
            if stream:
                stream(text)
            else:
                chunks.append(text)
        return api.exec_inspect(ex["Id"])["ExitCode"], "".join(chunks)

    def check(self, *cmd: str, user: str = "1000:1000") -> str:
        code, out = self.run(*cmd, user=user)
        if code != 0:
            raise ToolboxError(f"{' '.join(cmd)} failed (exit {code}):\n{out[-4000:]}")
        return out

    def step(self, *args: str) -> str:
        """An internal workflow step; its last output line is its answer."""
        out = self.check("python", "-m", "hub.grading.workflow", *args)
        return out.strip().splitlines()[-1]

    def get_tar(self, path: str) -> bytes:
        stream, _ = self.container.get_archive(path)
        return b"".join(stream)

    def put_tar(self, path: str, data: bytes) -> None:
        self.check("mkdir", "-p", path)
        if not self.container.put_archive(path, data):
            raise ToolboxError(f"could not copy into the staff-tools container at {path}")

    def put_json(self, path: str, value) -> None:
        folder, name = os.path.split(path)
        self.put_tar(folder, _tar({name: (json.dumps(value).encode(), 0o644, 1000)}))

    def copy_to_host(self, folder: Path, data: bytes, uid: int) -> None:
        """Unpack `data` (a tar) into `folder` on the Docker host, owned by `uid`: through a
        container that is created with the folder mounted and never started."""
        owned = io.BytesIO()
        with tarfile.open(fileobj=io.BytesIO(data)) as src, \
                tarfile.open(fileobj=owned, mode="w") as dst:
            for member in src.getmembers():
                if not (member.isfile() or member.isdir()):
                    continue  # results are plain files and folders
                member.uid = member.gid = uid
                dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        carrier = self.client.containers.create(
            self.image, ["true"], entrypoint=[], network_mode="none",
            volumes={str(folder): {"bind": "/out", "mode": "rw"}},
            labels={LABEL_TOOLBOX: self.stack})
        try:
            if not carrier.put_archive("/out", owned.getvalue()):
                raise ToolboxError(f"could not copy the results to {folder} on the host")
        finally:
            carrier.remove(force=True)

