"""The roster: a CSV of `username,name,email,role[,team]`, one person per line.

Usernames become JupyterHub users, Docker container and volume names and ngshare ids, so they
must be safe for all of them. Every bad line is reported at once, by line number.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path

from hub.problems import Problem, ProblemsError, read_text_file

ROLES = ("student", "ta", "instructor")
STAFF_ROLES = ("ta", "instructor")
COLUMNS = ("username", "name", "email", "role", "team")
USERNAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
TEAM = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RosterError(ProblemsError):
    """The roster is invalid; `.problems` lists every bad line."""


@dataclasses.dataclass(frozen=True)
class Person:
    username: str
    name: str
    email: str
    role: str
    team: str = ""

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


@dataclasses.dataclass(frozen=True)
class Roster:
    people: tuple[Person, ...]

    def __iter__(self):
        return iter(self.people)

    def __len__(self) -> int:
        return len(self.people)

    def __contains__(self, username: object) -> bool:
        return any(p.username == username for p in self.people)

    def get(self, username: str) -> Person | None:
        return next((p for p in self.people if p.username == username), None)

    @property
    def usernames(self) -> set[str]:
        return {p.username for p in self.people}

    @property
    def students(self) -> list[Person]:
        return [p for p in self.people if not p.is_staff]

    @property
    def staff(self) -> list[Person]:
        return [p for p in self.people if p.is_staff]

    @property
    def instructors(self) -> list[Person]:
        return [p for p in self.people if p.role == "instructor"]

    def teams(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for p in self.people:
            if p.team:
                out.setdefault(p.team, []).append(p.username)
        return out


def parse_roster(text: str, source: str = "roster.csv") -> Roster:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    problems: list[Problem] = []
    required = COLUMNS[:4]
    missing = [c for c in required if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown:
        what = []
        if missing:
            what.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            what.append(f"unknown column(s) {', '.join(unknown)}")
        raise RosterError(
            [Problem(source, "line 1", f"{'; '.join(what)}; the header must be "
                     f"{','.join(COLUMNS)} (team is optional)")]
        )
    people: list[Person] = []
    first_line: dict[str, int] = {}
    for row, line in _rows(reader, source):
        where = f"line {line}"
        if None in row:
            problems.append(Problem(source, where, "more fields than the header has"))
            continue
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if not any(values.values()):
            continue
        username = values["username"]
        if not USERNAME.match(username):
            problems.append(Problem(
                source, where,
                f"username {username!r} is not valid: use 1-32 lowercase letters, digits, "
                "'_' or '-', starting with a letter (it becomes a container and volume name)",
            ))
        elif username in first_line:
            problems.append(Problem(
                source, where, f"username {username!r} already appears on line "
                f"{first_line[username]}",
            ))
        else:
            first_line[username] = line
        if values["role"] not in ROLES:
            problems.append(Problem(
                source, where, f"role {values['role']!r} is unknown; valid: {', '.join(ROLES)}"
            ))
        if not values["name"]:
            problems.append(Problem(source, where, "name is empty"))
        if not EMAIL.match(values["email"]):
            problems.append(Problem(source, where, f"email {values['email']!r} is not valid"))
        team = values.get("team", "")
        if team and not TEAM.match(team):
            problems.append(Problem(
                source, where,
                f"team {team!r} is not valid: 1-32 lowercase letters, digits, '_' or '-'",
            ))
        people.append(Person(username, values["name"], values["email"], values["role"], team))
    if not people and not problems:
        problems.append(Problem(source, "", "the roster has no people"))
    if people and not any(p.role == "instructor" for p in people) and not problems:
        problems.append(Problem(source, "", "the roster needs at least one instructor"))
    if problems:
        raise RosterError(problems)
    return Roster(tuple(people))


def _rows(reader: csv.DictReader, source: str):
    """(row, line number) pairs; a line the csv module cannot parse is a RosterError."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:  # e.g. a field over the csv module's 128 KiB limit
            # line_num counts the lines read before the one that failed
            problem = Problem(source, f"line {reader.line_num + 1}", f"not valid CSV: {err}")
            raise RosterError([problem]) from None
        yield row, reader.line_num


def load_roster(path: str | Path) -> Roster:
    path = Path(path)
    text = read_text_file(path, RosterError, "save the CSV as UTF-8", encoding="utf-8-sig")
    return parse_roster(text, str(path))
