"""The run size of a lab: a quick `smoke` run (CI, laptops) or the `full` run (one GPU)."""

import os

MODES = ("smoke", "full")


def mode() -> str:
    """Return the lab size from env LAB_MODE; without it, `full` on a GPU and `smoke` on a CPU."""
    chosen = os.environ.get("LAB_MODE", "").strip().lower()
    if chosen:
        if chosen not in MODES:
            raise ValueError(f"LAB_MODE must be one of {MODES}, not {chosen!r}")
        return chosen
    from coursekit.device import cuda_available

    return "full" if cuda_available() else "smoke"
