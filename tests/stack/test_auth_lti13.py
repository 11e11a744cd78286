"""auth.kind lti13 for real: ltiauthenticator's LTI13Authenticator in the hub container. The test
plays the LMS (the LTI platform): it starts the launch at the hub's login-initiation URL, signs the
id_token with its own RSA key, and posts it to the hub's callback like the LMS's auto-submitted
form. The hub fetches the platform's key set from the throw-away provider (fake_idp.py)."""

from __future__ import annotations

import html
import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from authstack import auth_stack, free_port, start_idp, wait_for_hub_user
from cryptography.hazmat.primitives.asymmetric import rsa
from hubclient import HubClient

pytestmark = pytest.mark.docker

ISSUER = "https://lms.test.example"
CLIENT_ID = "125900000000000001"
KID = "lms-key-1"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
LEARNER = [ROLE + "Learner", "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"]
INSTRUCTOR = [ROLE + "Instructor"]
TA = [
    ROLE + "Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
]

LMS_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key, kid: str) -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture(scope="module")
def lti(request, tmp_path_factory):
    port = free_port()
    auth = {
        "kind": "lti13",
        "lti13": {
            "issuer": ISSUER,
            "client_id": CLIENT_ID,
            "authorize_url": f"{ISSUER}/api/lti/authorize_redirect",
            "jwks_url": f"http://idp:{port}/jwks",
            "username_claim": "email",
            "email_domain": "example.edu",
        },
    }
    with auth_stack(request, tmp_path_factory, "lti", auth) as stack:
        start_idp(
            stack,
            {
                "issuer": f"http://127.0.0.1:{port}",
                "client_id": "unused",
                "client_secret": "-",
                "redirect_uri": "-",
                "users": {},
                "extra_jwks": [public_jwk(LMS_KEY, KID)],
            },
            tmp_path_factory.mktemp("lms"),
            port,
        )
        wait_for_hub_user(stack, "student1")
        yield stack


class Lms:
    """One launch, step by step, as the LMS and the browser do it."""

    def __init__(self, stack):
        self.stack = stack
        self.client = HubClient(stack.url)

    def initiate(self) -> dict:
        r = self.client.s.post(
            f"{self.stack.url}/hub/lti13/oauth_login",
            data={
                "iss": ISSUER,
                "login_hint": "opaque-user",
                "client_id": CLIENT_ID,
                "target_link_uri": f"{self.stack.url}/hub",
                "lti_message_hint": "hint",
            },
            allow_redirects=False,
            timeout=30,
        )
        assert r.status_code == 302, r.text
        assert r.headers["Location"].startswith(f"{ISSUER}/api/lti/authorize_redirect")
        return {k: v[0] for k, v in parse_qs(urlsplit(r.headers["Location"]).query).items()}

    def id_token(
        self,
        auth: dict,
        email: str,
        roles: list[str],
        key=LMS_KEY,
        kid=KID,
        exp_in: int = 300,
        iat_ago: int = 0,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": uuid.uuid4().hex,
            "iat": now - iat_ago,
            "exp": now + exp_in,
            "nonce": auth["nonce"],
            "email": email,
            "name": email.split("@")[0],
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": "1:course",
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "target_link_uri": f"{self.stack.url}/hub",
            CLAIM + "resource_link": {"id": "resource-1"},
            CLAIM + "context": {"id": "ctx-1", "label": "DL101", "title": "Deep Learning"},
            CLAIM + "roles": roles,
        }
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})

    def post_launch(self, auth: dict, token: str, client: HubClient | None = None):
        client = client or self.client
        return client.s.post(
            auth["redirect_uri"],
            data={"id_token": token, "state": auth["state"]},
            allow_redirects=False,
            timeout=60,
        )

    def launch(self, email: str, roles: list[str], **token_args):
        auth = self.initiate()
        return self.post_launch(auth, self.id_token(auth, email, roles, **token_args))


def page(r) -> str:
    return html.unescape(r.text)


def who(client: HubClient) -> str | None:
    r = client.api("GET", "/user")
    return r.json()["name"] if r.status_code == 200 else None


def test_learner_on_the_roster_gets_in(lti):
    lms = Lms(lti)
    r = lms.launch("student2@example.edu", LEARNER)
    assert r.status_code == 302, page(r)
    assert who(lms.client) == "student2"


def test_ta_and_instructor_launch_with_their_roles(lti):
    for email, roles, name in (
        ("ta1@example.edu", TA, "ta1"),
        ("instructor@example.edu", INSTRUCTOR, "instructor"),
    ):
        lms = Lms(lti)
        r = lms.launch(email, roles)
        assert r.status_code == 302, page(r)
        assert who(lms.client) == name


def test_learner_not_on_the_roster_is_refused(lti):
    lms = Lms(lti)
    r = lms.launch("visitor@example.edu", LEARNER)
    assert r.status_code == 403
    assert "'visitor' is not on the roster" in page(r)
    assert who(lms.client) is None


def test_role_mismatch_is_refused(lti):
    lms = Lms(lti)
    r = lms.launch("student3@example.edu", INSTRUCTOR)  # a student launched as instructor
    assert r.status_code == 403
    assert "launched 'student3' as instructor" in page(r)
    assert "roster lists them as student" in page(r)
    assert who(lms.client) is None
    lms = Lms(lti)
    r = lms.launch("ta2@example.edu", LEARNER)  # staff launched as a learner
    assert r.status_code == 403 and "roster lists them as ta" in page(r)


def test_expired_token_is_refused(lti):
    lms = Lms(lti)
    r = lms.launch("student4@example.edu", LEARNER, exp_in=-120, iat_ago=400)
    assert r.status_code == 400
    assert "expired" in page(r).lower()
    assert who(lms.client) is None


def test_replayed_nonce_is_refused(lti):
    """Replay the whole captured launch: the id_token, its state and the browser's cookies."""
    lms = Lms(lti)
    auth = lms.initiate()
    cookies = lms.client.s.cookies.copy()
    token = lms.id_token(auth, "student5@example.edu", LEARNER)
    first = lms.post_launch(auth, token)
    assert first.status_code == 302, page(first)
    attacker = HubClient(lti.url)
    attacker.s.cookies.update(cookies)
    again = lms.post_launch(auth, token, client=attacker)
    assert again.status_code == 400
    assert "replayed nonce" in page(again)
    assert who(attacker) is None


def test_token_signed_with_a_wrong_key_is_refused(lti):
    for kid in (KID, "unknown-key"):  # the LMS's key id with another key, and a foreign key id
        lms = Lms(lti)
        r = lms.launch("student6@example.edu", LEARNER, key=OTHER_KEY, kid=kid)
        assert r.status_code == 400, page(r)
        assert "signature" in page(r).lower() or "signing key" in page(r).lower()
        assert who(lms.client) is None


def test_launch_for_another_tool_is_refused(lti):
    lms = Lms(lti)
    auth = lms.initiate()
    token = jwt.decode(
        lms.id_token(auth, "student7@example.edu", LEARNER), options={"verify_signature": False}
    )
    token["aud"] = "some-other-client"
    forged = jwt.encode(token, LMS_KEY, algorithm="RS256", headers={"kid": KID})
    r = lms.post_launch(auth, forged)
    assert r.status_code == 401
    assert who(lms.client) is None
