"""Hostile requests through the proxy, the way a browser or a script on the internet sends them:
no credentials, a student's own API token on staff and admin endpoints, path traversal in file
names given to ngshare and in nbgitpuller's targetpath. Every answer is a refusal with a status
below 500, no traceback and no secret in it; afterwards nothing was written where it must not
be, and the services still answer. Each test counts its cases (tests/hostile.py).

(A student's server token from inside a container: test_hardening.py. Oversized uploads:
test_assignments.py. Malformed notebooks for grading: test_assignments.py's A1 cycle.)

Users: student6 (API token, and its server for nbgitpuller).
"""

from __future__ import annotations

import base64
import json

import pytest
import requests
from coursework import wait_for_roster
from hostile import tried
from hubclient import HubClient

from hub.ngshare import Ngshare

pytestmark = pytest.mark.docker

COURSE = "dl101"
ASSIGNMENT = "hostile1"
USER = "student6"


@pytest.fixture(scope="module")
def secrets_of(stack) -> list[str]:
    return [
        stack.secret(n)
        for n in ("cookie_secret", "proxy_token", "ngshare_token", "course_admin_token")
    ]


def clean(r: requests.Response, secrets: list[str]) -> None:
    """Nothing crashed (no 5xx, no traceback) and nothing leaked (no secret in the answer)."""
    assert r.status_code < 500, (r.request.method, r.url, r.status_code, r.text[:300])
    assert "Traceback" not in r.text, (r.url, r.text[:500])
    assert not any(s in r.text for s in secrets), r.url


@pytest.fixture(scope="module")
def student_token(stack) -> str:
    client = HubClient(stack.url)
    client.login(USER, stack.password, next_url="/hub/home")
    return client.new_token("hostile")


# -- no credentials -------------------------------------------------------------------------------

ANONYMOUS = [
    ("GET", "/hub/api/users"),
    ("GET", "/hub/api/user"),
    ("POST", "/hub/api/users/student1/server"),
    ("DELETE", "/hub/api/users/student1/server"),
    ("POST", "/hub/api/users/student1/tokens"),
    ("GET", "/hub/api/proxy"),
    ("GET", "/hub/api/groups"),
    ("POST", "/hub/api/shutdown"),
    ("GET", "/hub/metrics"),
    ("GET", "/hub/home"),
    ("GET", "/hub/admin"),
    ("GET", "/hub/token"),
    ("GET", "/hub/spawn"),
    ("GET", "/hub/course/week/1"),
    ("GET", "/hub/user/student1/lab"),
    ("GET", "/user/student1/lab"),
    ("GET", "/user/student1/api/contents"),
    ("POST", "/user/student1/api/kernels"),
    ("GET", "/user/student1/git-pull?repo=x"),
    ("GET", "/services/ngshare/courses"),
    ("GET", f"/services/ngshare/students/{COURSE}"),
    ("POST", f"/services/ngshare/submission/{COURSE}/A1"),
    ("GET", "/services/ngshare/initialize-Data6ase?action=dump"),
    ("POST", "/hub/api/oauth2/token"),
    ("GET", "/hub/api/oauth2/authorize?client_id=x"),
]


@pytest.mark.parametrize("auth", [None, "token not-a-real-token", "Bearer " + "0" * 64])
def test_without_valid_credentials_everything_is_refused(stack, secrets_of, auth):
    session = requests.Session()  # no cookies
    headers = {"Authorization": auth} if auth else {}
    for method, path in ANONYMOUS:
        r = session.request(
            method, f"{stack.url}{path}", headers=headers, allow_redirects=False, timeout=30
        )
        clean(r, secrets_of)
        assert r.status_code in (301, 302, 303, 400, 401, 403, 404), (method, path, r.status_code)
        if r.status_code in (301, 302, 303):
            assert "/hub/" in r.headers["Location"], (method, path, r.headers["Location"])
        assert not (r.status_code == 200), (method, path)
    tried("API: requests without valid credentials", len(ANONYMOUS))


# -- a student's own API token on staff and admin endpoints ---------------------------------------

