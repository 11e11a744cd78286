"""Pretrained model folders in the course data folder (saved with `save_pretrained`).

Labs load them with `from_pretrained(path)` when present and otherwise build a tiny, randomly
initialised model from a config, so nothing is downloaded at run time.
"""

from pathlib import Path

from coursekit.paths import SUBFOLDERS, announce, data_dir, find


def pretrained_path(name: str) -> Path | None:
    """The local folder of pretrained model `name`, or None (and say so) when it is missing."""
    path = find(name)
    if path:
        announce("model", f"pretrained {name} from {path}")
    else:
        folder = data_dir() / SUBFOLDERS[name]
        announce(
            "model",
            f"a tiny randomly initialised model (offline fallback: {name} not found in {folder})",
        )
    return path
