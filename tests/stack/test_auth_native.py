"""auth.kind native for real: NativeAuthenticator in the hub container, through the proxy. Roster
users sign up themselves (no approval queue), nobody else can, and passwords must be strong."""

from __future__ import annotations

import html

import pytest
from authstack import auth_stack, wait_for_hub_user
from hubclient import HubClient

pytestmark = pytest.mark.docker

STRONG = "correct-horse-battery-staple-42"


@pytest.fixture(scope="module")
def native(request, tmp_path_factory):
    auth = {"kind": "native", "native": {"min_password_length": 12, "failed_logins_before_lock": 3}}
    with auth_stack(request, tmp_path_factory, "native", auth) as stack:
        wait_for_hub_user(stack, "student1")
        yield stack


def sign_up(stack, username: str, password: str, confirmation: str | None = None):
    client = HubClient(stack.url)
    form = client.s.get(f"{stack.url}/hub/signup", timeout=30)
    assert form.status_code == 200
    xsrf = client.s.cookies.get("_xsrf", path="/hub/") or client.s.cookies.get("_xsrf")
    r = client.s.post(
        f"{stack.url}/hub/signup",
        data={
            "username": username,
            "signup_password": password,
            "signup_password_confirmation": password if confirmation is None else confirmation,
            "_xsrf": xsrf,
        },
        timeout=30,
    )
    return r.status_code, html.unescape(r.text)


def test_roster_user_signs_up_and_logs_in_at_once(native):
    status, page = sign_up(native, "student1", STRONG)
    assert status == 200 and "The signup was successful" in page
    client = HubClient(native.url)
    client.login("student1", STRONG)
    assert client.logged_in()
    assert client.api("GET", "/user").json()["name"] == "student1"


def test_wrong_password_fails(native):
    sign_up(native, "student2", STRONG)
    client = HubClient(native.url)
    r = client.login("student2", STRONG + "x")
    assert not client.logged_in()
    assert "Invalid username or password" in r.text


def test_name_not_on_the_roster_cannot_sign_up(native):
    status, page = sign_up(native, "mallory", STRONG)
    assert status == 403
    assert "'mallory' is not on the roster" in page
    client = HubClient(native.url)
    client.login("mallory", STRONG)
    assert not client.logged_in()


def test_weak_passwords_are_refused(native):
    for weak in ("short-pw1", "qwertyqwerty"):  # too short; on the common-passwords list
        status, page = sign_up(native, "student3", weak)
        assert status == 200 and "at least 12 characters and is not too common" in page
        client = HubClient(native.url)
        client.login("student3", weak)
        assert not client.logged_in()


def test_a_roster_name_cannot_be_taken_twice(native):
    sign_up(native, "student4", STRONG)
    status, page = sign_up(native, "student4", STRONG + "-mine")
    assert "already in use" in page
    client = HubClient(native.url)
    client.login("student4", STRONG + "-mine")
    assert not client.logged_in()


def test_repeated_failures_lock_the_account(native):
    sign_up(native, "student5", STRONG)
    for _ in range(3):
        HubClient(native.url).login("student5", "wrong-password-123")
    client = HubClient(native.url)
    client.login("student5", STRONG)
    assert not client.logged_in()  # locked for lock_seconds, even with the right password


def test_no_admin_approval_queue(native):
    r = HubClient(native.url).s.get(f"{native.url}/hub/login", timeout=30)
    assert "Signup" in r.text or "signup" in r.text
    # every account that exists was approved at sign-up: nothing waits for an admin
    out = native.exec(
        f"{native.name}_hub_1",
        "python",
        "-c",
        (
            "import sqlite3; db = sqlite3.connect('/srv/jupyterhub/data/jupyterhub.sqlite');"
            "print(db.execute('select count(*) from users_info where not is_authorized')"
            ".fetchone()[0])"
        ),
    ).stdout.strip()
    assert out == "0"