HUB_STAFF = [
    ("GET", "/users"),
    ("GET", "/users/student1"),
    ("GET", "/users/instructor"),
    ("POST", "/users/student1/server"),
    ("DELETE", "/users/student1/server"),
    ("POST", "/users/student1/tokens"),
    ("GET", "/users/student1/tokens"),
    ("PATCH", f"/users/{USER}"),
    ("POST", "/users/mallory"),
    ("DELETE", "/users/student1"),
    ("GET", "/groups"),
    ("GET", "/groups/staff"),
    ("POST", "/groups/staff/users"),
    ("DELETE", "/groups/students/users"),
    ("GET", "/proxy"),
    ("POST", "/proxy"),
    ("GET", "/services"),
    ("POST", "/shutdown"),
    ("POST", "/users/student1/activity"),
    ("POST", "/users/student1/servers/x"),
    ("GET", "/roles"),
]
NGSHARE_STAFF = [
    ("POST", "course/evil101"),
    ("DELETE", f"course/{COURSE}"),
    ("POST", f"instructor/{COURSE}/{USER}"),
    ("DELETE", f"instructor/{COURSE}/instructor"),
    ("POST", f"student/{COURSE}/mallory"),
    ("DELETE", f"student/{COURSE}/student1"),
    ("GET", f"student/{COURSE}/student1"),
    ("GET", f"students/{COURSE}"),
    ("POST", f"students/{COURSE}"),
    ("POST", f"assignment/{COURSE}/X9"),
    ("DELETE", f"assignment/{COURSE}/{ASSIGNMENT}"),
    ("GET", f"submissions/{COURSE}/{ASSIGNMENT}"),
    ("GET", f"submissions/{COURSE}/{ASSIGNMENT}/student1"),
    ("GET", f"submission/{COURSE}/{ASSIGNMENT}/student1"),
    ("POST", f"feedback/{COURSE}/{ASSIGNMENT}/student1"),
    ("GET", f"feedback/{COURSE}/{ASSIGNMENT}/student1?timestamp=x"),
    ("GET", "initialize-Data6ase?action=clear"),
]


def test_a_students_api_token_gets_403_on_staff_and_admin_endpoints(
    stack, secrets_of, student_token, admin
):
    headers = {"Authorization": f"token {student_token}"}
    body = {"PATCH": {"admin": True}, "POST": {"users": [USER]}}
    for method, path in HUB_STAFF:
        r = requests.request(
            method, f"{stack.url}/hub/api{path}", headers=headers, json=body.get(method), timeout=30
        )
        clean(r, secrets_of)
        assert r.status_code in (403, 404), (method, path, r.status_code, r.text[:200])
    for method, path in NGSHARE_STAFF:
        r = requests.request(
            method,
            f"{stack.url}/services/ngshare/{path}",
            headers=headers,
            data={"files": "[]"} if method == "POST" else None,
            timeout=30,
        )
        clean(r, secrets_of)
        assert r.status_code == 403, (method, path, r.status_code, r.text[:200])
    tried("API: student token on hub staff/admin endpoints", len(HUB_STAFF))
    tried("API: student token on ngshare staff/admin endpoints", len(NGSHARE_STAFF))
    # positive controls, and nothing changed
    me = requests.get(f"{stack.url}/hub/api/user", headers=headers, timeout=30).json()
    assert me["name"] == USER and not me["admin"] and "staff" not in me["groups"]
    assert COURSE in admin.courses() and "mallory" not in admin.students(COURSE)
    assert set(admin.instructors(COURSE)) == {"instructor", "ta1", "ta2"}


# -- path traversal in ngshare file names ---------------------------------------------------------


@pytest.fixture(scope="module")
def admin(stack) -> Ngshare:
    share = Ngshare(f"{stack.url}/services/ngshare", stack.secret("course_admin_token"))
    wait_for_roster(share, COURSE, {USER})
    if ASSIGNMENT not in share.assignments(COURSE):
        share.post(
            f"assignment/{COURSE}/{ASSIGNMENT}",
            files=json.dumps(
                [{"path": f"{ASSIGNMENT}.ipynb", "content": base64.b64encode(b"{}").decode()}]
            ),
        )
    return share


TRAVERSAL = [
    "../../x",
    "../x",
    "..",
    ".",
    "",
    "/etc/cron.d/x",
    "/x",
    "a/../../x",
    "a/../x",
    "./x",
    "x/..",
    "x/",
    "a//b",
    "~/x",
    "x\x00.ipynb",
    "a\nb",
    "x" * 300,
    "d/" + "y" * 300,
    "\u202ex",
]


