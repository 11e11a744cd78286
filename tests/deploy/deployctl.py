"""A throw-away Debian 12 server in a container, and ansible-playbook runs against it.

The target runs systemd and sshd (Molecule's pattern) and is reached over real SSH. The course
stack it deploys runs on this machine's Docker engine: the engine's socket is mounted into the
target at /host-docker/docker.sock, and one scratch folder is mounted at the same path on both
sides, so every bind mount the target asks the engine for names the same files. (A Docker engine
nested in the target starts too, with the vfs driver, and is what the docker role configures;
building the course images a second time inside it would take far too long here.) The images
are built under a tag of their own (the run's name, deploytest<hex>), so the tests never replace
the :latest images nor another run's; everything a run makes is named after it and removed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = ROOT / "ansible"
HERE = Path(__file__).resolve().parent
RESULTS = ROOT / "test-results"
TARGET_IMAGE = "deploytest-target:bookworm"
PREFIX = "deploytest"
DOMAIN = "course.deploytest"
PASSWORD = "deploy-test-password"


def sh(*cmd: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=check, text=True, capture_output=True, **kw)


def ansible_tool(name: str) -> str:
    """ansible-playbook etc. from the running interpreter's environment (tests/requirements)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        found = shutil.which(name)
        if not found:
            raise RuntimeError(f"{name} is not installed; pip install ansible==12.3.0 ansible-lint")
        return found
    return str(path)


def bridge_gateway() -> str:
    out = sh(
        "docker",
        "network",
        "inspect",
        "bridge",
        "--format",
        "{{range .IPAM.Config}}{{.Gateway}}{{end}}",
    ).stdout.strip()
    return out or "172.17.0.1"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def build_target_image() -> None:
    """Build (or reuse, from the layer cache) the target image."""
    r = sh("docker", "build", "-t", TARGET_IMAGE, str(HERE / "target"), check=False)
    if r.returncode != 0:
        raise RuntimeError(f"building {TARGET_IMAGE} failed:\n{r.stdout[-3000:]}{r.stderr[-3000:]}")


@dataclasses.dataclass
class Result:
    rc: int
    output: str

    def recap(self) -> dict[str, int]:
        """The PLAY RECAP counters of the (single) target host."""
        lines = [ln for ln in self.output.splitlines() if re.search(r"\bok=\d+", ln)]
        counts = {}
        for line in lines:
            if line.split()[0].startswith(("localhost",)):
                continue
            counts = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
        return counts

    def changed_tasks(self) -> list[str]:
        """Names of tasks that reported 'changed', for a readable idempotence failure."""
        out, task = [], None
        for line in self.output.splitlines():
            m = re.match(r"^(TASK|RUNNING HANDLER) \[(.*)\]", line)
            if m:
                task = m.group(2)
            elif line.startswith("changed:") and task:
                out.append(task)
        return out


