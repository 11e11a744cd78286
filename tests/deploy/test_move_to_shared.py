"""course-move-to-shared (role course_stack): when a course that ran on one server gets GPU
nodes, its labs repository, grading folder and students' homes move from Docker volumes to the
shared folder, before compose brings the stack up with compose.swarm.yml. Real volumes and
containers on this machine's engine; the shared folder is a temporary folder here (NFS in
production, where the script runs on the NFS server)."""

from __future__ import annotations

import subprocess
import uuid

import pytest
from deployctl import ANSIBLE_DIR, sh
from dockercheck import require_docker

pytestmark = pytest.mark.docker

SCRIPT = ANSIBLE_DIR / "roles" / "course_stack" / "files" / "course-move-to-shared"
HELPER = "course-base:bookworm"  # has cp; make deploy passes the hub image


def in_volume(volume: str, script: str) -> None:
    sh("docker", "run", "--rm", "--network", "none", "-v", f"{volume}:/v", HELPER, "sh", "-c",
       script)  # fmt: skip


def volumes(stack: str) -> set[str]:
    return set(sh("docker", "volume", "ls", "-q", "--filter", f"name=^{stack}-").stdout.split())


def move(stack: str, shared) -> subprocess.CompletedProcess:
    return sh(str(SCRIPT), stack, str(shared), HELPER, check=False)


@pytest.fixture
def course(tmp_path):
    """A one-server course's volumes, its stopped hub and a running server using them."""
    require_docker()
    stack = f"movetest{uuid.uuid4().hex[:6]}"
    shared = tmp_path / "shared"
    (shared / "labs.git").mkdir(parents=True)  # as make deploy makes them: empty
    (shared / "grading").mkdir()
    try:
        in_volume(f"{stack}-labs", "mkdir /v/objects && echo 'ref: refs/heads/main' > /v/HEAD")
        in_volume(f"{stack}-grading", "mkdir /v/source && echo '{}' > /v/source/A1.ipynb && "
                  "chown -R 1000:100 /v/source")  # fmt: skip
        in_volume(f"{stack}-home-alice", "echo mine > /v/work.txt && chown -R 1000:100 /v && "
                  "chmod 700 /v")  # fmt: skip
        sh("docker", "create", "--name", f"{stack}-hub", "-v", f"{stack}-labs:/srv/labs.git",
           HELPER, "true")  # fmt: skip
        sh("docker", "run", "-d", "--name", f"{stack}-jupyter-alice",
           "-v", f"{stack}-home-alice:/home/jovyan", HELPER, "sleep", "600")  # fmt: skip
        yield stack, shared
    finally:
        ids = sh("docker", "ps", "-aq", "--filter", f"name=^{stack}-", check=False).stdout.split()
        if ids:
            sh("docker", "rm", "-f", *ids, check=False)
        if volumes(stack):
            sh("docker", "volume", "rm", "-f", *volumes(stack), check=False)


def stat(path) -> str:
    st = path.stat()
    return f"{st.st_uid}:{st.st_gid} {oct(st.st_mode & 0o777)}"


def test_volumes_move_to_the_shared_folder_with_their_owners(course):
    stack, shared = course
    done = move(stack, shared)
    assert done.returncode == 0, done.stderr
    assert f"moved the volume {stack}-labs to {shared}/labs.git" in done.stdout
    assert f"moved the volume {stack}-grading to {shared}/grading" in done.stdout
    assert f"copied the home volume {stack}-home-alice to {shared}/homes/alice" in done.stdout

    assert (shared / "labs.git/HEAD").read_text() == "ref: refs/heads/main\n"
    assert stat(shared / "grading/source/A1.ipynb").startswith("1000:100 ")
    assert (shared / "homes/alice/work.txt").read_text() == "mine\n"
    assert stat(shared / "homes/alice") == "1000:100 0o700"
    assert not list(shared.rglob("*.partial"))
    # The old labs and grading volumes are gone (compose re-creates them as binds); the home
    # volume stays until the admin removes it; the containers that used them are gone.
    assert volumes(stack) == {f"{stack}-home-alice"}
    assert sh("docker", "ps", "-aq", "--filter", f"name=^{stack}-").stdout.strip() == ""


def test_a_second_run_moves_nothing(course):
    stack, shared = course
    assert move(stack, shared).returncode == 0
    for name, folder in (("labs", "labs.git"), ("grading", "grading")):  # what compose makes
        sh("docker", "volume", "create", "--name", f"{stack}-{name}", "--opt", "type=none",
           "--opt", "o=bind", "--opt", f"device={shared}/{folder}")  # fmt: skip
    (shared / "homes/alice/new.txt").write_text("written on a node\n")
    again = move(stack, shared)
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    assert (shared / "homes/alice/new.txt").exists()


def test_a_non_empty_folder_and_an_old_volume_stop_it_losing_nothing(course):
    stack, shared = course
    (shared / "grading/gradebook.db").write_text("someone's")
    done = move(stack, shared)
    assert done.returncode == 1
    assert f"{shared}/grading is not empty and the volume {stack}-grading still exists" in (
        done.stderr
    )
    assert f"{stack}-grading" in volumes(stack)
    assert (shared / "grading/gradebook.db").read_text() == "someone's"
