"""How big a submission is, and the message that refuses one over the course's limit (pure:
used by hub.grading.submit_limit inside student servers, tested without ngshare)."""

from __future__ import annotations

import os

LIMIT_ENV = "COURSE_SUBMISSION_LIMIT_MB"
DEFAULT_LIMIT_MB = 50
MB = 1024 * 1024


def submitted_files(src: str, ignore) -> list[tuple[str, int]]:
    """(path relative to src, bytes) of what ngshare_exchange would upload, biggest first."""
    found = []
    for directory, _, files in os.walk(src):
        for name in files:
            size = os.path.getsize(os.path.join(directory, name))
            if ignore and ignore(directory, name, size):
                continue
            found.append((os.path.relpath(os.path.join(directory, name), src), size))
    return sorted(found, key=lambda item: -item[1])


def too_big(files: list[tuple[str, int]], limit_mb: float) -> str | None:
    total = sum(size for _, size in files)
    if total <= limit_mb * MB:
        return None
    biggest = ", ".join(f"{path} ({size / MB:.1f} MB)" for path, size in files[:3])
    return (
        f"This submission is {total / MB:.1f} MB, over the course's limit of {limit_mb:g} MB, "
        f"so nothing was submitted. Largest files: {biggest}. Move data sets, model weights "
        "and checkpoints out of the assignment folder (keep them in your home or the course "
        "data folder), then submit again."
    )
