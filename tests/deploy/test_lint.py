"""Static checks: the playbooks pass ansible-lint's production profile and --syntax-check;
the roles' READMEs and the test target image keep up with the roles' defaults."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from deployctl import ANSIBLE_DIR, ansible_tool


def run(tool: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [ansible_tool(tool), *args],
        cwd=ANSIBLE_DIR,
        env=env,
        text=True,
        capture_output=True,
        timeout=900,
    )


def test_playbooks_pass_syntax_check():
    r = run("ansible-playbook", "--syntax-check", "site.yml", "restore.yml")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ansible_lint_production_profile_is_clean():
    r = run(
        "ansible-lint", "--profile", "production", "--offline", "site.yml", "restore.yml", "roles/"
    )
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr[-5000:]
    assert "production" in r.stdout + r.stderr


ROLES = sorted(p.name for p in (ANSIBLE_DIR / "roles").iterdir() if p.is_dir())


@pytest.mark.parametrize("role", ROLES)
def test_role_readme_shows_the_current_defaults(role):
    """Each role's README quotes its defaults/main.yml, comments included: it must not drift."""
    readme = (ANSIBLE_DIR / "roles" / role / "README.md").read_text()
    block = re.search(r"## Variables\n.*?```yaml\n(.*?)```", readme, re.S)
    assert block, f"roles/{role}/README.md has no ```yaml block under ## Variables"
    defaults = (ANSIBLE_DIR / "roles" / role / "defaults" / "main.yml").read_text()
    assert block.group(1) == defaults.removeprefix("---\n"), (
        f"roles/{role}/README.md's Variables block differs from defaults/main.yml: copy it over"
    )


def test_target_image_preinstalls_what_the_roles_install():
    """The target image pre-installs the roles' packages (apt through this site's proxy is
    slow); a package missing there still converges, only much slower."""
    dockerfile = (Path(__file__).parent / "target" / "Dockerfile").read_text()
    installed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", dockerfile.split("RUN apt-get update")[2]))
    wanted = set()
    for role, key in (
        ("base", "base_packages"),
        ("docker", "docker_distribution_packages"),
        ("tls", "tls_packages"),
    ):
        defaults = yaml.safe_load((ANSIBLE_DIR / "roles" / role / "defaults/main.yml").read_text())
        wanted |= set(defaults[key])
    assert wanted <= installed, (
        f"add to tests/deploy/target/Dockerfile: {sorted(wanted - installed)}"
    )
