"""docs/course-file.md describes every key of the course file's model, each in its own
section: a key counts only where the section of its top-level key (`### \\`auth\\``) names it
in backticks, so a word that happens to appear elsewhere in the page does not count."""

import re
from pathlib import Path

from pydantic import BaseModel

from hub.course import Course

DOC = (Path(__file__).resolve().parents[2] / "docs" / "course-file.md").read_text()


def keys(model: type[BaseModel]) -> set[str]:
    """Every key of `model` and of the models nested in it (lists and optionals too)."""
    out = set()
    for name, field in model.model_fields.items():
        out.add(name)
        inner = field.annotation
        for candidate in (inner, *getattr(inner, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                out |= keys(candidate)
    return out


def sections(doc: str) -> dict[str, str]:
    """`### \\`name\\`` heading -> its text, up to the next heading of level 2 or 3."""
    parts = re.split(r"(?m)^(#{2,3} .*)$", doc)
    found = {}
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        if m := re.match(r"### `([a-z0-9_]+)`", heading):
            found[m.group(1)] = body
    return found


def test_every_top_level_key_has_its_section():
    missing = set(Course.model_fields) - set(sections(DOC))
    assert not missing, f"give these keys a '### `key`' section in docs/course-file.md: {missing}"


def test_every_nested_key_is_described_in_its_section():
    documented = sections(DOC)
    missing = []
    for top, field in Course.model_fields.items():
        body = documented.get(top, "")
        inner = field.annotation
        for model in (inner, *getattr(inner, "__args__", ())):
            if isinstance(model, type) and issubclass(model, BaseModel):
                for key in sorted(keys(model)):
                    if f"`{key}`" not in body:
                        missing.append(f"{top}.{key}")
    assert not missing, f"describe these keys in their section of docs/course-file.md: {missing}"


def test_the_check_sees_a_key_outside_its_section_as_missing():
    # `lab_hours` moved out of the `course` section into another one is not documented.
    row = next(line for line in DOC.splitlines() if line.startswith("| `lab_hours`"))
    moved = DOC.replace(row + "\n", "").replace("### `similarity`", f"### `similarity`\n{row}")
    assert "lab_hours" not in sections(moved)["course"]
    assert "`lab_hours`" in moved
