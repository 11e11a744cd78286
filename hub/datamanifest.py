"""The labs' data manifest (labs/data-manifest.yml): the one reader of what a server stages into
the shared course data folder.

`load_manifest(path)` validates it (pydantic, like the course file); `manifest_problems` adds the
checks that need the labs: every entry sits where coursekit's loaders look for it
(coursekit/paths.py), every lab an entry names exists, and every loader call in a lab's notebook
names an entry that lists that lab. The fetcher (hub/datafetch.py), `course data` (hub/data.py)
and `course validate` all read the manifest through this module.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, Field, ValidationError, model_validator

from hub.course import Strict, yaml_problem
from hub.problems import Problem, ProblemsError, pydantic_problems, read_text_file

MANIFEST_NAME = "data-manifest.yml"

# What each kind's fetcher can get (hub/datafetch.py) and the folder the library makes under
# `root` for it: the entry's target must be exactly that folder.
TORCHVISION_FOLDERS = {"MNIST": "MNIST", "CIFAR10": "cifar-10-batches-py"}
PLANETOID_SOURCES = ("Cora", "CiteSeer", "PubMed")
HF_REPO_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$"

# The coursekit loader calls a lab's notebook may make, and the entry each one reads.
# (pattern, entry): without a fixed entry the call's first argument is the entry's name.
LOADER_CALLS = (
    (r"load_images\(\s*[\"']([\w.-]+)[\"']", None),
    (r"load_graph\(\s*[\"']([\w.-]+)[\"']", None),
    (r"pretrained_path\(\s*[\"']([\w.-]+)[\"']", None),
    (r"load_text_classification\(", "ag_news"),
)


class ManifestError(ProblemsError):
    """The manifest is invalid; `.problems` lists every reason."""


def _relative(value: str) -> str:
    path = PurePosixPath(value)
    if not value or path.is_absolute() or ".." in path.parts or "\\" in value:
        raise ValueError(f"must be a relative path inside the data folder, not {value!r}")
    return str(path)


RelPath = Annotated[str, AfterValidator(_relative)]


class Entry(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    kind: Literal["torchvision", "hf-dataset", "hf-model", "pyg-planetoid"]
    source: str = Field(min_length=1)
    root: RelPath | None = None
    target: RelPath
    marker: RelPath
    size_mb: float = Field(gt=0)
    labs: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Entry:
        if self.kind == "torchvision":
            folder = TORCHVISION_FOLDERS.get(self.source)
            if folder is None:
                raise ValueError(
                    f"torchvision source {self.source!r} has no fetcher; "
                    f"valid: {', '.join(TORCHVISION_FOLDERS)}"
                )
        elif self.kind == "pyg-planetoid":
            if self.source not in PLANETOID_SOURCES:
                raise ValueError(
                    f"Planetoid source {self.source!r} is not one of {', '.join(PLANETOID_SOURCES)}"
                )
            folder = self.source
        else:
            if not re.match(HF_REPO_RE, self.source):
                raise ValueError(f"source {self.source!r} must be a Hugging Face repo 'owner/name'")
            if self.root is not None:
                raise ValueError(f"kind {self.kind} takes no root (it writes to target)")
            return self
        if self.root is None:
            raise ValueError(f"kind {self.kind} needs root: the folder the library is given")
        expected = f"{self.root}/{folder}"
        if self.target != expected:
            raise ValueError(
                f"{self.kind} {self.source} under root {self.root!r} lands in {expected!r}, "
                f"so target must be {expected!r}, not {self.target!r}"
            )
        return self

    @property
    def library_folder(self) -> str:
        """The folder name the source's library uses inside its root."""
        return PurePosixPath(self.target).name


class Manifest(Strict):
    data_dir_env: str = "COURSE_DATA_DIR"
    default_data_dir: str = "/srv/course-data"
    entries: list[Entry]

    def entry(self, name: str) -> Entry:
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise KeyError(f"no entry {name!r} in the data manifest; entries: {self.names()}")

    def names(self) -> str:
        return ", ".join(e.name for e in self.entries)

    def data_dir(self, override: str | Path | None = None) -> Path:
        """--data-dir, else the environment variable the manifest names, else its default."""
        return Path(override or os.environ.get(self.data_dir_env) or self.default_data_dir)


def _label(manifest_data: object, index: int) -> str:
    """`entries[2] (cifar10)`: the index as pydantic gives it, and the entry's name."""
    try:
        name = manifest_data["entries"][index]["name"]
    except (KeyError, IndexError, TypeError):
        return f"entries[{index}]"
    return f"entries[{index}] ({name})"


