"""Converge the throw-away Debian 12 target (gpu: false, internal CA), use the course through
HTTPS, converge again (no change), verify the server's settings, back up and restore, upgrade.
The tests run in file order and build on each other, like Molecule's sequence."""

from __future__ import annotations

import json

import pytest
import requests
from deployctl import DOMAIN, PASSWORD
from httpsclient import https_client

CADDY_ROOT = "/var/lib/caddy/.local/share/caddy/pki/authorities/local/root.crt"
UPGRADE_TAG = "deploytest-v2"


@pytest.fixture(scope="module")
def converged(target):
    result = target.play("site.yml", log="converge")
    assert result.rc == 0, result.output[-6000:]
    return result


@pytest.fixture(scope="module")
def ca_file(target, converged, tmp_path_factory):
    path = tmp_path_factory.mktemp("ca") / "root.crt"
    path.write_text(target.exec(f"cat {CADDY_ROOT}").stdout)
    return str(path)


def student(target, ca_file, name="student1"):
    client = https_client(target.ip, DOMAIN, ca_file)
    client.login(name, PASSWORD)
    assert client.logged_in(), f"{name} could not log in over HTTPS"
    return client


def volume_run(target, volume: str, script: str) -> str:
    return target.host_docker(
        "run", "--rm", "--network", "none", "-v", f"{volume}:/v", "course-base:bookworm",
        "sh", "-c", script,
    ).stdout


def test_first_converge_succeeds(converged):
    assert converged.recap()["failed"] == 0
    assert converged.recap()["changed"] > 0


def test_gpu_roles_are_skipped_with_gpu_false(target, converged):
    assert "nvidia_driver :" not in converged.output
    assert target.exec("test -e /etc/apt/sources.list.d/nvidia-cuda.sources",
                       check=False).returncode != 0


def test_student_logs_in_over_https_and_gets_a_server(target, ca_file):
    client = student(target, ca_file)
    client.start_server(timeout=300)
    r = client.put_file("hello.txt", "written before the backup")
    assert r.status_code in (200, 201), r.text
    assert client.get_file("hello.txt").json()["content"] == "written before the backup"


def test_http_redirects_to_https_with_hsts(target, ca_file):
    plain = requests.Session()
    plain.trust_env = False  # no proxy from the environment
    r = plain.get(f"http://{target.ip}/hub/login", headers={"Host": DOMAIN},
                  allow_redirects=False, timeout=30)
    assert r.status_code in (301, 308)
    assert r.headers["Location"].startswith(f"https://{DOMAIN}/")
    client = https_client(target.ip, DOMAIN, ca_file)
    r = client.s.get(f"https://{DOMAIN}/hub/health", timeout=30)
    assert r.status_code == 200
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_second_converge_changes_nothing(target, converged):
    result = target.play("site.yml", log="idempotence")
    assert result.rc == 0, result.output[-4000:]
    assert result.recap()["changed"] == 0, f"changed: {result.changed_tasks()}"


def test_firewall_allows_only_ssh_http_https(target, converged):
    rules = target.exec("nft list table inet course_filter").stdout
    assert "policy drop" in rules
    assert "tcp dport { 22, 80, 443 } accept" in rules
    assert target.exec("systemctl is-enabled nftables").stdout.strip() == "enabled"


def test_ssh_takes_keys_only(target, converged):
    config = target.exec("sshd -T").stdout.lower().splitlines()
    assert "passwordauthentication no" in config
    assert "kbdinteractiveauthentication no" in config
    assert "permitrootlogin without-password" in config  # sshd -T's name for prohibit-password
    assert "pubkeyauthentication yes" in config


def test_docker_daemon_settings(target, converged):
    daemon = json.loads(target.exec("cat /etc/docker/daemon.json").stdout)
    assert daemon["live-restore"] is True
    assert daemon["log-opts"] == {"max-size": "10m", "max-file": "5"}
    # the target's own engine runs with them
    info = target.exec("docker info --format '{{.LiveRestoreEnabled}}'").stdout.strip()
    assert info == "true"


def test_timers_are_active(target, converged):
    for timer in ("course-publish-labs.timer", "course-backup.timer", "apt-daily-upgrade.timer"):
        state = target.exec(f"systemctl is-active {timer}", check=False).stdout.strip()
        assert state == "active", timer
    upgrades = target.exec("cat /etc/apt/apt.conf.d/20auto-upgrades").stdout
    assert 'Unattended-Upgrade "1"' in upgrades


def test_secrets_and_settings_are_private(target, converged):
    env_mode = target.exec(f"stat -c %a {target.stack_dir}/.env").stdout.strip()
    assert env_mode == "600"
    modes = volume_run(target, f"{target.stack}-secrets", "stat -c '%a %n' /v/*").splitlines()
    assert modes and all(line.startswith("600 ") for line in modes), modes
    assert target.exec(f"stat -c %a {target.backup_dir}").stdout.strip() == "700"


def test_course_data_download_failure_is_reported_not_fatal(converged):
    # the test manifest names one data set at an address that cannot resolve
    assert "MISSING unreachable-set" in converged.output


def test_backup_and_restore_round_trip(target, ca_file):
    target.exec("systemctl start course-backup.service")
    backups = target.exec(f"ls {target.backup_dir}").stdout.split()
    assert len(backups) == 1, backups
    archives = target.exec(f"ls {target.backup_dir}/{backups[0]}").stdout.split()
    for volume in ("hub-data", "ngshare", "grading", "home-student1"):
        assert f"{target.stack}-{volume}.tar.gz" in archives, archives

    client = student(target, ca_file)
    assert client.server_api("DELETE", "contents/hello.txt").status_code == 204
    volume_run(target, f"{target.stack}-ngshare", "rm /v/ngshare.db")
    assert "ngshare.db" not in volume_run(target, f"{target.stack}-ngshare", "ls /v")

    result = target.play("restore.yml", log="restore")
    assert result.rc == 0, result.output[-4000:]

    assert "ngshare.db" in volume_run(target, f"{target.stack}-ngshare", "ls /v")
    client = student(target, ca_file)
    client.wait_ready(timeout=120)
    assert client.get_file("hello.txt").json()["content"] == "written before the backup"


def test_upgrade_keeps_data_and_next_server_runs_the_new_image(target, ca_file):
    client = student(target, ca_file)
    client.stop_server()
    target.write_course(student_image=f"course-student:{UPGRADE_TAG}")
    target.write_inventory(course_stack_image_tag=UPGRADE_TAG)
    try:
        result = target.play("site.yml", log="upgrade")
        assert result.rc == 0, result.output[-4000:]
        client = student(target, ca_file)
        client.start_server(timeout=300)
        assert client.get_file("hello.txt").json()["content"] == "written before the backup"
        image = target.host_docker(
            "inspect", "-f", "{{.Config.Image}}", f"{target.stack}-jupyter-student1",
        ).stdout.strip()
        assert image == f"course-student:{UPGRADE_TAG}"
        hub_image = target.host_docker("inspect", "-f", "{{.Config.Image}}",
                                       f"{target.stack}_hub_1").stdout.strip()
        assert hub_image == f"course-hub:{UPGRADE_TAG}"
    finally:
        for name in ("student", "hub", "proxy", "ngshare"):
            target.host_docker("rmi", f"course-{name}:{UPGRADE_TAG}", check=False)
