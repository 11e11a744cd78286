"""The course's authenticators: the ecosystem's maintained ones, admitting roster users only.

- `demo`: one shared password, for `make demo` and tests (DemoAuthenticator below);
- `oauth`: OAuthenticator's GenericOAuthenticator (OIDC code flow), e.g. Azure AD / Entra ID;
- `lti13`: ltiauthenticator's LTI13Authenticator (launch from the LMS);
- `native`: NativeAuthenticator, sign-up for roster usernames only.

The roster is JupyterHub's `allowed_users`: set from roster.csv at start and kept in line with it
by `course roster sync` through the REST API (adding a user allows them, deleting one drops them).
What is added here is only what the libraries lack: a refusal page that says why, the username
taken from an email-style claim, the LMS role checked against the roster role, and a memory of
LTI nonces already used.
"""

from __future__ import annotations

import hmac
import os
import time
from inspect import isawaitable

from jupyterhub.auth import Authenticator
from ltiauthenticator.lti13.auth import LTI13Authenticator
from ltiauthenticator.lti13.handlers import LTI13CallbackHandler
from ltiauthenticator.lti13.validator import LTI13LaunchValidator
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import LoginHandler as NativeLoginHandler
from oauthenticator.generic import GenericOAuthenticator
from tornado import web
from tornado.escape import url_escape
from tornado.httputil import url_concat
from traitlets import Unicode

from hub.roster import RosterError, load_roster

ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"


def strip_domain(name: str, domain: str) -> str:
    """'jdoe@uni.edu' -> 'jdoe' when the course's email domain is uni.edu; anything else as is
    (an address of another domain then matches no roster name and is refused)."""
    if domain and name.endswith(f"@{domain}"):
        return name[: -len(domain) - 1]
    return name


class RosterOnly(Authenticator):
    """Admits the roster (allowed_users) and admin_users only, and says so when it refuses.

    allowed_users alone is not enough: with allow_existing_users JupyterHub adds every user of
    its database at start, so a student dropped from the roster while the hub was down would be
    admitted until the start-up sync deletes them. So a sign-in is also checked against the
    roster file as it is now (re-read when it changes; while it is invalid, the last valid one).
    """

    email_domain = Unicode(
        "", config=True, help="strip '@<domain>' from the identity provider's username claim"
    )
    course_title = Unicode("this course", config=True, help="named on the refusal page")
    roster_file = Unicode(
        "", config=True, help="the roster CSV, checked at each sign-in (empty: allowed_users only)"
    )
    _roster_seen: tuple[tuple[int, int], frozenset[str]] | None = None  # (mtime, size), names

    def normalize_username(self, username: str) -> str:
        return strip_domain(super().normalize_username(username.strip()), self.email_domain)

    def not_on_roster(self, username: str) -> web.HTTPError:
        return web.HTTPError(
            403,
            f"{username!r} is not on the roster of {self.course_title}, so this hub does not "
            "admit it. If you are enrolled, ask the instructor to add you to the roster.",
        )

    def on_roster_now(self, username: str) -> bool:
        if not self.roster_file:
            return True
        try:
            st = os.stat(self.roster_file)
            stamp = (st.st_mtime_ns, st.st_size)
            if self._roster_seen is None or self._roster_seen[0] != stamp:
                names = frozenset(load_roster(self.roster_file).usernames)
                self._roster_seen = (stamp, names)
        except (OSError, RosterError) as err:
            if self._roster_seen is None:
                self.log.error("Sign-in of %r refused: cannot read the roster: %s", username, err)
                return False
            self.log.error("Roster invalid or unreadable; its last valid state holds: %s", err)
        return username in self._roster_seen[1]

    async def check_allowed(self, username, authentication=None):
        allowed = super().check_allowed(username, authentication)
        if isawaitable(allowed):
            allowed = await allowed
        if allowed and (
            username in self.admin_users
            or (username in self.allowed_users and self.on_roster_now(username))
        ):
            return True
        raise self.not_on_roster(username)


class DemoAuthenticator(RosterOnly):
    """Roster users only, one shared password. For `make demo` and tests."""

    password = Unicode(
        "", config=True, help="the shared password (DEMO_PASSWORD); empty refuses every login"
    )

    async def authenticate(self, handler, data):
        username = self.normalize_username(data.get("username", ""))
        given = data.get("password", "")
        if not self.password or not hmac.compare_digest(given.encode(), self.password.encode()):
            self.log.warning("Failed login for %r: wrong password", username)
            return None
        # the roster is checked after this returns (RosterOnly.check_allowed)
        return username


# -- oauth ------------------------------------------------------------------------------------


class CourseOAuthenticator(RosterOnly, GenericOAuthenticator):
    """Generic OIDC: the username is `username_claim`, lowercased, `@email_domain` stripped, and
    must be on the roster."""


# -- lti13 ------------------------------------------------------------------------------------


