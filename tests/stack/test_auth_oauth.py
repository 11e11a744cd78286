"""auth.kind oauth for real: OAuthenticator's GenericOAuthenticator in the hub container, a full
OIDC authorization code flow (PKCE, state cookie, code -> token -> userinfo) against a throw-away
identity provider (fake_idp.py) on the stack's network, through the proxy like a browser."""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from authstack import auth_stack, free_port, start_idp, wait_for_hub_user
from hubclient import HubClient

pytestmark = pytest.mark.docker

CLIENT_ID = "course-hub-test"
CLIENT_SECRET = "s3cret-" + "x" * 24
USERS = {
    # the username claim carries the university domain; the course strips it (email_domain)
    "student1": {
        "password": "pw-student1",
        "claims": {"sub": "u-1", "preferred_username": "Student1@uni.example.edu"},
    },
    "outsider": {
        "password": "pw-outsider",
        "claims": {"sub": "u-9", "preferred_username": "outsider@uni.example.edu"},
    },
}


@pytest.fixture(scope="module")
def oauth(request, tmp_path_factory):
    port = free_port()
    browser_side = f"http://127.0.0.1:{port}"
    hub_side = f"http://idp:{port}"
    auth = {
        "kind": "oauth",
        "oauth": {
            "client_id": CLIENT_ID,
            "authorize_url": f"{browser_side}/authorize",
            "token_url": f"{hub_side}/token",
            "userdata_url": f"{hub_side}/userinfo",
            "username_claim": "preferred_username",
            "email_domain": "uni.example.edu",
            "login_service": "Test University",
        },
    }
    with auth_stack(
        request, tmp_path_factory, "oauth", auth, env={"OAUTH_CLIENT_SECRET": CLIENT_SECRET}
    ) as stack:
        start_idp(
            stack,
            {
                "issuer": browser_side,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uri": f"{stack.url}/hub/oauth_callback",
                "users": USERS,
            },
            tmp_path_factory.mktemp("idp"),
            port,
        )
        wait_for_hub_user(stack, "student1")
        yield stack


def sign_in(stack, login: str, password: str, tamper_state: bool = False):
    """A browser's OIDC sign-in: the hub's login redirect, the IdP's form, the hub's callback.
    Returns the client and the hub's answer to the callback."""
    client = HubClient(stack.url)
    start = client.s.get(f"{stack.url}/hub/oauth_login", allow_redirects=False, timeout=30)
    assert start.status_code == 302, start.text
    authorize = start.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]  # PKCE
    form = client.s.get(authorize, timeout=30)
    assert "Sign in (test identity provider)" in form.text
    back = client.s.post(
        authorize, data={"username": login, "password": password}, allow_redirects=False, timeout=30
    )
    assert back.status_code == 302, back.text
    callback = back.headers["Location"]
    if tamper_state:
        parts = urlsplit(callback)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        forged = base64.urlsafe_b64encode(json.dumps({"state_id": "f" * 32}).encode()).decode()
        q["state"] = forged
        callback = urlunsplit(parts._replace(query=urlencode(q)))
    answer = client.s.get(callback, allow_redirects=False, timeout=60)
    return client, answer


def test_login_page_offers_the_university_sign_in(oauth):
    client = HubClient(oauth.url)
    page = client.s.get(f"{oauth.url}/hub/login", timeout=30)
    assert "Test University" in page.text


def test_roster_user_signs_in_with_the_claim_normalised(oauth):
    client, answer = sign_in(oauth, "student1", "pw-student1")
    assert answer.status_code == 302, answer.text
    assert client.logged_in()
    me = client.api("GET", "/user")
    assert me.status_code == 200 and me.json()["name"] == "student1"
    assert "students" in me.json()["groups"]


def test_idp_user_not_on_the_roster_gets_a_clear_refusal(oauth):
    client, answer = sign_in(oauth, "outsider", "pw-outsider")
    assert answer.status_code == 403
    page = html.unescape(answer.text)  # what the browser shows
    assert "'outsider' is not on the roster of Deep Learning" in page
    assert "ask the instructor" in page
    assert not client.logged_in()
    assert client.api("GET", "/user").status_code in (401, 403)


def test_tampered_state_is_refused(oauth):
    client, answer = sign_in(oauth, "student1", "pw-student1", tamper_state=True)
    assert answer.status_code == 400
    assert "OAuth state mismatch" in answer.text
    assert not client.logged_in()


def test_wrong_idp_password_never_reaches_the_hub(oauth):
    client = HubClient(oauth.url)
    start = client.s.get(f"{oauth.url}/hub/oauth_login", allow_redirects=False, timeout=30)
    r = client.s.post(
        start.headers["Location"],
        data={"username": "student1", "password": "no"},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 200 and "wrong username or password" in r.text
    assert not client.logged_in()
