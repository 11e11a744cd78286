"""The auth section of the course file and the authenticator configuration it makes, on a bare
traitlets Config (the real sign-in flows run in tests/stack/test_auth_*.py)."""

import asyncio
import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from tornado import web
from traitlets.config import Config

from hub.auth import (
    CourseOAuthenticator,
    DemoAuthenticator,
    RosterOnly,
    lms_role,
    roster_role,
    strip_domain,
)
from hub.config import apply_all
from hub.course import CourseFileError, parse_course
from hub.roster import load_roster
from hub.secrets import ensure_secrets
from hub.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = yaml.safe_load((ROOT / "course.yml").read_text())
ENTRA = {
    "client_id": "00000000-1111-2222-3333-444444444444",
    "authorize_url": "https://login.microsoftonline.com/TENANT/oauth2/v2.0/authorize",
    "token_url": "https://login.microsoftonline.com/TENANT/oauth2/v2.0/token",
    "userdata_from_id_token": True,
    "username_claim": "preferred_username",
    "email_domain": "uni.example.edu",
    "logout_url": "https://login.microsoftonline.com/TENANT/oauth2/v2.0/logout",
}
LTI = {
    "issuer": "https://canvas.instructure.com",
    "client_id": "125900000000000001",
    "authorize_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
    "jwks_url": "https://sso.canvaslms.com/api/lti/security/jwks",
}


def with_auth(auth: dict) -> dict:
    data = copy.deepcopy(SAMPLE)
    data["auth"] = auth
    return data


def problems_of(auth: dict) -> list[str]:
    with pytest.raises(CourseFileError) as info:
        parse_course(with_auth(auth), "course.yml")
    return [str(p) for p in info.value.problems]


def configured(tmp_path, auth: dict, **env) -> Config:
    ensure_secrets(tmp_path / "secrets")
    settings = Settings.from_env(
        {
            "COURSE_FILE": str(ROOT / "course.yml"),
            "COURSE_SECRETS_DIR": str(tmp_path / "secrets"),
            "DOCKER_NETWORK_NAME": "t-net",
            "STACK_NAME": "t",
            **env,
        }
    )
    c = Config()
    apply_all(c, parse_course(with_auth(auth)), load_roster(ROOT / "roster.csv"), settings)
    return c


# -- the course file --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, section, missing",
    [
        ("oauth", {k: v for k, v in ENTRA.items() if k != "client_id"}, "client_id"),
        ("oauth", {k: v for k, v in ENTRA.items() if k != "token_url"}, "token_url"),
        ("lti13", {k: v for k, v in LTI.items() if k != "issuer"}, "issuer"),
        ("lti13", {k: v for k, v in LTI.items() if k != "jwks_url"}, "jwks_url"),
    ],
)
def test_a_missing_setting_is_named(kind, section, missing):
    assert problems_of({"kind": kind, kind: section}) == [
        f"course.yml: auth.{kind}.{missing}: required key is missing"
    ]


@pytest.mark.parametrize("kind", ["oauth", "lti13"])
def test_a_missing_section_names_what_it_needs(kind):
    (problem,) = problems_of({"kind": kind})
    assert problem.startswith(f"course.yml: auth.{kind}: required when auth.kind is {kind}")
    assert "client_id" in problem and "authorize_url" in problem


def test_unknown_kind_lists_the_valid_ones():
    (problem,) = problems_of({"kind": "saml"})
    assert problem.startswith("course.yml: auth.kind:")
    assert "'demo', 'native', 'oauth' or 'lti13'" in problem


def test_another_kinds_section_is_not_silently_ignored():
    (problem,) = problems_of({"kind": "oauth", "oauth": ENTRA, "lti13": LTI})
    assert problem.startswith("course.yml: auth.lti13: is set but auth.kind is oauth")


def test_unknown_key_in_a_section_lists_the_valid_ones():
    (problem,) = problems_of({"kind": "oauth", "oauth": {**ENTRA, "client_secret": "x"}})
    assert "auth.oauth.client_secret: unknown key 'client_secret'" in problem
    assert "client_id" in problem  # the valid keys follow


