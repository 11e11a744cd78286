"""Scale-out provisioning (roles nfs, swarm, backup): two throw-away Debian 12 targets, one in
course_servers and one in gpu_nodes, converged with `site.yml --tags nfs,swarm,backup` over
real SSH.

Real: the plays, the swarm (each target's own nested Docker engine: the course server
initialises it, the node joins over the network, the manager labels both nodes), the NFS
packages, /etc/exports.d and /etc/fstab. Not possible here: serving or mounting NFS. This
machine's kernel has neither an NFS server nor an NFS client (/proc/filesystems lists no nfs,
and modules cannot be loaded in these containers), so the NFS server is left stopped and the
mounts are written to /etc/fstab only (nfs_mount_state: present); the test checks those files
and that the converge is idempotent. The shared folder itself is one host folder bind-mounted
into both targets at /srv/course-shared, standing in for the NFS mount: through it the node
gets the student image (a tiny stand-in made in the server's engine; the real one is 7 GB).
The targets get CAP_SYS_ADMIN here: their nested engines must unpack image layers. The stack
itself is not deployed here (test_converge.py does that for one host; tests/swarm runs the
swarm spawner for real).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from deployctl import ANSIBLE_DIR, PASSWORD, ansible_tool, new_target
from dockercheck import require_docker

pytestmark = pytest.mark.docker

NODE_GPUS = [{"index": 0, "uuid": "GPU-node2-0", "memory_mib": 81559, "mig": []}]
PLAY = (
    "site.yml",
    "--tags",
    "nfs,swarm,backup",
    "-e",
    "nfs_mount_state=present",
    "-e",
    "nfs_server_service_state=stopped",
)


SHARED = "/srv/course-shared"


def student_image(t) -> str:
    return f"course-student:{t.image_tag}"  # what the course file names (Target.write_course)


def image_id(t, name: str) -> str:
    return t.exec(f"docker image inspect -f '{{{{.Id}}}}' {name}", check=False).stdout.strip()


def make_student_image(t, content: str) -> str:
    """A tiny stand-in for the student image in the target's own engine; returns its id."""
    t.exec(
        f"d=$(mktemp -d) && echo '{content}' > $d/version && "
        f"tar -C $d -c version | docker import - {student_image(t)} >/dev/null"
    )
    return image_id(t, student_image(t))


def host(t) -> dict:
    return {
        "ansible_host": t.ip,
        "ansible_user": "admin",
        "ansible_ssh_private_key_file": str(t.key),
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
    }


@pytest.fixture(scope="module")
def pair():
    require_docker()
    server, node = new_target(), new_target()
    shared = Path(tempfile.mkdtemp(prefix="deploytest-shared-", dir="/var/tmp"))
    try:
        # SYS_ADMIN: the nested engines unpack image layers (pivot_root in a mount namespace).
        run_args = ("-v", f"{shared}:{SHARED}", "--cap-add", "SYS_ADMIN")
        server.start(run_args)
        node.start(run_args)
        make_student_image(server, "version 1")
        inv = server.scratch / "scale-out-inventory"
        (inv / "group_vars" / "course_servers").mkdir(parents=True)
        (inv / "hosts.yml").write_text(
            yaml.safe_dump(
                {
                    "course_servers": {"hosts": {"server": host(server)}},
                    "gpu_nodes": {"hosts": {"node2": {**host(node), "swarm_node_gpus": NODE_GPUS}}},
                }
            )
        )
        group = inv / "group_vars" / "course_servers"
        (group / "vars.yml").write_text(yaml.safe_dump(server.settings()))
        (group / "vault.yml").write_text(yaml.safe_dump({"vault_course_demo_password": PASSWORD}))
        yield server, node, inv
    finally:
        node.stop()
        server.stop()
        shutil.rmtree(shared, ignore_errors=True)


@pytest.fixture(scope="module")
def converged(pair):
    server, node, inv = pair
    first = server.play(*PLAY, inventory=inv, log="scale-out")
    assert first.rc == 0, first.output[-6000:]
    return first


