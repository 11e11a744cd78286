"""Bad input stops the deploy at the start, with a message that names what to fix, and before
anything on the server changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from deployctl import ANSIBLE_DIR, Result, ansible_tool


def assert_stopped_unchanged(result, *phrases: str) -> None:
    assert result.rc != 0, result.output[-3000:]
    for phrase in phrases:
        assert phrase in result.output, f"{phrase!r} not in:\n{result.output[-3000:]}"
    assert result.recap().get("changed", 0) == 0, result.output[-3000:]


def test_inventory_without_a_host(target, tmp_path):
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump({"course_servers": {"hosts": None}}))
    result = target.play("site.yml", inventory=tmp_path / "hosts.yml")
    assert result.rc != 0
    assert "has no host in the group course_servers" in result.output


def test_missing_vault_secret(target):
    inventory = target.write_inventory(vault=False)
    try:
        result = target.play("site.yml", inventory=inventory)
    finally:
        target.write_inventory()
    assert_stopped_unchanged(result, "vault_course_demo_password is not set", "vault.yml")


def test_invalid_course_file(target):
    course = target.course_src / "course.yml"
    good = course.read_text()
    data = yaml.safe_load(good)
    data["course"]["timezone"] = "Mars/Olympus_Mons"
    course.write_text(yaml.safe_dump(data))
    try:
        result = target.play("site.yml")
    finally:
        course.write_text(good)
    assert_stopped_unchanged(
        result,
        "course validate found problems",
        "course.timezone",
        "Mars/Olympus_Mons",
        "use an IANA name",
    )


def test_missing_lab_folder(target):
    course = target.course_src / "course.yml"
    good = course.read_text()
    data = yaml.safe_load(good)
    data["weeks"][0]["lab"] = "week01-missing-folder"
    course.write_text(yaml.safe_dump(data))
    try:
        result = target.play("site.yml")
    finally:
        course.write_text(good)
    assert_stopped_unchanged(result, "weeks[0].lab", "week01-missing-folder", "is missing")


# What `setup` reports on the systems preflight refuses (ansible_facts as Ansible caches them).
UNCONVERGED_SYSTEMS = {
    "ubuntu2204": {"distribution": "Ubuntu", "distribution_version": "22.04",
                   "distribution_major_version": "22", "distribution_release": "jammy"},
    "ubuntu2404": {"distribution": "Ubuntu", "distribution_version": "24.04",
                   "distribution_major_version": "24", "distribution_release": "noble"},
    "debian11": {"distribution": "Debian", "distribution_version": "11.11",
                 "distribution_major_version": "11", "distribution_release": "bullseye"},
}


@pytest.mark.parametrize("host", sorted(UNCONVERGED_SYSTEMS))
def test_an_operating_system_the_deploy_is_not_tested_on_is_refused(host, tmp_path):
    """Only Debian 12 is converged (the target above), so preflight refuses the rest. No
    Ubuntu image can be pulled here: site.yml runs against a host whose fact gathering reports
    what `setup` reports on that system (data/facts/canned_facts.py, Ansible's FACTS_MODULES
    setting); the host is the local machine, and no task may run on it."""
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"os_family": UNCONVERGED_SYSTEMS[host]["distribution"],
                                 "architecture": "x86_64", **UNCONVERGED_SYSTEMS[host]}))
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    (tmp_path / "hosts.yml").write_text(
        yaml.safe_dump({"course_servers": {"hosts": {host: local}}})
    )
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
        "ANSIBLE_LIBRARY": str(Path(__file__).parent / "data" / "facts"),
        "ANSIBLE_FACTS_MODULES": "canned_facts",
        "CANNED_FACTS": str(facts),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
    }
    p = subprocess.run(
        [ansible_tool("ansible-playbook"), "-i", str(tmp_path / "hosts.yml"), "site.yml"],
        cwd=ANSIBLE_DIR, env=env, text=True, capture_output=True, timeout=300,
    )
    seen = UNCONVERGED_SYSTEMS[host]
    assert_stopped_unchanged(
        Result(p.returncode, p.stdout + p.stderr),
        f"{host} runs {seen['distribution']} {seen['distribution_version']}, which these "
        "roles do not support",
        "converged and tested on Debian 12 only",
        "TASK [preflight : Stop when the server's operating system is not one the deploy is "
        "tested on]",
    )
    # the refusal is the first task on the host after its facts: nothing else ran there
    assert Result(p.returncode, p.stdout).recap() == {
        "ok": 1, "changed": 0, "unreachable": 0, "failed": 1, "skipped": 0, "rescued": 0,
        "ignored": 0,
    }, p.stdout[-3000:]
