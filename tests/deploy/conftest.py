"""Fixtures of the deploy tests: one throw-away Debian 12 target for the whole session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deployctl import RESULTS, new_target  # noqa: E402
from dockercheck import require_docker  # noqa: E402


@pytest.fixture(scope="session")
def target():
    require_docker()
    t = new_target()
    try:
        t.start()
        yield t
    finally:
        logs = subprocess.run(
            ["bash", "-c", f"docker logs {t.stack}_hub_1 2>&1 | tail -n 200"],
            capture_output=True,
            text=True,
        ).stdout
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "deploy-hub.log").write_text(logs)
        t.stop()
