"""Scale-out provisioning (roles nfs and swarm): two throw-away Debian 12 targets, one in
course_servers and one in gpu_nodes, converged with `site.yml --tags nfs,swarm` over real SSH.

Real: the plays, the swarm (each target's own nested Docker engine: the course server
initialises it, the node joins over the network, the manager labels both nodes), the NFS
packages, /etc/exports.d and /etc/fstab. Not possible here: serving or mounting NFS. This
machine's kernel has neither an NFS server nor an NFS client (/proc/filesystems lists no nfs,
and modules cannot be loaded in these containers), so the NFS server is left stopped and the
mounts are written to /etc/fstab only (nfs_mount_state: present); the test checks those files
and that the converge is idempotent. The stack itself is not deployed here (test_converge.py
does that for one host; tests/swarm runs the swarm spawner for real).
"""

from __future__ import annotations

import json

import pytest
import yaml
from deployctl import PASSWORD, new_target
from dockercheck import require_docker

pytestmark = pytest.mark.docker

NODE_GPUS = [{"index": 0, "uuid": "GPU-node2-0", "memory_mib": 81559, "mig": []}]
PLAY = ("site.yml", "--tags", "nfs,swarm",
        "-e", "nfs_mount_state=present", "-e", "nfs_server_service_state=stopped")


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
    try:
        server.start()
        node.start()
        inv = server.scratch / "scale-out-inventory"
        (inv / "group_vars" / "course_servers").mkdir(parents=True)
        (inv / "hosts.yml").write_text(yaml.safe_dump({
            "course_servers": {"hosts": {"server": host(server)}},
            "gpu_nodes": {"hosts": {"node2": {**host(node), "swarm_node_gpus": NODE_GPUS}}},
        }))
        group = inv / "group_vars" / "course_servers"
        (group / "vars.yml").write_text(yaml.safe_dump(server.settings()))
        (group / "vault.yml").write_text(yaml.safe_dump({"vault_course_demo_password": PASSWORD}))
        yield server, node, inv
    finally:
        node.stop()
        server.stop()


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
        "installed")
    assert server.exec("test -d /srv/course-shared && echo yes").stdout.strip() == "yes"


def test_the_node_mounts_them_at_the_same_paths(pair, converged):
    server, node, _ = pair
    fstab = node.exec("cat /etc/fstab").stdout
    data = server.settings()["course_stack_data_dir"]
    assert (f"{server.ip}:/srv/course-shared /srv/course-shared nfs "
            "nfsvers=4.2,hard,noatime,_netdev,rw 0 0") in fstab
    assert f"{server.ip}:{data} {data} nfs nfsvers=4.2,hard,noatime,_netdev,ro 0 0" in fstab
    assert node.exec("dpkg-query -W -f='${Status}' nfs-common").stdout.endswith("installed")


def test_the_node_joined_the_servers_swarm_labelled_with_its_gpus(pair, converged):
    server, node, _ = pair
    nodes = server.exec(
        "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'").stdout
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
