"""docs/course-file.md describes every key of the course file's model."""

import re
from pathlib import Path

from pydantic import BaseModel

from hub.course import Course

DOC = (Path(__file__).resolve().parents[2] / "docs" / "course-file.md").read_text()


def keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    out = set()
    for name, field in model.model_fields.items():
        out.add(name)
        inner = field.annotation
        for candidate in (inner, *getattr(inner, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                out |= keys(candidate)
    return out


def test_every_key_is_documented():
    documented = set(re.findall(r"`([a-z0-9_]+)`", DOC))
    missing = keys(Course) - documented
    assert not missing, f"describe these keys in docs/course-file.md: {sorted(missing)}"
