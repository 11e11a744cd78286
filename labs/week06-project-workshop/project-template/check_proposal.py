"""Check a project proposal against the course checklist.

Usage: python check_proposal.py proposal.md
Prints missing sections, sections still containing TODO, and unticked checklist items;
exits with status 1 when anything is missing.
"""

import re
import sys
from pathlib import Path

REQUIRED_SECTIONS = [
    "Problem", "Related work", "Data", "Method", "Baselines",
    "Evaluation", "Compute budget", "Risks", "Timeline", "Checklist",
]


def sections(text: str) -> dict[str, str]:
    """Map each '## Heading' to the text under it."""
    parts = re.split(r"^## +(.+?)\s*$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def problems(text: str) -> list[str]:
    found = sections(text)
    issues = [f"missing section: {name}" for name in REQUIRED_SECTIONS if name not in found]
    issues += [f"section still has TODO: {name}" for name, body in found.items() if "TODO" in body]
    if "TODO" in text.split("\n## ")[0]:
        issues.append("title or team line still has TODO")
    issues += [f"unticked: {item.strip()}" for item in re.findall(r"^- \[ \] (.+)$", text, re.M)]
    return issues


if __name__ == "__main__":
    issues = problems(Path(sys.argv[1]).read_text())
    print("\n".join(issues) if issues else "proposal complete")
    sys.exit(1 if issues else 0)