def lms_role(roles: list[str]) -> str | None:
    """The roster role an LMS launch's context roles mean: TeachingAssistant (a sub-role of
    Instructor) -> ta, Instructor -> instructor, Learner -> student. Institution and system
    roles say nothing about this course and are ignored."""
    context = set()
    for role in roles or []:
        if role.startswith(MEMBERSHIP):
            context.add(role[len(MEMBERSHIP) :].rsplit("#", 1)[-1].lstrip("/"))
        elif "/" not in role and ":" not in role:  # the deprecated short form, e.g. 'Learner'
            context.add(role)
    for name, roster_role in (
        ("TeachingAssistant", "ta"),
        ("Instructor", "instructor"),
        ("Learner", "student"),
    ):
        if name in context:
            return roster_role
    return None


def roster_role(group_names: set[str]) -> str:
    """A hub user's roster role from the groups the roster sync keeps."""
    if "instructors" in group_names:
        return "instructor"
    return "ta" if "staff" in group_names else "student"


class OnceOnlyCallbackHandler(LTI13CallbackHandler):
    """The library ties a launch's nonce to a cookie that it clears after use, but keeps no
    record: whoever captured an id_token with its cookies could replay it until the token
    expires. Remember each nonce until then and refuse it a second time."""

    _used: dict[str, float] = {}  # nonce -> when it may be forgotten (one hub process)

    def check_nonce(self, id_token):
        super().check_nonce(id_token)
        now = time.time()
        for nonce, until in list(self._used.items()):
            if until < now:
                del self._used[nonce]
        nonce = id_token["nonce"]
        if nonce in self._used:
            self.log.warning("LTI launch refused: nonce used before (replay)")
            raise web.HTTPError(
                400,
                "This LMS launch was already used (replayed nonce). Open the course "
                "from the LMS again.",
            )
        validator = LTI13LaunchValidator(parent=self.app)
        keep = max(float(id_token.get("exp", 0)), now + validator.max_age)
        self._used[nonce] = keep + validator.time_leeway + 60


class CourseLTI13Authenticator(RosterOnly, LTI13Authenticator):
    """LTI 1.3 launch: roster users only, and the LMS role must agree with the roster."""

    callback_handler = OnceOnlyCallbackHandler

    async def authenticate(self, handler, data=None):
        model = await super().authenticate(handler, data)
        name = self.normalize_username(model["name"])
        user = handler.find_user(name)
        if user is None or name not in self.allowed_users:
            raise self.not_on_roster(name)
        launched_as = lms_role((data or {}).get(ROLES_CLAIM, []))
        listed_as = roster_role({g.name for g in user.groups})
        if launched_as != listed_as:
            self.log.warning(
                "LTI launch of %s refused: LMS role %s, roster role %s",
                name,
                launched_as,
                listed_as,
            )
            raise web.HTTPError(
                403,
                f"The LMS launched {name!r} as {launched_as or 'no course role'}, but the "
                f"course roster lists them as {listed_as}. Ask the instructor to correct "
                "the roster or the LMS enrolment.",
            )
        return model


# -- native -----------------------------------------------------------------------------------


class NativeLoginHandlerForHub6(NativeLoginHandler):
    """nativeauthenticator 1.3.0's login form under JupyterHub 6: its `post` still times the login
    with `self.statsd` (gone from JupyterHub's handlers: every login was an HTTP 500), and its
    `_render` refuses the keywords JupyterHub 6 passes when it shows an error (a refusal) on the
    login form. The same behaviour, without those two incompatibilities."""

    def _render(self, login_error=None, username=None, sync=False, **_ignored):
        return self.render_template(
            "native-login.html",
            sync=sync,
            next=url_escape(self.get_argument("next", default="")),
            username=username,
            login_error=login_error,
            custom_html=self.authenticator.custom_html,
            login_url=self.settings["login_url"],
            enable_signup=self.authenticator.enable_signup,
            two_factor_auth=self.authenticator.allow_2fa,
            authenticator_login_url=url_concat(
                self.authenticator.login_url(self.hub.base_url),
                {"next": self.get_argument("next", "")},
            ),
        )

    async def post(self):
        data = {arg: self.get_argument(arg, strip=False) for arg in self.request.arguments}
        user = await self.login_user(data)
        if user:
            self._jupyterhub_user = user
            self.redirect(self.get_next_url(user))
            return
        self.finish(
            await self._render(
                login_error="Invalid username or password.", username=data.get("username")
            )
        )


class CourseNativeAuthenticator(RosterOnly, NativeAuthenticator):
    """Sign-up for roster usernames only, approved at once (open_signup): no admin queue."""

    def get_handlers(self, app):
        return [
            (path, NativeLoginHandlerForHub6 if handler is NativeLoginHandler else handler)
            for path, handler in super().get_handlers(app)
        ]

    def create_user(self, username, password, **kwargs):
        name = self.normalize_username(username)
        if name not in self.allowed_users and name not in self.admin_users:
            self.log.warning("Sign-up refused for %r: not on the roster", name)
            raise web.HTTPError(
                403,
                f"{name!r} is not on the roster of {self.course_title}: only enrolled "
                "students and staff can sign up, with the username the course gave them.",
            )
        return super().create_user(username, password, **kwargs)