def test_the_server_exports_the_shared_folders_to_the_node_only(pair, converged):
    server, node, _ = pair
    exports = server.exec("cat /etc/exports.d/course.exports").stdout
    opts = "sync,no_subtree_check,root_squash"
    data = server.settings()["course_stack_data_dir"]
    course = server.settings()["course_stack_dir"] + "/course"
    assert f"/srv/course-shared {node.ip}(rw,{opts})" in exports
    assert f"{data} {node.ip}(ro,{opts})" in exports
    assert f"{course} {node.ip}(ro,{opts})" in exports
    assert "*" not in exports.replace("# ", "")  # never exported to the world
    assert server.exec("dpkg-query -W -f='${Status}' nfs-kernel-server").stdout.endswith(
        "installed"
    )
    assert server.exec("test -d /srv/course-shared && echo yes").stdout.strip() == "yes"


def test_the_node_mounts_them_at_the_same_paths(pair, converged):
    server, node, _ = pair
    fstab = node.exec("cat /etc/fstab").stdout
    data = server.settings()["course_stack_data_dir"]
    assert (
        f"{server.ip}:/srv/course-shared /srv/course-shared nfs "
        "nfsvers=4.2,hard,noatime,_netdev,rw 0 0"
    ) in fstab
    assert f"{server.ip}:{data} {data} nfs nfsvers=4.2,hard,noatime,_netdev,ro 0 0" in fstab
    assert node.exec("dpkg-query -W -f='${Status}' nfs-common").stdout.endswith("installed")


def test_the_node_joined_the_servers_swarm_labelled_with_its_gpus(pair, converged):
    server, node, _ = pair
    nodes = server.exec(
        "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'"
    ).stdout
    assert len(nodes.splitlines()) == 2, nodes
    assert all(" Ready" in line for line in nodes.splitlines()), nodes
    ids = server.exec("docker node ls -q").stdout.split()
    labels = {}
    for node_id in ids:
        info = json.loads(server.exec(f"docker node inspect {node_id}").stdout)[0]
        labels[info["Spec"]["Role"]] = json.loads(info["Spec"]["Labels"]["course.gpus"])
    assert labels == {"manager": [], "worker": NODE_GPUS}  # the server: no nvidia-smi, no GPU
    assert node.exec("docker info --format '{{.Swarm.LocalNodeState}}'").stdout.strip() == "active"


def test_a_second_converge_changes_nothing(pair, converged):
    server, _, inv = pair
    again = server.play(*PLAY, inventory=inv, log="scale-out-again")
    assert again.rc == 0, again.output[-4000:]
    recap = [ln for ln in again.output.splitlines() if " changed=" in ln and " ok=" in ln]
    assert recap and all(" changed=0 " in ln for ln in recap), (recap, again.changed_tasks())


def test_the_node_holds_the_course_servers_student_image(pair, converged):
    server, node, _ = pair
    wanted = image_id(server, student_image(server))
    assert wanted.startswith("sha256:")
    assert image_id(node, student_image(server)) == wanted
    archive = f"{SHARED}/images/{wanted.removeprefix('sha256:')}.tar"
    assert server.exec(f"stat -c %a {archive}").stdout.strip() == "644"  # NFS: nobody reads it


def test_a_new_image_version_reaches_the_node_and_the_old_archive_goes(pair, converged):
    server, node, inv = pair
    old = image_id(server, student_image(server))
    new = make_student_image(server, "version 2")
    assert new != old
    run = server.play(*PLAY, inventory=inv, log="scale-out-new-image")
    assert run.rc == 0, run.output[-4000:]
    assert image_id(node, student_image(server)) == new
    archives = server.exec(f"ls {SHARED}/images").stdout.split()
    assert archives == [f"{new.removeprefix('sha256:')}.tar"]


