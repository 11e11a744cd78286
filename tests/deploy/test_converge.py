"""Converge the throw-away Debian 12 target (gpu: false, internal CA), use the course through
HTTPS, converge again (no change), verify the server's settings, back up and restore, upgrade.
The tests run in file order and build on each other, like Molecule's sequence."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time

import nbformat
import pytest
import requests
import yaml
from coursework import solved
from deployctl import DOMAIN, PASSWORD, RESULTS
from httpsclient import https_client
from moves import moved

CADDY_ROOT = "/var/lib/caddy/.local/share/caddy/pki/authorities/local/root.crt"
COURSE = "deploytest"  # the course id in data/course.yml
A1_POINTS = 20  # the A1 source's graded cells: 3 + 3 + 3 + 5 + 3 + 3


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


def content(client, path: str) -> str:
    r = client.get_file(path)
    assert r.ok, f"GET contents/{path}: {r.status_code} {r.text[:500]}\n{oauth_trail(client)}"
    return r.json()["content"]


def oauth_trail(client) -> str:
    """How the server's login went, hop by hop (its OAuth redirects through the hub): what a
    refused request needs to be understood."""
    r = client.s.get(f"{client.server_url}/lab", timeout=60)
    hops = [*r.history, r]
    lines = [f"  {h.status_code} {h.request.method} {h.url}" for h in hops]
    cookies = sorted(f"{c.name} (path {c.path})" for c in client.s.cookies)
    return "the server's login, hop by hop:\n" + "\n".join(lines) + f"\ncookies: {cookies}"


def student(target, ca_file, name="student1"):
    client = https_client(target.ip, DOMAIN, ca_file)
    client.login(name, PASSWORD)
    assert client.logged_in(), f"{name} could not log in over HTTPS"
    return client


def volume_run(target, volume: str, script: str) -> str:
    return target.host_docker(
        "run",
        "--rm",
        "--name",
        target.scratch_name("probe"),
        "--network",
        "none",
        "-v",
        f"{volume}:/v",
        "course-base:bookworm",
        "sh",
        "-c",
        script,
    ).stdout


def test_first_converge_succeeds(converged):
    assert converged.recap()["failed"] == 0
    assert converged.recap()["changed"] > 0


def test_gpu_roles_are_skipped_with_gpu_false(target, converged):
    assert "nvidia_driver :" not in converged.output
    assert (
        target.exec("test -e /etc/apt/sources.list.d/nvidia-cuda.sources", check=False).returncode
        != 0
    )


def test_student_logs_in_over_https_and_gets_a_server(target, ca_file):
    client = student(target, ca_file)
    client.start_server(timeout=300)
    # one origin per user (tls_wildcard_domain): the server on its own name, under the
    # wildcard certificate the client verifies
    assert client.server_url == f"https://student1.{DOMAIN}/user/student1"
    r = client.put_file("hello.txt", "written before the backup")
    assert r.status_code in (200, 201), r.text
    assert content(client, "hello.txt") == "written before the backup"


def test_http_redirects_to_https_with_hsts(target, ca_file):
    plain = requests.Session()
    plain.trust_env = False  # no proxy from the environment
    r = plain.get(
        f"http://{target.ip}/hub/login", headers={"Host": DOMAIN}, allow_redirects=False, timeout=30
    )
    assert r.status_code in (301, 308)
    assert r.headers["Location"].startswith(f"https://{DOMAIN}/")
    client = https_client(target.ip, DOMAIN, ca_file)
    r = client.s.get(f"https://{DOMAIN}/hub/health", timeout=30)
    assert r.status_code == 200
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")


# testssl.sh (Debian's package `testssl.sh`, command `testssl`): protocols, cipher categories,
# forward secrecy, server preferences, the certificate, the HTTP headers, the vulnerabilities.
TESTSSL_CHECKS = ["-p", "-s", "-f", "-P", "-S", "-h", "-U"]
VULNERABILITIES = [
    "heartbleed",
    "CCS",
    "ticketbleed",
    "ROBOT",
    "secure_renego",
    "secure_client_renego",
    "CRIME_TLS",
    "BREACH",
    "POODLE_SSL",
    "fallback_SCSV",
    "SWEET32",
    "FREAK",
    "DROWN",
    "LOGJAM",
    "BEAST",
    "LUCKY13",
    "RC4",
]
# testssl rates Caddy's internal CA's leaf certificate HIGH for what makes it an internal CA's:
# it lives 12 hours (Caddy renews it itself) and names no CRL or OCSP responder. An ACME
# certificate lives 90 days and names its CRL; none of this is about the TLS configuration.
INTERNAL_CA_CERT_FINDINGS = {"cert_expirationStatus", "cert_notAfter", "cert_revocation"}


def find_testssl() -> str:
    path = shutil.which("testssl") or shutil.which("testssl.sh")
    assert path, (
        "testssl is not installed: apt-get install testssl.sh (Debian's package; .ci/run "
        "installs it). The HTTPS check cannot run without it."
    )
    return path


def test_tls_passes_testssl(target, ca_file, tmp_path):
    """TLS 1.2 and 1.3 only, strong AEAD ciphers with forward secrecy, HSTS for a year, no
    known vulnerability: testssl.sh against the deployed Caddy (internal CA, trusted via
    --add-ca), reached by the course's name (SNI) at the target's address."""
    command = find_testssl()
    report = tmp_path / "testssl.json"
    args = [
        command,
        "--quiet",
        "--warnings",
        "off",
        "--color",
        "0",
        "--jsonfile",
        str(report),
        "--ip",
        target.ip,
        "--add-ca",
        ca_file,
        *TESTSSL_CHECKS,
        f"https://{DOMAIN}/hub/login",
    ]
    started = time.monotonic()
    run = subprocess.run(args, capture_output=True, text=True, timeout=900)
    took = time.monotonic() - started
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "testssl.txt").write_text(
        f"$ {' '.join(args[:1] + [shlex.quote(a) for a in args[1:]])}\n"
        f"# exit status {run.returncode}, {took:.0f} s\n{run.stdout}{run.stderr}"
    )
    said = f"(exit {run.returncode}):\n{run.stdout[-3000:]}{run.stderr[-3000:]}"
    assert report.exists(), f"testssl wrote no report {said}"
    findings = {f["id"]: f for f in json.loads(report.read_text())}
    assert "scanTime" in findings, f"testssl did not finish {said}"

    def finding(name: str) -> str:
        assert name in findings, f"testssl reported no {name}; see test-results/testssl.txt"
        return findings[name]["finding"]

    for old in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert finding(old) == "not offered", f"{old}: {finding(old)}"
    assert finding("TLS1_2") == "offered", finding("TLS1_2")
    assert finding("TLS1_3").startswith("offered"), finding("TLS1_3")
    # NULL, anonymous, export, LOW (DES, RC2, RC4), 3DES/IDEA, and obsolete CBC ciphers: none
    for weak in ("NULL", "aNULL", "EXPORT", "LOW", "3DES_IDEA", "AVERAGE"):
        found = finding(f"cipherlist_{weak}")
        assert found == "not offered", f"{weak} ciphers: {found}"
    assert finding("cipherlist_STRONG") == "offered"
    assert findings["PFS"]["severity"] == "OK", finding("PFS")
    assert findings["HSTS_time"]["severity"] == "OK", finding("HSTS_time")  # >= 180 days
    assert "31536000 seconds" in finding("HSTS_time")
    assert finding("cert_chain_of_trust").startswith("passed"), finding("cert_chain_of_trust")
    for vulnerability in VULNERABILITIES:
        assert findings.get(vulnerability, {}).get("severity") in ("OK", "INFO", "LOW"), (
            f"{vulnerability}: {findings.get(vulnerability)}"
        )
    serious = {
        name: f"{f['severity']}: {f['finding']}"
        for name, f in findings.items()
        if f["severity"] in ("HIGH", "CRITICAL") and name not in INTERNAL_CA_CERT_FINDINGS
    }
    assert not serious, f"testssl findings at HIGH or CRITICAL: {serious}"


def test_second_converge_changes_nothing(target, converged):
    result = target.play("site.yml", log="idempotence")
    assert result.rc == 0, result.output[-4000:]
    assert result.recap()["changed"] == 0, f"changed: {result.changed_tasks()}"
    assert ": fetched now" not in result.output  # every course data entry is present already
    manifest = yaml.safe_load((target.course_src / "labs" / "data-manifest.yml").read_text())
    assert f"{len(manifest['entries']) - 1} present, 0 fetched, 1 missing" in result.output


def test_deploy_check_shows_what_would_change_and_changes_nothing(target, converged):
    """make deploy-check (--check --diff) after a course file edit: exactly that file would
    change, the diff shows the edit, and the server keeps its copy."""
    course = target.course_src / "course.yml"
    good = course.read_text()
    course.write_text(good.replace("Deploy test course", "Deploy test course, renamed"))
    try:
        result = target.play("site.yml", "--check", "--diff", log="check")
    finally:
        course.write_text(good)
    assert result.rc == 0, result.output[-4000:]
    assert result.changed_tasks() == ["course_stack : Copy the course file"], result.output[-4000:]
    added = [ln for ln in result.output.splitlines() if ln.startswith("+") and "title:" in ln]
    assert added and "Deploy test course, renamed" in added[0], result.output[-4000:]
    on_server = target.exec(f"cat {target.stack_dir}/course/course.yml").stdout
    assert "renamed" not in on_server


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


def test_course_data_is_staged_from_the_mirror_and_a_missing_entry_is_a_warning(target, converged):
    # The data mirror (tests/content/tinydata.py) has every course entry; the test manifest
    # adds one the mirror lacks: the deploy finishes, names it and the labs that fall back.
    manifest = yaml.safe_load((target.course_src / "labs" / "data-manifest.yml").read_text())
    staged = [e for e in manifest["entries"] if e["name"] != target.UNREACHABLE["name"]]
    for entry in staged:
        assert f"{entry['name']}: fetched now, " in converged.output, converged.output[-6000:]
        data_dir = target.settings()["course_stack_data_dir"]
        marker = f"{data_dir}/{entry['target']}/{entry['marker']}"
        assert target.exec(f"test -f {marker}", check=False).returncode == 0, f"no {marker}"
    assert "WARNING: MISSING unreachable-set (the mirror has no " in converged.output
    assert "labs that fall back to offline data: week01-pytorch-basics" in converged.output
    assert f"0 present, {len(staged)} fetched, 1 missing" in converged.output


# Files a home holds that a backup must not lose or change: names like SQLite's side files
# (a student's lab-journal was once left out), symlinks (one dangling), odd modes, a file of
# 64 MiB and a bit. Owned by the notebook user, as the student's own are.
AWKWARD_HOME = (
    "mkdir -p /v/awkward/locked && cd /v/awkward && "
    "printf 'week 3: what I tried\\n' > lab-journal && printf x > x-wal && printf s > notes-shm && "
    "head -c 67108871 /dev/urandom > big.bin && ln -s lab-journal latest && "
    "ln -s /nowhere/at/all dangling && printf '#!/bin/sh\\n' > run.sh && chmod 751 run.sh && "
    "printf p > private.txt && chmod 600 private.txt && printf in > locked/inside.txt && "
    "chmod 700 locked && chown -hR 1000:1000 /v/awkward"
)
# What must come back: each entry's kind, mode, owner, link target and size; each file's hash.
AWKWARD_MANIFEST = (
    "cd /v/awkward && find . -printf '%p %y %m %U:%G %l %s\\n' | sort && "
    "find . -type f -exec sha256sum {} + | sort"
)


def test_backup_and_restore_round_trip(target, ca_file):
    home = f"{target.stack}-home-student1"
    volume_run(target, home, AWKWARD_HOME)
    awkward = volume_run(target, home, AWKWARD_MANIFEST)
    assert "./lab-journal f 644 1000:1000" in awkward and "./big.bin f" in awkward, awkward
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
    volume_run(target, home, "rm -r /v/awkward")

    result = target.play("restore.yml", log="restore")
    assert result.rc == 0, result.output[-4000:]

    assert "ngshare.db" in volume_run(target, f"{target.stack}-ngshare", "ls /v")
    client = student(target, ca_file)
    client.wait_ready(timeout=120)
    assert content(client, "hello.txt") == "written before the backup"
    assert volume_run(target, home, AWKWARD_MANIFEST) == awkward  # byte for byte


def test_a_running_server_finds_the_hub_at_its_new_address(target, ca_file):
    """A hub restart can bring the hub back at another address on the stack's network
    (restore.yml stops and starts the hub and ngshare together, and they can swap). Students'
    running servers must follow it: they once kept the old address for ten minutes (c-ares's
    cache of Docker's DNS answers), so logging into them failed with 403 (docs/testing.md).
    The move is made certain (tests/moves.py)."""
    client = student(target, ca_file)
    assert content(client, "hello.txt") == "written before the backup"  # the server asked the hub
    with moved(f"{target.stack}_hub_1", f"{target.stack}-net", alias="hub"):
        target.exec(
            f"curl -fsS --retry 180 --retry-delay 1 --retry-all-errors -o /dev/null "
            f"http://{target.gateway}:{target.http_port}/hub/health"
        )
        # Right after the restart a login can still meet the hub's old record in Docker's DNS
        # for a moment (seen: one 500 on /oauth_callback, a second after the hub started); the
        # bug was ten minutes of it. So: in within a minute.
        deadline = time.monotonic() + 60
        while True:
            client = student(target, ca_file)
            try:
                assert content(client, "hello.txt") == "written before the backup"
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)


def staff(target, *args: str) -> str:
    """`course` as staff run it on the server: the role's wrapper around the hub container."""
    r = target.exec("course " + " ".join(shlex.quote(a) for a in args), check=False)
    assert r.returncode == 0, f"course {' '.join(args)}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout


def in_server(target, user: str, script: str) -> str:
    """A command in the user's server, as they would type it in its terminal."""
    return target.host_docker(
        "exec", f"{target.stack}-jupyter-{user}", "bash", "-lc", f"cd /home/jovyan && {script}"
    ).stdout


def ngshare_submissions(target) -> list[dict]:
    """ngshare's own record of A1's submissions, asked by the hub with the course-admin token."""
    script = (
        "import json; from hub.ngshare import Ngshare; "
        f"print(json.dumps(Ngshare.from_env().submissions({COURSE!r}, 'A1')))"
    )
    out = target.host_docker("exec", f"{target.stack}_hub_1", "python", "-c", script).stdout
    return json.loads(out.strip().splitlines()[-1])


def gradebook_scores(target, image: str) -> dict[str, float]:
    """A1's scores in nbgrader's gradebook, in the grading volume."""
    script = (
        "import json\nfrom nbgrader.api import Gradebook\n"
        f"with Gradebook('sqlite:////g/gradebook.db', {COURSE!r}) as gb:\n"
        "    print(json.dumps({s.student_id: s.score for s in "
        "gb.find_assignment('A1').submissions}))"
    )
    out = target.host_docker(
        "run",
        "--rm",
        "--name",
        target.scratch_name("gradebook"),
        "--network",
        "none",
        "--user",
        "1000",
        "-v",
        f"{target.stack}-grading:/g",
        "--entrypoint",
        "python",
        image,
        "-c",
        script,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_upgrade_keeps_data_and_next_server_runs_the_new_image(target, ca_file):
    # Before: a student's file (hello.txt, from the tests above), a submission and a grade.
    client = student(target, ca_file)
    client.start_server(timeout=300)
    staff(target, "release", "A1")
    in_server(target, "student1", f"nbgrader fetch_assignment A1 --course {COURSE}")
    notebook = solved(content(client, "A1/A1.ipynb"))
    assert client.put_file("A1/A1.ipynb", notebook).status_code in (200, 201)
    in_server(target, "student1", f"nbgrader submit A1 --course {COURSE}")
    staff(target, "collect", "A1")
    staff(target, "autograde", "A1", "--cell-timeout", "120")
    submissions = ngshare_submissions(target)
    assert [s["student_id"] for s in submissions] == ["student1"], submissions
    scores = gradebook_scores(target, f"course-student:{target.image_tag}")
    assert scores == {"student1": A1_POINTS}, scores

    # The upgrade: a new image version, deployed the way docs/deploy.md says.
    client.stop_server()
    target.write_course(image_tag=target.upgrade_tag)
    target.write_inventory(course_stack_image_tag=target.upgrade_tag)
    result = target.play("site.yml", log="upgrade")
    assert result.rc == 0, result.output[-4000:]

    # After: the services and the student's next server run the new images...
    for service in ("hub", "ngshare", "proxy"):
        image = target.host_docker(
            "inspect", "-f", "{{.Config.Image}}", f"{target.stack}_{service}_1"
        ).stdout.strip()
        assert image == f"course-{service}:{target.upgrade_tag}", service
    client = student(target, ca_file)
    client.start_server(timeout=300)
    image = target.host_docker(
        "inspect", "-f", "{{.Config.Image}}", f"{target.stack}-jupyter-student1"
    ).stdout.strip()
    assert image == f"course-student:{target.upgrade_tag}"
    # ...and everything is still there: the student's files, the submission, the grade.
    assert content(client, "hello.txt") == "written before the backup"
    kept = content(client, "A1/A1.ipynb")
    assert nbformat.writes(nbformat.from_dict(kept)) == notebook
    assert ngshare_submissions(target) == submissions
    assert gradebook_scores(target, f"course-student:{target.upgrade_tag}") == scores


def as_staff(target, folder, *args: str) -> subprocess.CompletedProcess:
    """`sudo course ...` typed by the admin user in `folder` on the server."""
    line = shlex.join(["sudo", "course", *args])
    return target.exec(f"su - admin -c {shlex.quote(f'cd {folder} && {line}')}", check=False)


def test_every_course_command_runs_on_the_server(target):
    """`sudo course` for each subcommand on the deployed server (after the upgrade test's A1
    cycle: A1 released, student1's submission collected and graded), the happy path and a bad
    input; the reports of `grades` and `similarity` land in the caller's --out, owned by them.
    (The stack's engine is this machine's and the scratch folder has the same path on both
    sides, so the files the hub writes through it are the target's too: deployctl.py.)"""
    folder = target.scratch / "staff"
    folder.mkdir()
    uid = int(target.exec("id -u admin").stdout)
    os.chown(folder, uid, uid)

    def ok(*args: str) -> str:
        r = as_staff(target, folder, *args)
        text = r.stdout + r.stderr
        assert r.returncode == 0 and "Traceback" not in text, f"course {args}:\n{text[-3000:]}"
        return text

    def refused(code: int, message: str, *args: str) -> None:
        r = as_staff(target, folder, *args)
        text = r.stdout + r.stderr
        assert r.returncode == code and message in text and "Traceback" not in text, text[-3000:]

    assert f"({COURSE})" in ok("validate")
    assert "\topen\t" in ok("links")
    assert "nothing to change" in ok("roster", "diff")
    assert "nothing to change" in ok("roster", "sync")
    published = ok("publish-labs")
    assert "released weeks" in published or "published" in published, published
    assert "A1 was already released" in ok("release", "A1")
    refused(1, "no assignment 'A9'; valid:", "release", "A9")
    assert "1 students submitted" in ok("collect", "A1")
    refused(1, "no assignment 'A9'", "collect", "A9")
    refused(1, "nobody: not a student on the roster", "autograde", "A1", "--student", "nobody")
    assert "feedback released for 1 students: student1" in ok("feedback", "A1")
    assert "A1/student1: due 2030-07-02T18:30" in ok(
        "extend", "A1", "student1", "--until", "2030-07-02T18:30")
    refused(1, "nobody: not a student on the roster",
            "extend", "A1", "nobody", "--until", "2030-07-02T18:30")

    ok("grades", "--out", "out")
    grades = folder / "out" / "exports" / "grades.csv"
    assert "student1" in grades.read_text() and grades.stat().st_uid == uid
    # one submission: nothing to pair, but the report runs (copydetect is in the image)
    assert "0 pair(s) compared" in ok("similarity", "A1", "--out", "out")
    report = folder / "out" / "A1"
    assert (report / "A1-similarity.csv").read_text().startswith("student_a,student_b,")
    assert "nothing to compare" in (report / "A1-similarity.html").read_text()
    assert (report / "A1-similarity.html").stat().st_uid == uid
    refused(1, "no assignment 'A9'", "similarity", "A9")


def token_works(target, ca_file, token: str) -> bool:
    """A student's API token lives only in the hub's database (not in the roster, not in the
    secrets): it works after a restore only if the database came back with its rows."""
    r = https_client(target.ip, DOMAIN, ca_file).s.get(
        f"https://{DOMAIN}/hub/api/user", headers={"Authorization": f"token {token}"}, timeout=30
    )
    return r.status_code == 200 and r.json()["name"] == "student1"


def test_replace_restore_brings_the_databases_back_with_their_rows(target, ca_file):
    """After the upgrade: the hub's, ngshare's and the gradebook's databases are lost, a stray
    file appears; restore.yml in `replace` mode makes each volume the backup again, rows and all."""
    client = student(target, ca_file)
    token = client.new_token("survives a restore")
    submissions = ngshare_submissions(target)
    image = f"course-student:{target.upgrade_tag}"
    scores = gradebook_scores(target, image)
    assert [s["student_id"] for s in submissions] == ["student1"] and scores, (submissions, scores)
    target.exec("systemctl start course-backup.service")

    stack = target.stack
    volume_run(target, f"{stack}-grading", "rm /v/gradebook.db && echo stray > /v/after-backup.txt")
    volume_run(target, f"{stack}-ngshare", "rm /v/ngshare.db")
    volume_run(target, f"{stack}-hub-data", "rm /v/jupyterhub.sqlite")
    volumes = [f"{stack}-grading", f"{stack}-ngshare", f"{stack}-hub-data"]
    result = target.play(
        "restore.yml",
        "-e", json.dumps({"backup_restore_volumes": volumes}),
        "-e", "backup_restore_mode=replace",
        log="restore-replace",
    )
    assert result.rc == 0, result.output[-4000:]

    assert "after-backup.txt" not in volume_run(target, f"{stack}-grading", "ls /v")
    assert gradebook_scores(target, image) == scores
    assert ngshare_submissions(target) == submissions
    assert token_works(target, ca_file, token)