def parse_manifest(data: object, source: str = MANIFEST_NAME) -> Manifest:
    if not isinstance(data, dict):
        raise ManifestError([Problem(source, "", "the file must be a mapping with 'entries:'")])
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as err:
        problems = pydantic_problems(err, source, Manifest)
        named = []
        for p in problems:  # name the entry, not only its index
            m = re.match(r"entries\[(\d+)\](.*)", p.where)
            where = _label(data, int(m.group(1))) + m.group(2) if m else p.where
            named.append(Problem(p.source, where, p.message))
        raise ManifestError(named) from None
    problems = shared_problems(manifest, source)
    if problems:
        raise ManifestError(problems)
    return manifest


def shared_problems(manifest: Manifest, source: str) -> list[Problem]:
    """Two entries with one name, or one folder (the same target, or one inside the other)."""
    problems = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(manifest.entries):
        where = f"entries[{i}] ({entry.name})"
        if entry.name in seen:
            problems.append(
                Problem(source, where + ".name", f"name also used by entries[{seen[entry.name]}]")
            )
        seen.setdefault(entry.name, i)
        for j, other in enumerate(manifest.entries[:i]):
            mine, theirs = PurePosixPath(entry.target), PurePosixPath(other.target)
            if mine == theirs or theirs in mine.parents or mine in theirs.parents:
                problems.append(
                    Problem(
                        source,
                        where + ".target",
                        f"{entry.target!r} shares its folder with entries[{j}] ({other.name}), "
                        f"target {other.target!r}; each entry needs a folder of its own",
                    )
                )
    return problems


def load_manifest(path: str | Path) -> Manifest:
    path = Path(path)
    text = read_text_file(path, ManifestError, "save the file as UTF-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ManifestError([yaml_problem(err, text, str(path))]) from None
    return parse_manifest(data, str(path))


def lab_data_uses(notebook: Path) -> set[str]:
    """The manifest entries a lab notebook's code cells load through coursekit."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return set()  # lab_problems reports a missing or broken notebook
    code = "\n".join("".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code")
    used = set()
    for pattern, fixed in LOADER_CALLS:
        for match in re.finditer(pattern, code):
            used.add(fixed or match.group(1))
    return used


def manifest_problems(manifest: Manifest, labs_dir: Path, source: str) -> list[Problem]:
    """What needs the labs and coursekit: labs that exist, loaders that find their entries."""
    from coursekit import paths

    problems = []
    labs = {p.name: p for p in labs_dir.glob("week[0-9][0-9]-*") if p.is_dir()}
    for i, entry in enumerate(manifest.entries):
        where = f"entries[{i}] ({entry.name})"
        for lab in entry.labs:
            if lab not in labs:
                problems.append(
                    Problem(source, where + ".labs", f"no lab folder {lab!r} in {labs_dir}/")
                )
        # An entry coursekit has no loader for is fine (a lab may read it by path); one it has
        # a loader for must sit exactly where that loader looks.
        looks = paths.SUBFOLDERS.get(entry.name), paths.MARKERS.get(entry.name)
        if looks[0] is not None and looks != (entry.target, entry.marker):
            problems.append(
                Problem(
                    source,
                    where,
                    f"target/marker {entry.target}/{entry.marker} is not where "
                    f"coursekit looks: {looks[0]}/{looks[1]} (coursekit/paths.py)",
                )
            )
    names = {e.name: e for e in manifest.entries}
    for lab, folder in sorted(labs.items()):
        for name in sorted(lab_data_uses(folder / f"{lab}.ipynb")):
            if name not in names:
                problems.append(
                    Problem(
                        source,
                        "entries",
                        f"lab {lab} loads {name!r}, which the manifest lacks "
                        f"(entries: {manifest.names()})",
                    )
                )
            elif lab not in names[name].labs:
                i = manifest.entries.index(names[name])
                problems.append(
                    Problem(
                        source,
                        f"entries[{i}] ({name}).labs",
                        f"lab {lab} loads {name!r} but is not listed in its labs",
                    )
                )
    return problems


def data_problems(labs_dir: Path) -> list[Problem]:
    """Every problem with labs/data-manifest.yml, for `course validate`."""
    path = labs_dir / MANIFEST_NAME
    if not path.exists():
        used = {
            name
            for p in labs_dir.glob("week[0-9][0-9]-*")
            for name in lab_data_uses(p / f"{p.name}.ipynb")
        }
        if used:
            return [Problem(str(path), "", f"missing, but the labs load {', '.join(sorted(used))}")]
        return []
    try:
        manifest = load_manifest(path)
    except ManifestError as err:
        return err.problems
    return manifest_problems(manifest, labs_dir, str(path))