def test_an_image_missing_on_the_course_server_stops_the_deploy_naming_it(pair, converged):
    server, _, inv = pair
    course_file = server.course_src / "course.yml"
    original = course_file.read_text()
    course = yaml.safe_load(original)
    course["images"]["allowed"] = ["course-extra:missing"]
    course_file.write_text(yaml.safe_dump(course, sort_keys=False))
    try:
        run = server.play(*PLAY, inventory=inv, log="scale-out-missing-image")
    finally:
        course_file.write_text(original)
    assert run.rc != 0
    assert "The image course-extra:missing (images in the course file" in run.output
    assert "is not on the course server server" in run.output


def test_homes_on_the_shared_folder_are_backed_up_and_restored(pair, converged):
    """Scale-out homes are folders, not volumes: the nightly backup archives each under its
    volume's name, and restore.yml puts it back, owned by the notebook user, without stopping
    the hub (there is no stack here: a stop would fail the play)."""
    server, _, inv = pair
    home = f"{SHARED}/homes/student1"
    server.exec(
        f"install -d -o 1000 -g 1000 {home} && echo 'my notebook' > {home}/work.txt && "
        f"python3 -c \"import sqlite3; c = sqlite3.connect('{home}/history.sqlite'); "
        f"c.execute('create table t (x)'); c.execute('insert into t values (42)'); c.commit()\" && "
        f"chown 1000:1000 {home}/work.txt {home}/history.sqlite"
    )
    server.exec("systemctl start course-backup.service")
    backup_dir = server.settings()["backup_dir"]
    stamps = server.exec(f"ls {backup_dir}").stdout.split()
    assert len(stamps) == 1, stamps
    archives = server.exec(f"ls {backup_dir}/{stamps[0]}").stdout.split()
    assert archives == [f"{server.stack}-home-student1.tar.gz"]

    server.exec(f"rm -rf {home}")
    run = server.play("restore.yml", inventory=inv, log="scale-out-restore")
    assert run.rc == 0, run.output[-4000:]
    assert server.exec(f"cat {home}/work.txt").stdout == "my notebook\n"
    owners = server.exec(f"stat -c '%u:%g %a' {home} {home}/work.txt").stdout.split("\n")
    assert owners[:2] == ["1000:1000 755", "1000:1000 644"]
    db = f"sqlite3.connect('{home}/history.sqlite')"
    query = f"import sqlite3; print({db}.execute('select x from t').fetchone()[0])"
    assert server.exec(f'python3 -c "{query}"').stdout.strip() == "42"


@pytest.mark.parametrize(
    "named, wanted",
    [
        ({"student": "lab-image"}, ["lab-image:latest"]),
        (
            {
                "student": "course-student:2026",
                "allowed": ["reg.example.edu:5000/lab/extra", "course-student:2026"],
            },
            ["course-student:2026", "reg.example.edu:5000/lab/extra:latest"],
        ),
        (None, ["course-student:latest"]),
    ],
)
def test_the_images_a_node_needs_are_the_course_files_with_their_tags(tmp_path, named, wanted):
    """The role's default swarm_node_images, evaluated by Ansible on a course file."""
    course = tmp_path / "course.yml"
    course.write_text(yaml.safe_dump({"name": "x", **({"images": named} if named else {})}))
    play = tmp_path / "play.yml"
    defaults = ANSIBLE_DIR / "roles" / "swarm" / "defaults" / "main.yml"
    play.write_text(
        yaml.safe_dump(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "tasks": [
                        {"ansible.builtin.include_vars": str(defaults)},
                        {
                            "ansible.builtin.debug": {
                                "msg": "IMAGES={{ swarm_node_images | to_json }}"
                            }
                        },
                    ],
                }
            ]
        )
    )
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "course_servers": {
                    "hosts": {
                        "localhost": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": sys.executable,
                            "course_stack_course_file": str(course),
                        }
                    }
                }
            }
        )
    )
    run = subprocess.run(
        [ansible_tool("ansible-playbook"), "-i", str(inventory), str(play)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    line = next(ln for ln in run.stdout.splitlines() if "IMAGES=" in ln)
    assert json.loads(line.split("IMAGES=", 1)[1].rstrip('"').replace('\\"', '"')) == wanted