def test_userinfo_source_is_one_or_the_other():
    both = {**ENTRA, "userdata_url": "https://graph.microsoft.com/oidc/userinfo"}
    (problem,) = problems_of({"kind": "oauth", "oauth": both})
    assert problem.startswith("course.yml: auth.oauth.userdata_url: give either")
    neither = {k: v for k, v in ENTRA.items() if k != "userdata_from_id_token"}
    assert problems_of({"kind": "oauth", "oauth": neither})[0].startswith(
        "course.yml: auth.oauth.userdata_url: give either"
    )


def test_urls_and_domains_are_checked():
    bad = {**ENTRA, "authorize_url": "login.microsoftonline.com/x", "email_domain": "@Uni.edu"}
    found = problems_of({"kind": "oauth", "oauth": bad})
    assert any("auth.oauth.authorize_url" in p and "not an http(s) URL" in p for p in found)
    assert any("auth.oauth.email_domain" in p and "lowercase domain" in p for p in found)


def test_course_validate_reports_the_missing_setting(tmp_path):
    data = with_auth({"kind": "lti13", "lti13": {k: v for k, v in LTI.items() if k != "issuer"}})
    (tmp_path / "course.yml").write_text(yaml.safe_dump(data))
    (tmp_path / "roster.csv").write_text((ROOT / "roster.csv").read_text())
    result = subprocess.run(
        [sys.executable, "-m", "hub.cli", "--course", str(tmp_path / "course.yml"), "validate"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert "auth.lti13.issuer: required key is missing" in result.stderr


# -- the hub configuration ------------------------------------------------------------------


def test_every_kind_keeps_the_roster_as_the_allowed_users(tmp_path):
    c = configured(tmp_path, {"kind": "native"})
    assert c.Authenticator.allow_existing_users is True  # the roster sync adds and deletes users
    assert "student1" in c.Authenticator.allowed_users and c.Authenticator.allow_all is False


def test_oauth_entra(tmp_path):
    c = configured(
        tmp_path,
        {"kind": "oauth", "oauth": ENTRA},
        OAUTH_CLIENT_SECRET="s" * 40,
        PUBLIC_URL="https://hub.uni.example.edu",
    )
    assert c.JupyterHub.authenticator_class == "hub.auth.CourseOAuthenticator"
    a = c.CourseOAuthenticator
    assert a.client_id == ENTRA["client_id"] and a.client_secret == "s" * 40
    assert a.userdata_from_id_token is True and "userdata_url" not in a
    assert a.username_claim == "preferred_username" and a.email_domain == "uni.example.edu"
    assert a.scope == ["openid", "profile", "email"] and a.enable_pkce is True
    assert a.oauth_callback_url == "https://hub.uni.example.edu/hub/oauth_callback"
    assert a.logout_redirect_url == ENTRA["logout_url"]


def test_oauth_without_the_client_secret_stops_the_start(tmp_path):
    with pytest.raises(SettingsError, match="OAUTH_CLIENT_SECRET"):
        configured(tmp_path, {"kind": "oauth", "oauth": ENTRA})


def test_lti13(tmp_path):
    c = configured(tmp_path, {"kind": "lti13", "lti13": LTI}, PUBLIC_URL="https://hub.x.edu")
    a = c.CourseLTI13Authenticator
    assert c.JupyterHub.authenticator_class == "hub.auth.CourseLTI13Authenticator"
    assert a.client_id == {"125900000000000001"} and a.issuer == LTI["issuer"]
    assert a.jwks_endpoint == LTI["jwks_url"] and a.username_key == "email"
    assert a.uri_scheme == "https"


def test_native_has_no_approval_queue_and_strong_passwords(tmp_path):
    c = configured(tmp_path, {"kind": "native", "native": {"min_password_length": 14}})
    a = c.CourseNativeAuthenticator
    assert a.open_signup is True and a.enable_signup is True
    assert a.minimum_password_length == 14 and a.check_common_password is True
    assert a.allowed_failed_logins == 5


# -- the authenticators' own logic ----------------------------------------------------------


def test_username_claim_normalised():
    assert strip_domain("jdoe@uni.example.edu", "uni.example.edu") == "jdoe"
    assert strip_domain("jdoe@evil.example", "uni.example.edu") == "jdoe@evil.example"
    a = CourseOAuthenticator(email_domain="uni.example.edu")
    assert a.normalize_username(" JDoe@Uni.Example.edu ") == "jdoe"


def test_refusal_names_the_user_and_the_course():
    a = CourseOAuthenticator(allowed_users={"student1"}, course_title="DL101")
    assert asyncio.run(a.check_allowed("student1", {"admin": None, "auth_state": {}}))
    with pytest.raises(web.HTTPError) as info:
        asyncio.run(a.check_allowed("mallory", {"admin": None, "auth_state": {}}))
    assert info.value.status_code == 403
    assert "'mallory' is not on the roster of DL101" in info.value.log_message


ROSTER_HEADER = "username,name,email,role,team\nprof1,Prof 1,prof1@example.edu,instructor,\n"


def roster_line(name: str) -> str:
    return f"{name},{name.title()},{name}@example.edu,student,team1\n"


def refused(a, name: str) -> str:
    with pytest.raises(web.HTTPError) as info:
        asyncio.run(a.check_allowed(name, {"admin": None, "auth_state": {}}))
    assert info.value.status_code == 403
    return info.value.log_message


def test_a_user_dropped_from_the_roster_file_is_refused_though_the_hub_still_has_them(tmp_path):
    """The window of a roster edited while the hub was down: JupyterHub (allow_existing_users)
    puts every user of its database into allowed_users at start, the dropped student too, until
    the start-up sync deletes them. The roster file decides."""
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER_HEADER + roster_line("student1"))
    a = DemoAuthenticator(allowed_users={"student1", "student9"}, roster_file=str(roster))
    assert asyncio.run(a.check_allowed("student1", None))
    assert "'student9' is not on the roster" in refused(a, "student9")
    # back on the roster: admitted at once (the file is read again when it changes)
    roster.write_text(ROSTER_HEADER + roster_line("student1") + roster_line("student9"))
    assert asyncio.run(a.check_allowed("student9", None))
    # a roster broken mid-edit: its last valid state holds, nobody else gets in
    roster.write_text(ROSTER_HEADER + "student9,,,not-a-role,\n")
    assert asyncio.run(a.check_allowed("student9", None))
    assert "'mallory' is not on the roster" in refused(a, "mallory")


def test_no_readable_roster_admits_nobody_but_the_admins(tmp_path):
    a = DemoAuthenticator(
        allowed_users={"student1", "root1"},
        admin_users={"root1"},
        roster_file=str(tmp_path / "gone.csv"),
    )
    assert "'student1' is not on the roster" in refused(a, "student1")
    assert asyncio.run(a.check_allowed("root1", None))


def test_every_kind_checks_sign_ins_against_the_course_roster_file(tmp_path):
    for auth in ({"kind": "demo"}, {"kind": "native"}):
        c = configured(tmp_path, auth)
        assert c.RosterOnly.roster_file == str(ROOT / "roster.csv")
    assert issubclass(DemoAuthenticator, RosterOnly)


def test_lms_roles_map_to_roster_roles():
    m = "http://purl.imsglobal.org/vocab/lis/v2/membership"
    assert lms_role([f"{m}#Learner"]) == "student"
    assert lms_role([f"{m}#Instructor"]) == "instructor"
    assert lms_role([f"{m}#Instructor", f"{m}/Instructor#TeachingAssistant"]) == "ta"
    assert lms_role(["Learner"]) == "student"  # the deprecated short form
    assert (
        lms_role(["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"]) is None
    )
    assert roster_role({"staff", "instructors"}) == "instructor"
    assert roster_role({"staff"}) == "ta" and roster_role({"students", "team-a"}) == "student"