def test_path_traversal_in_ngshare_file_names_is_refused(stack, secrets_of, student_token, admin):
    ngshare = f"{stack.name}_ngshare_1"
    stack.exec(ngshare, "touch", "/tmp/before-hostile")
    headers = {"Authorization": f"token {student_token}"}
    outcomes = {}
    for name in TRAVERSAL:
        files = [{"path": name, "content": base64.b64encode(b"pwned").decode()}]
        r = requests.post(
            f"{stack.url}/services/ngshare/submission/{COURSE}/{ASSIGNMENT}",
            headers=headers,
            data={"files": json.dumps(files)},
            timeout=30,
        )
        clean(r, secrets_of)
        outcomes[name] = (r.status_code, r.json().get("message"))
    tried("ngshare: traversal and bad file names", len(TRAVERSAL))
    accepted = {n: o for n, o in outcomes.items() if o[0] == 200}
    # '\u202e' (right-to-left override) is a legal, if confusing, name: stored under a random
    # name like every file, and written inside the submission folder by collect
    assert set(accepted) <= {"\u202ex", "a//b", "~/x"}, outcomes
    assert all(o[0] == 400 for n, o in outcomes.items() if n not in accepted), outcomes
    # nothing was written outside ngshare's storage (or anywhere but its database and files)
    written = stack.exec(
        ngshare,
        "sh",
        "-c",
        "find / -newer /tmp/before-hostile -type f "
        "-not -path '/proc/*' -not -path '/sys/*' 2>/dev/null; true",
    ).stdout.split()
    outside = [p for p in written if not p.startswith("/srv/ngshare/")]
    assert outside == [], outside
    # the accepted names were stored, under ngshare's own random names
    stored = [p for p in written if p.startswith("/srv/ngshare/files/")]
    assert len(stored) == len(accepted), (stored, accepted)
    assert (
        "pwned"
        not in stack.exec(
            ngshare, "sh", "-c", "cat /tmp/x /x /etc/cron.d/x 2>/dev/null || true"
        ).stdout
    )


def test_a_malformed_upload_is_a_400_not_a_crash(stack, secrets_of, student_token, admin):
    headers = {"Authorization": f"token {student_token}"}
    bodies = [
        "not json",
        "{}",
        '{"path": "x"}',
        "[[1, 2]]",
        '[{"path": "x"}]',
        '[{"path": 1, "content": ""}]',
        '[{"path": "x", "content": "%%%"}]',
        "[" * 50_000,
        '[{"path": "a", "content": ""}, {"path": "a/b", "content": ""}]',
    ]
    for body in bodies:
        r = requests.post(
            f"{stack.url}/services/ngshare/submission/{COURSE}/{ASSIGNMENT}",
            headers=headers,
            data={"files": body},
            timeout=30,
        )
        clean(r, secrets_of)
        assert r.status_code == 400, (body[:40], r.status_code, r.text[:200])
    tried("ngshare: malformed upload bodies", len(bodies))
    assert COURSE in admin.courses()  # still serving


# -- nbgitpuller ----------------------------------------------------------------------------------


def test_nbgitpuller_pulls_only_the_labs_and_only_into_the_home(stack, secrets_of):
    client = HubClient(stack.url)
    client.login(USER, stack.password, next_url="/hub/home")
    client.start_server()
    container = stack.container_name(USER)
    labs = "file:///srv/labs.git"
    refused = [
        (labs, "../../tmp/evil"),
        (labs, "/tmp/abs"),
        (labs, ".."),
        (labs, "labs/../../tmp/x"),
        (labs, ".local/share/jupyter/kernels/python3"),
        (labs, ".jupyter"),
        (labs, ".ipython/profile_default/startup"),
        (labs, ""),
        (f"http://{stack.container_name('student7')}:9000/evil.git", "labs"),
        ("https://github.com/jupyterhub/nbgitpuller", "nbgitpuller"),
        ("file:///etc", "etc"),
        ("--upload-pack=touch /tmp/pwned", "x"),
    ]
    for repo, target in refused:
        for endpoint in ("git-pull/api", "git-pull"):
            r = client.s.get(
                f"{client.server_url}/{endpoint}",
                timeout=120,
                params={"repo": repo, "branch": "main", "targetpath": target},
            )
            clean(r, secrets_of)
            assert r.status_code == 403, (endpoint, repo, target, r.status_code, r.text[-300:])
    tried("nbgitpuller: foreign repo or targetpath outside the home", 2 * len(refused))
    leftovers = stack.exec(
        container,
        "sh",
        "-c",
        "ls -d /tmp/evil /tmp/abs /tmp/x /tmp/pwned /home/jovyan/.jupyter "
        "/home/jovyan/.local/share/jupyter/kernels 2>/dev/null || true",
    )
    assert leftovers.stdout.split() == [], leftovers.stdout
    # the course's own link still works: the labs land in ~/labs
    r = client.s.get(
        f"{client.server_url}/git-pull/api",
        timeout=300,
        params={"repo": labs, "branch": "main", "targetpath": "labs"},
    )
    assert r.status_code == 200 and '"phase": "finished"' in r.text, r.text[-500:]
    assert "week01" in stack.exec(container, "ls", "/home/jovyan/labs").stdout