@dataclasses.dataclass
class Target:
    name: str
    scratch: Path
    ip: str = ""
    http_port: int = 0
    gateway: str = ""

    @property
    def stack(self) -> str:
        return self.name.replace("-", "")

    def scratch_name(self, what: str) -> str:
        """A name for a throw-away container of this run (stop() removes it if left over)."""
        return f"{self.stack}-{what}-{uuid.uuid4().hex[:6]}"

    @property
    def image_tag(self) -> str:
        """The run's own tag of the course images (never :latest, never another run's)."""
        return self.stack

    @property
    def upgrade_tag(self) -> str:
        """The tag of the upgrade test's "new image version"."""
        return f"{self.stack}-v2"

    @property
    def inventory(self) -> Path:
        return self.scratch / "inventory"

    @property
    def course_src(self) -> Path:
        return self.scratch / "course-src"

    @property
    def stack_dir(self) -> Path:
        return self.scratch / "opt" / "course"

    @property
    def backup_dir(self) -> Path:
        return self.scratch / "backups"

    @property
    def key(self) -> Path:
        return self.scratch / "ssh" / "id_ed25519"

    # -- life cycle ------------------------------------------------------------------------

    def start(self, run_args: tuple[str, ...] = ()) -> None:
        """Start the target; `run_args`: more `docker run` options (a folder two targets share,
        a capability its nested engine needs)."""
        build_target_image()
        self.scratch.mkdir(parents=True)
        (self.scratch / "ssh").mkdir(mode=0o700)
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key))
        sh(
            "docker",
            "run",
            "-d",
            "--name",
            self.name,
            "--hostname",
            "deploytest-target",
            "--label",
            f"{PREFIX}=1",
            "--cap-add",
            "NET_ADMIN",
            "--tmpfs",
            "/run",
            "--tmpfs",
            "/run/lock",
            "-v",
            "/sys/fs/cgroup:/sys/fs/cgroup:ro",
            "-v",
            "/var/run/docker.sock:/host-docker/docker.sock",
            # This machine's docker CLI: a build context's cache key depends on the client that
            # sends it, so with the target's own (older) CLI every image would be built again
            # instead of reusing the layers `make images` left in this engine's cache.
            "-v",
            f"{shutil.which('docker')}:/usr/local/bin/docker:ro",
            "-v",
            f"{self.scratch}:{self.scratch}",
            *run_args,
            TARGET_IMAGE,
        )
        self.ip = sh(
            "docker", "inspect", "-f", "{{.NetworkSettings.IPAddress}}", self.name
        ).stdout.strip()
        self.gateway = bridge_gateway()
        self.http_port = free_port()
        pub = self.key.with_suffix(".pub").read_text()
        self.exec(
            "install -d -m 700 -o admin -g admin /home/admin/.ssh && "
            f"echo '{pub.strip()}' > /home/admin/.ssh/authorized_keys && "
            "chown admin:admin /home/admin/.ssh/authorized_keys"
        )
        deadline = time.monotonic() + 60
        while self.exec("systemctl is-active ssh", check=False).stdout.strip() != "active":
            if time.monotonic() > deadline:
                raise RuntimeError("sshd did not start in the target")
            time.sleep(1)
        self.snapshot_project()
        self.write_course()
        self.write_inventory()

    @property
    def ansible_dir(self) -> Path:
        """The frozen copy of ansible/ the playbooks run from (see snapshot_project)."""
        return self.scratch / "project" / "ansible"

    def snapshot_project(self) -> None:
        """Deploy a frozen copy of the project and run a frozen copy of its playbooks: the
        working tree may change while tests run (a second converge must see the same sources
        and roles to report no change)."""
        files = yaml.safe_load((ANSIBLE_DIR / "roles/course_stack/defaults/main.yml").read_text())[
            "course_stack_project_files"
        ]
        dest = self.scratch / "project"
        dest.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*.egg-info")
        for name in files:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, dest / name, ignore=ignore)
            elif src.exists():
                shutil.copy2(src, dest / name)
        shutil.copytree(ANSIBLE_DIR, self.ansible_dir, ignore=shutil.ignore_patterns(".ansible"))

    def write_course(self, image_tag: str | None = None) -> None:
        self.course_src.mkdir(exist_ok=True)
        course = yaml.safe_load((HERE / "data" / "course.yml").read_text())
        course["images"]["student"] = f"course-student:{image_tag or self.image_tag}"
        (self.course_src / "course.yml").write_text(yaml.safe_dump(course, sort_keys=False))
        shutil.copy(ROOT / "roster.csv", self.course_src / "roster.csv")
        labs = self.course_src / "labs"
        if not labs.exists():
            labs.mkdir()
            for week in course["weeks"]:
                shutil.copytree(ROOT / "labs" / week["lab"], labs / week["lab"])
            self.write_data_manifest(labs, [w["lab"] for w in course["weeks"]])
        assignments = self.course_src / "assignments"  # what `course release` reads
        if not assignments.exists():
            for a in course.get("assignments") or []:
                shutil.copytree(
                    ROOT / "assignments" / "source" / a["id"],
                    assignments / "source" / a["id"],
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"),
                )
            shutil.copy2(ROOT / "assignments" / "nbgrader_config.py", assignments)

    # One entry the mirror lacks: the deploy must finish, warn and name it.
    UNREACHABLE = {
        "name": "unreachable-set", "kind": "hf-model", "source": "course-test/unreachable",
        "target": "test/unreachable", "marker": "config.json", "size_mb": 1,
    }

    def write_data_manifest(self, labs: Path, lab_names: list[str]) -> None:
        """The course's manifest, its entries' labs narrowed to this course's, and a data mirror
        of tiny stand-ins in the sources' formats (tests/content/tinydata.py) for them."""
        manifest = yaml.safe_load((ROOT / "labs" / "data-manifest.yml").read_text())
        for entry in manifest["entries"]:
            entry["labs"] = lab_names
        manifest["entries"].append({**self.UNREACHABLE, "labs": lab_names})
        (labs / "data-manifest.yml").write_text(yaml.safe_dump(manifest, sort_keys=False))
        self.data_mirror.mkdir(parents=True)
        image = f"course-student:{os.environ.get('IMAGE_TAG', 'latest')}"
        built = subprocess.run(
            ["docker", "run", "--rm", "--network", "none", "--user", f"{os.getuid()}:{os.getgid()}",
             "-e", "HOME=/tmp", "-e", "PYTHONPATH=/src", "-v", f"{ROOT}:/src:ro",
             "-v", f"{self.data_mirror}:/out", "-w", "/src", "--entrypoint", "python", image,
             "-m", "tests.content.tinydata", "/out"],
            capture_output=True, text=True, timeout=600,
        )
        assert built.returncode == 0, f"building the data mirror in {image}: {built.stderr[-3000:]}"

    @property
    def data_mirror(self) -> Path:
        return self.scratch / "data-mirror"

    def settings(self) -> dict:
        return {
            "gpu": False,
            "course_stack_course_file": str(self.course_src / "course.yml"),
            "course_stack_dir": str(self.stack_dir),
            "course_stack_project_src": str(self.scratch / "project"),
            "course_stack_data_dir": str(self.scratch / "srv" / "course-data"),
            "course_stack_data_mirror": self.data_mirror.as_uri(),
            "course_stack_name": self.stack,
            "course_stack_container_prefix": f"{self.stack}-jupyter",
            "course_stack_base_image": "course-base:bookworm",
            "course_stack_image_tag": self.image_tag,
            "course_stack_http_bind": self.gateway,
            "course_stack_http_port": self.http_port,
            "course_stack_docker_host": "unix:///host-docker/docker.sock",
            "course_stack_demo_password": "{{ vault_course_demo_password }}",
            "backup_dir": str(self.backup_dir),
            "tls_domain": DOMAIN,
            "tls_internal_ca": True,
            # one origin per user, as a site with a wildcard DNS name deploys it
            "tls_wildcard_domain": f"*.{DOMAIN}",
        }

    def write_inventory(self, hosts: bool = True, vault: bool = True, **overrides) -> Path:
        inv = self.inventory
        group = inv / "group_vars" / "course_servers"
        group.mkdir(parents=True, exist_ok=True)
        host = {
            "ansible_host": self.ip,
            "ansible_user": "admin",
            "ansible_ssh_private_key_file": str(self.key),
            "ansible_ssh_common_args": (
                "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
            ),
        }
        doc = {"course_servers": {"hosts": {"target": host} if hosts else None}}
        (inv / "hosts.yml").write_text(yaml.safe_dump(doc))
        (group / "vars.yml").write_text(yaml.safe_dump({**self.settings(), **overrides}))
        vault_file = group / "vault.yml"
        if vault:
            # A test secret in clear text; a real inventory encrypts this file (ansible-vault).
            vault_file.write_text(yaml.safe_dump({"vault_course_demo_password": PASSWORD}))
        elif vault_file.exists():
            vault_file.unlink()
        return inv

    def exec(self, script: str, check: bool = True) -> subprocess.CompletedProcess:
        return sh("docker", "exec", self.name, "bash", "-c", script, check=check)

    def play(
        self,
        playbook: str,
        *args: str,
        inventory: Path | None = None,
        log: str | None = None,
        timeout: int = 1800,
    ) -> Result:
        env = {
            **os.environ,
            "ANSIBLE_CONFIG": str(self.ansible_dir / "ansible.cfg"),
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_NOCOLOR": "1",
            # each task's time in the logs (test-results/deploy-*.log): where a slow run went
            "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
            "ANSIBLE_LOCAL_TEMP": str(self.scratch / "ansible-tmp"),
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        }
        p = subprocess.run(
            [
                ansible_tool("ansible-playbook"),
                "-i",
                str(inventory or self.inventory),
                playbook,
                *args,
            ],
            cwd=self.ansible_dir,
            env=env,
            text=True,
            capture_output=True,
            timeout=timeout,
        )
        output = p.stdout + p.stderr
        if log:
            RESULTS.mkdir(exist_ok=True)
            (RESULTS / f"deploy-{log}.log").write_text(output)
        return Result(p.returncode, output)

    def logs(self, tail: int = 300) -> str:
        """The logs of every container of the stack the target runs (hub, proxy, ngshare,
        students' servers) and of the target's Caddy: what a failed test prints."""
        names = sh(
            "docker",
            "ps",
            "-a",
            "--format",
            "{{.Names}}",
            "--filter",
            f"name=^{self.stack}",
            check=False,
        ).stdout.split()
        parts = []
        for name in sorted(names):
            log = sh("docker", "logs", f"--tail={tail}", name, check=False)
            # A running container on no network is cut off (e.g. by `docker swarm leave
            # --force` on this engine, moby/moby#42877): say so, it explains 502s.
            networks = sh(
                "docker",
                "inspect",
                "-f",
                "{{.State.Status}}, networks: {{range $k, $v := .NetworkSettings.Networks}}"
                "{{$k}} {{end}}",
                name,
                check=False,
            ).stdout.strip()
            parts.append(f"==== {name} ({networks}) ====\n{log.stdout}{log.stderr}")
        caddy = self.exec(f"journalctl -u caddy --no-pager -n {tail}", check=False)
        parts.append(f"==== caddy (in the target) ====\n{caddy.stdout}{caddy.stderr}")
        return "\n".join(parts)

    def host_docker(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return sh("docker", *args, check=check)

    def stop(self) -> None:
        """Remove the target, the stack it started on this engine, and the scratch folder."""
        label = f"org.course.stack={self.stack}"
        ids = sh("docker", "ps", "-aq", "--filter", f"label={label}", check=False).stdout.split()
        ids += sh(
            "docker", "ps", "-aq", "--filter", f"name=^{self.stack}", check=False
        ).stdout.split()
        ids += sh(
            "docker",
            "ps",
            "-aq",
            "--filter",
            f"label=com.docker.compose.project={self.stack}",
            check=False,
        ).stdout.split()
        if ids:
            sh("docker", "rm", "-f", *sorted(set(ids)), check=False)
        sh("docker", "rm", "-f", self.name, check=False)
        vols = sh(
            "docker", "volume", "ls", "-q", "--filter", f"name=^{self.stack}-", check=False
        ).stdout.split()
        if vols:
            sh("docker", "volume", "rm", "-f", *vols, check=False)
        sh("docker", "network", "rm", f"{self.stack}-net", check=False)
        for tag in (self.image_tag, self.upgrade_tag):  # untag only; layers stay cached
            for name in ("student", "hub", "proxy", "ngshare"):
                sh("docker", "rmi", "--no-prune", f"course-{name}:{tag}", check=False)
        shutil.rmtree(self.scratch, ignore_errors=True)


def new_target() -> Target:
    name = f"{PREFIX}-{uuid.uuid4().hex[:6]}"
    scratch = Path(os.environ.get("DEPLOYTEST_SCRATCH", "/var/tmp")) / name
    return Target(name=name, scratch=scratch)


def dump_json(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=True)
