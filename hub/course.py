"""The course file (course.yml): the one source of truth for what differs between courses.

`load_course(path)` reads and validates it. Every problem is reported at once as a
`CourseFileError` naming the file, the field path and what would be valid; an unknown key is an
error, never a silently ignored setting.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from hub.problems import Problem, ProblemsError, pydantic_problems, read_text_file

NAME_RE = r"^[a-z][a-z0-9_-]{0,31}$"
MEMORY_RE = r"^[1-9][0-9]*(\.[0-9]+)?[KMGT]$"


class CourseFileError(ProblemsError):
    """The course file is invalid; `.problems` lists every reason."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A point in the semester: either a week number (that week's lab session) or an explicit
# ISO 8601 datetime (naive values are read in the course's time zone).
When = int | dt.datetime


class CourseInfo(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,40}$")]
    title: Annotated[str, Field(min_length=1)]
    timezone: str = "UTC"
    semester_start: dt.date = Field(description="date of the week-1 lab session")
    lab_start: dt.time = dt.time(18, 30)
    lab_hours: Annotated[float, Field(gt=0, le=12)] = 3.0

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder ("Europe")
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as 'Europe/London'"
            ) from None
        return value

    @field_validator("semester_start")
    @classmethod
    def _sane_year(cls, value: dt.date) -> dt.date:
        # the week arithmetic must stay inside the calendar (date.max is 9999-12-31)
        if not 2000 <= value.year <= 2200:
            raise ValueError(f"{value.isoformat()} is not a plausible semester start")
        return value


class Week(Strict):
    week: Annotated[int, Field(ge=1, le=52)]
    title: Annotated[str, Field(min_length=1)]
    lab: Annotated[str | None, Field(pattern=r"^week[0-9]{2}-[a-z0-9-]+$")] = None
    release: When | None = None


class Assignment(Strict):
    id: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")]
    title: Annotated[str, Field(min_length=1)]
    release: When
    due: When
    weight: Annotated[float, Field(ge=0, le=100)] = Field(description="percent of the course grade")


class LatePolicy(Strict):
    mode: Literal["scale", "deduct"] = "scale"
    rate_per_day: Annotated[float, Field(ge=0, le=1)] = 0.10
    max_days: Annotated[int, Field(ge=0, le=30)] = 3
    grace_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = 0


class Extension(Strict):
    student: Annotated[str, Field(pattern=NAME_RE)]
    assignment: str
    until: dt.datetime
    reason: str = ""


class GpuSpec(Strict):
    mode: Literal["none", "shared", "mig", "exclusive"] = "none"
    students_per_gpu: Annotated[int, Field(ge=1, le=64)] = 4
    mig_profile: str | None = None
    gpus: list[Annotated[int, Field(ge=0)]] = Field(
        [], description="GPU indexes this profile may use; empty: all"
    )


class Profile(Strict):
    slug: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]
    display_name: Annotated[str, Field(min_length=1)]
    description: str = ""
    cpu: Annotated[float, Field(gt=0, le=256)] = 2.0
    memory: Annotated[str, Field(pattern=MEMORY_RE)] = "4G"
    pids: Annotated[int, Field(ge=64, le=100_000)] = 1024
    gpu: GpuSpec = GpuSpec()
    groups: list[str] = ["students", "staff"]
    default: bool = False


class MigInstance(Strict):
    uuid: str
    profile: str


class Gpu(Strict):
    index: Annotated[int, Field(ge=0)]
    uuid: str
    memory_mib: Annotated[int, Field(gt=0)] = 81_559
    mig: list[MigInstance] = []


class Images(Strict):
    student: str = "course-student:latest"
    allowed: list[str] = []

    def allowed_images(self) -> list[str]:
        return [self.student, *[i for i in self.allowed if i != self.student]]


def _http_url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/?#]+[^\s#]*", value):
        raise ValueError(f"{value!r} is not an http(s) URL, e.g. https://login.example.edu/...")
    return value


def _email_domain(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+", value):
        raise ValueError(f"{value!r} is not a lowercase domain such as 'uni.example.edu'")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]


class Identity(Strict):
    """How an identity provider's claim becomes a roster username."""

    username_claim: Annotated[str, Field(min_length=1)]
    email_domain: Annotated[str, AfterValidator(_email_domain)] | None = Field(
        None, description="strip '@<domain>' from the claim; a claim of another domain is refused"
    )


