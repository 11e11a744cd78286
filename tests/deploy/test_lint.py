"""The playbooks pass ansible-lint's production profile and --syntax-check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from deployctl import ANSIBLE_DIR, ansible_tool


def run(tool: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "NO_COLOR": "1"}
    return subprocess.run([ansible_tool(tool), *args], cwd=ANSIBLE_DIR, env=env, text=True,
                          capture_output=True, timeout=900)


def test_playbooks_pass_syntax_check():
    r = run("ansible-playbook", "--syntax-check", "site.yml", "restore.yml")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ansible_lint_production_profile_is_clean():
    r = run("ansible-lint", "--profile", "production", "--offline", "site.yml", "restore.yml",
            "roles/")
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr[-5000:]
    assert "production" in r.stdout + r.stderr
