"""Converge the throw-away Debian 12 target (gpu: false, internal CA), use the course through
HTTPS, converge again (no change), verify the server's settings, back up and restore, upgrade.
The tests run in file order and build on each other, like Molecule's sequence."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import time

import nbformat
import pytest
import requests
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
    assert content(client, "hello.txt") == "written before the backup"


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
