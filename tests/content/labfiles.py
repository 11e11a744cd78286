"""Where the labs live, for the content tests."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LABS = REPO / "labs"


def lab_folders() -> list[Path]:
    return sorted(p for p in LABS.glob("week[0-9][0-9]-*") if p.is_dir())
