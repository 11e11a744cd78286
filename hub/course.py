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
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from hub.problems import Problem, ProblemsError, pydantic_problems

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
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as 'Europe/London'"
            ) from None
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
    weight: Annotated[float, Field(ge=0, le=100)] = Field(
        description="percent of the course grade"
    )


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


class Auth(Strict):
    kind: Literal["demo", "native", "oauth", "lti13"] = "demo"
    admin_users: list[Annotated[str, Field(pattern=NAME_RE)]] = []


class LabsSource(Strict):
    url: str | None = Field(
        None, description="external git remote; unset means the stack serves the labs itself"
    )
    branch: str = "main"


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

    # -- time arithmetic ----------------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.course.timezone)

    def at(self, week: int) -> dt.datetime:
        """Start of week `week`'s lab session, aware, in the course's time zone."""
        day = self.course.semester_start + dt.timedelta(weeks=week - 1)
        return dt.datetime.combine(day, self.course.lab_start, tzinfo=self.tz)

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
    ids = {a.id for a in course.assignments}
    for i, e in enumerate(course.extensions):
        if e.assignment not in ids:
            bad(f"extensions[{i}].assignment", f"{e.assignment!r} is not one of {sorted(ids)}")
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
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise CourseFileError([Problem(str(path), "", f"cannot read: {err.strerror}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise CourseFileError(
            [Problem(str(path), where, f"not valid YAML: {getattr(err, 'problem', err)}")]
        ) from None
    return parse_course(data, str(path))


def memory_bytes(memory: str) -> int:
    """'4G' -> 4 * 1024**3 (the course file's memory notation)."""
    m = re.fullmatch(r"([0-9.]+)([KMGT])", memory)
    if not m:
        raise ValueError(f"bad memory value {memory!r}; expected e.g. '4G' or '512M'")
    return int(float(m.group(1)) * 1024 ** "KMGT".index(m.group(2)) * 1024)
