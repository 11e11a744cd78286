"""The similarity report: pairwise code similarity across one assignment's submissions.

copydetect (winnowed fingerprints of tokenised code, with variable, function and string names
abstracted away, so renaming variables does not hide a copy) compares each student's code
with every other's. Only code counts: the code cells of each notebook are extracted first
(IPython magics and shell lines dropped), and the released template's code is boilerplate,
so its fingerprints never count as overlap.

A pair's similarity is the larger of its two fractions: the share of student A's code
(after removing the template) found in B's, and the share of B's found in A's. So a short
submission copied wholesale into a longer one is flagged too.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path

import nbformat


@dataclasses.dataclass(frozen=True)
class Pair:
    student_a: str
    student_b: str
    fraction_a: float  # share of A's code (template removed) that also appears in B's
    fraction_b: float
    overlap_tokens: int

    @property
    def similarity(self) -> float:
        return max(self.fraction_a, self.fraction_b)


@dataclasses.dataclass(frozen=True)
class SimilarityReport:
    assignment: str
    threshold: float
    pairs: tuple[Pair, ...]  # every compared pair, most similar first
    html: Path
    csv: Path
    unreadable: tuple[str, ...]  # "student: reason" for submissions that could not be read

    @property
    def flagged(self) -> tuple[Pair, ...]:
        # strictly above, as copydetect's HTML report selects its pairs
        return tuple(p for p in self.pairs if p.similarity > self.threshold)


def notebook_code(path: Path) -> str:
    """The code cells of a notebook, as one Python source; magics and shell lines dropped."""
    nb = nbformat.read(path, as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = [ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        cells.append("\n".join(lines))
    return "\n\n".join(cells) + "\n"


def folder_code(folder: Path) -> str:
    """All code a submission folder holds: notebooks' code cells, then .py files, sorted."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if ".ipynb_checkpoints" in path.parts or not path.is_file():
            continue
        if path.suffix == ".ipynb":
            parts.append(f"# ---- {path.relative_to(folder)}\n{notebook_code(path)}")
        elif path.suffix == ".py":
            parts.append(f"# ---- {path.relative_to(folder)}\n{path.read_text(encoding='utf-8')}")
    return "\n".join(parts)


def compare(
    assignment: str,
    submissions: Mapping[str, Path],
    template: Iterable[Path],
    out_dir: str | Path,
    threshold: float,
    noise_t: int = 25,
    guarantee_t: int = 25,
) -> SimilarityReport:
    """Compare the submission folders (by student) against each other; the template folders'
    code is boilerplate. Writes <out_dir>/<assignment>-similarity.html and .csv, and the
    extracted code under <out_dir>/<assignment>-code/ so staff can read what was compared.
    """
    import matplotlib

    matplotlib.use("Agg")  # copydetect draws its report's charts with pyplot
    from copydetect import CopyDetector

    out_dir = Path(out_dir)
    code_dir = out_dir / f"{assignment}-code"
    (code_dir / "template").mkdir(parents=True, exist_ok=True)
    detector = CopyDetector(
        extensions=["py"], noise_t=noise_t, guarantee_t=guarantee_t, display_t=threshold,
        autoopen=False, silent=True, out_file=str(out_dir / f"{assignment}-similarity.html"),
    )
    for i, folder in enumerate(template):
        boilerplate = code_dir / "template" / f"template-{i}.py"
        boilerplate.write_text(folder_code(Path(folder)), encoding="utf-8")
        detector.add_file(str(boilerplate), type="boilerplate")
    unreadable = []
    for student, folder in sorted(submissions.items()):
        try:
            code = folder_code(Path(folder))
        except (OSError, ValueError, UnicodeDecodeError) as err:  # nbformat raises ValueErrors
            unreadable.append(f"{student}: {err}")
            continue
        path = code_dir / f"{student}.py"
        path.write_text(code, encoding="utf-8")
        detector.add_file(str(path))
    pairs: list[Pair] = []
    if len(detector.test_files) >= 2:
        detector.run()
        pairs = _pairs(detector)
        detector.generate_html_report()
    else:
        Path(detector.conf.out_file).write_text(
            "<p>Fewer than two readable submissions: nothing to compare.</p>", encoding="utf-8"
        )
    report = SimilarityReport(
        assignment, threshold, tuple(pairs), Path(detector.conf.out_file),
        out_dir / f"{assignment}-similarity.csv", tuple(unreadable),
    )
    _write_csv(report)
    return report


def compare_course_folder(
    course_root: str | Path, assignment: str, out_dir: str | Path, threshold: float
) -> SimilarityReport:
    """The nbgrader course folder's layout: submitted/<student>/<A>/ against release/<A>/."""
    root = Path(course_root)
    submissions = {
        p.parent.name: p for p in sorted(root.glob(f"submitted/*/{assignment}")) if p.is_dir()
    }
    template = [root / "release" / assignment]
    if not template[0].is_dir():
        raise FileNotFoundError(
            f"{template[0]} does not exist: the released template is needed so that its code "
            "does not count as similarity (run `nbgrader generate_assignment` first)"
        )
    return compare(assignment, submissions, template, out_dir, threshold)


def _pairs(detector) -> list[Pair]:
    sims = detector.similarity_matrix
    overlap = detector.token_overlap_matrix
    found: dict[tuple[str, str], Pair] = {}
    for i, test_f in enumerate(detector.test_files):
        for j, ref_f in enumerate(detector.ref_files):
            if sims[i, j, 0] < 0:
                continue  # not compared (the same file)
            a, b = Path(test_f).stem, Path(ref_f).stem
            if a > b:
                continue  # each pair once, alphabetical
            found[(a, b)] = Pair(a, b, float(sims[i, j, 0]), float(sims[i, j, 1]),
                                 int(overlap[i, j]))
    return sorted(found.values(), key=lambda p: (-p.similarity, p.student_a, p.student_b))


def _write_csv(report: SimilarityReport) -> None:
    with report.csv.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["student_a", "student_b", "similarity", "fraction_a", "fraction_b",
                      "overlap_tokens"])
        for p in report.flagged:
            out.writerow([p.student_a, p.student_b, f"{p.similarity:.3f}",
                          f"{p.fraction_a:.3f}", f"{p.fraction_b:.3f}", p.overlap_tokens])
