"""Validation problems that name the file, the place in it and what would be valid."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError


@dataclasses.dataclass(frozen=True)
class Problem:
    source: str  # file name
    where: str  # field path ("assignments[2].due") or "line 7"
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.where}: {self.message}" if self.where else (
            f"{self.source}: {self.message}"
        )


class ProblemsError(ValueError):
    """One or more problems, all reported at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("int", "datetime", "str", "float", "date"):
            continue  # union branch names pydantic inserts into the location
        elif not str(part).strip():
            out += f".{part!r}" if out else repr(part)  # an empty key, still named
        else:
            out += f".{part}" if out else str(part)
    return out


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that owns the last key of `loc`, to list its valid keys."""
    current: object = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return None
        current = fields[part].annotation
        for _ in range(3):  # unwrap list[X] / X | None
            args = [a for a in typing.get_args(current) if a is not type(None)]
            if args and not (isinstance(current, type) and issubclass(current, BaseModel)):
                current = next((a for a in args if hasattr(a, "model_fields")), args[0])
    return current if hasattr(current, "model_fields") else None


def pydantic_problems(err: ValidationError, source: str, model: type[BaseModel]) -> list[Problem]:
    problems = []
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        message = e["msg"]
        if e["type"] == "extra_forbidden":
            owner = _model_at(model, loc)
            valid = ", ".join(sorted(owner.model_fields)) if owner else "see docs/course-file.md"
            message = f"unknown key {loc[-1]!r}; valid keys here: {valid}"
        elif e["type"] == "missing":
            message = "required key is missing"
        elif "input" in e and not isinstance(e["input"], dict | list):
            message = f"{message} (got {e['input']!r})"
        problems.append(Problem(source, _path(loc), message))
    return problems


def read_text_file(
    path: Path, error: type[ProblemsError], hint: str, encoding: str = "utf-8"
) -> str:
    """The text of a file staff edit, or `error` naming the file: unreadable, or not UTF-8
    (`hint` says what to do, e.g. "save the CSV as UTF-8")."""
    try:
        return path.read_text(encoding=encoding)
    except OSError as err:
        raise error([Problem(str(path), "", f"cannot read: {err.strerror}")]) from None
    except UnicodeDecodeError:
        raise error([Problem(str(path), "", f"not UTF-8 text; {hint}")]) from None
