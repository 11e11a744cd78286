"""Bad input stops the deploy at the start, with a message that names what to fix, and before
anything on the server changes."""

from __future__ import annotations

import json

import yaml


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


def test_unsupported_operating_system(target):
    # The target is Debian 12; a supported list without it stands in for an unsupported OS
    # (no other distribution's image can be pulled here).
    only_ubuntu = json.dumps(
        {"preflight_supported_systems": [{"distribution": "Ubuntu", "version": "24.04"}]}
    )
    result = target.play("site.yml", "-e", only_ubuntu)
    assert_stopped_unchanged(
        result, "runs Debian 12", "which these roles do not support", "Supported: Ubuntu 24.04"
    )