class OAuthSettings(Identity):
    """OAuthenticator's GenericOAuthenticator (OIDC authorization code flow with PKCE)."""

    client_id: Annotated[str, Field(min_length=1)]
    authorize_url: HttpUrl
    token_url: HttpUrl
    userdata_url: HttpUrl | None = None
    userdata_from_id_token: bool = False
    username_claim: Annotated[str, Field(min_length=1)] = "preferred_username"
    scopes: list[str] = ["openid", "profile", "email"]
    login_service: Annotated[str, Field(min_length=1)] = "university account"
    logout_url: HttpUrl | None = None


class Lti13Settings(Identity):
    """ltiauthenticator's LTI13Authenticator: the LMS (platform) as registered for this tool."""

    issuer: Annotated[str, Field(min_length=1)]
    client_id: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    authorize_url: HttpUrl
    jwks_url: HttpUrl
    username_claim: Annotated[str, Field(min_length=1)] = "email"

    @field_validator("client_id", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class NativeSettings(Strict):
    """NativeAuthenticator: roster users sign up themselves, no approval queue."""

    min_password_length: Annotated[int, Field(ge=8, le=128)] = 12
    failed_logins_before_lock: Annotated[int, Field(ge=1, le=100)] = 5
    lock_seconds: Annotated[int, Field(ge=10, le=86_400)] = 600


AUTH_KINDS = ("demo", "native", "oauth", "lti13")
# The settings each kind needs, named as they must appear in the course file.
AUTH_REQUIRED = {
    "oauth": ("client_id", "authorize_url", "token_url"),
    "lti13": ("issuer", "client_id", "authorize_url", "jwks_url"),
    "native": (),
}


class Auth(Strict):
    kind: Literal["demo", "native", "oauth", "lti13"] = "demo"
    admin_users: list[Annotated[str, Field(pattern=NAME_RE)]] = []
    oauth: OAuthSettings | None = None
    lti13: Lti13Settings | None = None
    native: NativeSettings | None = None


class LabsSource(Strict):
    """The stack serves the labs itself (a bare repository, hub.publish.SERVED_REPO_PATH)."""

    branch: str = "main"

    @model_validator(mode="before")
    @classmethod
    def _no_external_remote(cls, data: object) -> object:
        # labs.url promised publication to an external git remote, but nothing ever gave the
        # hub credentials for one: refused by name, so an old course file is told what to do.
        if isinstance(data, dict) and "url" in data:
            raise ValueError(
                f"labs.url ({data['url']!r}) is no longer supported: the stack serves the labs "
                "itself (file:///srv/labs.git) and never pushes to an external remote. Remove "
                "labs.url from the course file (docs/labs-publication.md)"
            )
        return data


class Culler(Strict):
    timeout_seconds: Annotated[int, Field(ge=300)] = 3600
    every_seconds: Annotated[int, Field(ge=30)] = 300
    max_age_seconds: Annotated[int, Field(ge=0)] = 0
    gpu_timeout_seconds: Annotated[int, Field(ge=300)] = 3600
    gpu_busy_percent: Annotated[float, Field(ge=0, le=100)] = 5.0


class Similarity(Strict):
    threshold: Annotated[float, Field(gt=0, le=1)] = 0.6


class Course(Strict):
    course: CourseInfo
    weeks: list[Week]
    assignments: list[Assignment] = []
    late_policy: LatePolicy = LatePolicy()
    extensions: list[Extension] = []
    roster: str = "roster.csv"
    auth: Auth = Auth()
    images: Images = Images()
    profiles: Annotated[list[Profile], Field(min_length=1)] = [
        Profile(slug="cpu", display_name="CPU (2 cores, 4 GB)", default=True)
    ]
    gpus: list[Gpu] = []
    labs: LabsSource = LabsSource()
    culler: Culler = Culler()
    similarity: Similarity = Similarity()
    # A submission's total size; ngshare refuses request bodies over 100 MB, and files travel
    # base64-encoded (4/3 of their size), hence at most 75.
    submission_limit_mb: Annotated[int, Field(gt=0, le=75)] = 50
    # Each user's server on its own origin, <user>.<hub domain> (docs/security.md): auto is on
    # where the stack has a wildcard DNS name (SUBDOMAIN_HOST, from make deploy's inventory)
    # and off without one (make demo); true demands it, false refuses it.
    user_subdomains: Literal["auto"] | bool = "auto"

    # -- time arithmetic ----------------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.course.timezone)

    def at(self, week: int) -> dt.datetime:
        """Start of week `week`'s lab session, aware, in the course's time zone."""
        day = self.course.semester_start + dt.timedelta(weeks=week - 1)
        return dt.datetime.combine(day, self.course.lab_start, tzinfo=self.tz)

    def lab_session(self, week: int) -> tuple[dt.datetime, dt.datetime]:
        """Start and end of week `week`'s lab session (`lab_start` for `lab_hours`)."""
        start = self.at(week)
        return start, start + dt.timedelta(hours=self.course.lab_hours)

    def resolve(self, when: When) -> dt.datetime:
        if isinstance(when, int):
            return self.at(when)
        return when if when.tzinfo else when.replace(tzinfo=self.tz)

    def lab_release(self, week: Week) -> dt.datetime:
        return self.resolve(week.release) if week.release is not None else self.at(week.week)

    def release(self, assignment: Assignment) -> dt.datetime:
        return self.resolve(assignment.release)

    def due(self, assignment: Assignment) -> dt.datetime:
        return self.resolve(assignment.due)

    def assignment(self, assignment_id: str) -> Assignment:
        for a in self.assignments:
            if a.id == assignment_id:
                return a
        raise KeyError(
            f"no assignment {assignment_id!r}; valid: {[a.id for a in self.assignments]}"
        )

    def week(self, number: int) -> Week:
        for w in self.weeks:
            if w.week == number:
                return w
        raise KeyError(f"no week {number}; valid: 1..{len(self.weeks)}")

    def released_weeks(self, now: dt.datetime) -> list[Week]:
        return [w for w in self.weeks if w.lab and self.lab_release(w) <= now]


def cross_problems(course: Course, source: str) -> list[Problem]:
    """Checks that span several fields (pydantic checks each field on its own)."""
    out: list[Problem] = []

    def bad(path: str, message: str) -> None:
        out.append(Problem(source, path, message))

    numbers = [w.week for w in course.weeks]
    if sorted(numbers) != list(range(1, len(numbers) + 1)):
        bad("weeks", f"week numbers must run 1..{len(numbers)} once each, got {numbers}")
    for field, values in (
        ("assignments", [a.id for a in course.assignments]),
        ("profiles", [p.slug for p in course.profiles]),
        ("weeks", [w.lab for w in course.weeks if w.lab]),
    ):
        for dup in sorted({v for v in values if values.count(v) > 1}):
            bad(field, f"{dup!r} is used twice; each must be unique")
    if sum(p.default for p in course.profiles) > 1:
        bad("profiles", "at most one profile may set default: true")
    for i, w in enumerate(course.weeks):
        if isinstance(w.release, int):
            bad(f"weeks[{i}].release", "give a datetime; a week's release is its own lab day")
    semester_from = course.at(1) - dt.timedelta(days=14)
    semester_to = course.at(max(numbers, default=1)) + dt.timedelta(days=7)
    span = f"the semester runs {semester_from.date()} to {semester_to.date()}"
    for i, w in enumerate(course.weeks):
        if not isinstance(w.release, int) and not (
            semester_from <= course.lab_release(w) <= semester_to
        ):
            bad(f"weeks[{i}].release", f"{course.lab_release(w).isoformat()} is outside; {span}")
    for i, a in enumerate(course.assignments):
        weeks_ok = True
        for key in ("release", "due"):
            when = getattr(a, key)
            if isinstance(when, int) and when not in numbers:
                bad(f"assignments[{i}].{key}", f"week {when} is not one of the weeks {numbers}")
                weeks_ok = False
        if weeks_ok and course.due(a) <= course.release(a):
            bad(
                f"assignments[{i}].due",
                f"{course.due(a).isoformat()} is not after the release "
                f"{course.release(a).isoformat()}; a due date must come after its release",
            )
    for i, p in enumerate(course.profiles):
        if p.gpu.mode == "mig" and not p.gpu.mig_profile:
            bad(f"profiles[{i}].gpu.mig_profile", "mode: mig needs a mig_profile, e.g. 1g.10gb")
        if p.gpu.mig_profile and p.gpu.mode != "mig":
            bad(f"profiles[{i}].gpu.mig_profile", "only valid with mode: mig")
        known = {g.index for g in course.gpus}
        for index in p.gpu.gpus:
            if course.gpus and index not in known:
                bad(f"profiles[{i}].gpu.gpus", f"GPU {index} is not in gpus: {sorted(known)}")
    uuids = [g.uuid for g in course.gpus] + [m.uuid for g in course.gpus for m in g.mig]
    indexes = [g.index for g in course.gpus]
    for field, values in (("gpus[].uuid", uuids), ("gpus[].index", indexes)):
        for dup in sorted({v for v in values if values.count(v) > 1}, key=str):
            bad(field, f"{dup!r} is used twice; each GPU and MIG instance must be unique")
    out += auth_problems(course.auth, source)
    ids = {a.id for a in course.assignments}
    for i, e in enumerate(course.extensions):
        if e.assignment not in ids:
            bad(f"extensions[{i}].assignment", f"{e.assignment!r} is not one of {sorted(ids)}")
    return out


def auth_problems(auth: Auth, source: str) -> list[Problem]:
    """The chosen kind has its section with every setting it needs; no other kind's section."""
    out: list[Problem] = []
    for kind in ("oauth", "lti13", "native"):
        section = getattr(auth, kind)
        if kind == auth.kind and section is None and AUTH_REQUIRED[kind]:
            out.append(
                Problem(
                    source,
                    f"auth.{kind}",
                    f"required when auth.kind is {kind}: a mapping with "
                    f"{', '.join(AUTH_REQUIRED[kind])} (see docs/auth.md)",
                )
            )
        elif kind != auth.kind and section is not None:
            out.append(
                Problem(
                    source,
                    f"auth.{kind}",
                    f"is set but auth.kind is {auth.kind}; remove it or set kind: {kind} "
                    f"(valid kinds: {', '.join(AUTH_KINDS)})",
                )
            )
    oauth = auth.oauth
    if auth.kind == "oauth" and oauth is not None:
        if bool(oauth.userdata_url) == oauth.userdata_from_id_token:
            out.append(
                Problem(
                    source,
                    "auth.oauth.userdata_url",
                    "give either userdata_url (the IdP's userinfo endpoint) or "
                    "userdata_from_id_token: true, not both and not neither",
                )
            )
        if "openid" not in oauth.scopes and oauth.userdata_from_id_token:
            out.append(
                Problem(
                    source, "auth.oauth.scopes", "userdata_from_id_token needs the 'openid' scope"
                )
            )
    return out


def parse_course(data: object, source: str = "course.yml") -> Course:
    """Validate already-parsed YAML; raise CourseFileError listing every problem."""
    if not isinstance(data, dict):
        raise CourseFileError(
            [Problem(source, "", "the file must be a YAML mapping with a 'course:' section")]
        )
    try:
        course = Course.model_validate(data)
    except ValidationError as err:
        raise CourseFileError(pydantic_problems(err, source, Course)) from None
    problems = cross_problems(course, source)
    if problems:
        raise CourseFileError(problems)
    return course


def load_course(path: str | Path) -> Course:
    path = Path(path)
    text = read_text_file(path, CourseFileError, "save the file as UTF-8")
    try:
        data = yaml.safe_load(text)
    except RecursionError:
        problem = Problem(str(path), "", "the file nests deeper than any course file needs")
        raise CourseFileError([problem]) from None
    except yaml.YAMLError as err:
        raise CourseFileError([yaml_problem(err, text, str(path))]) from None
    return parse_course(data, str(path))


def yaml_problem(err: yaml.YAMLError, text: str, source: str) -> Problem:
    """A YAML error as a Problem at its line and column."""
    if isinstance(err, yaml.reader.ReaderError):  # a character YAML does not allow
        line = text.count("\n", 0, err.position) + 1
        column = err.position - (text.rfind("\n", 0, err.position) + 1) + 1
        return Problem(source, f"line {line}, column {column}",
                       f"not valid YAML: the character {chr(err.character)!r} is not allowed")
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return Problem(source, where, f"not valid YAML: {getattr(err, 'problem', None) or err}")


def memory_bytes(memory: str) -> int:
    """'4G' -> 4 * 1024**3 (the course file's memory notation)."""
    m = re.fullmatch(r"([0-9.]+)([KMGT])", memory)
    if not m:
        raise ValueError(f"bad memory value {memory!r}; expected e.g. '4G' or '512M'")
    return int(float(m.group(1)) * 1024 ** "KMGT".index(m.group(2)) * 1024)
