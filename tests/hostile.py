"""How many hostile or bad-input cases the suite tried: every such test counts its cases here,
and the run's summary lists them (tests/conftest.py), also written to
test-results/hostile-cases.json."""

from __future__ import annotations

import collections

TRIED: collections.Counter[str] = collections.Counter()


def tried(suite: str, n: int = 1) -> None:
    TRIED[suite] += n
