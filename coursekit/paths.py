"""Where the shared, read-only course data folder is and what the labs look for inside it.

The server fills the folder once (see labs/data-manifest.yml) and mounts it into every student
container, so 300 students do not download the same data set. The manifest's reader
(hub/datamanifest.py, run by `course validate`) checks that every entry coursekit loads sits at
the `target` and `marker` named here.
"""

import os
from pathlib import Path

DEFAULT_DATA_DIR = "/srv/course-data"

# Manifest entry name -> folder under the data dir, and a file that proves it is complete.
SUBFOLDERS = {
    "mnist": "vision/MNIST",
    "cifar10": "vision/cifar-10-batches-py",
    "ag_news": "text/ag_news",
    "cora": "graphs/Cora",
    "distilbert-base-uncased": "models/distilbert-base-uncased",
    "SmolLM2-135M-Instruct": "models/SmolLM2-135M-Instruct",
}
MARKERS = {
    "mnist": "raw/train-images-idx3-ubyte",
    "cifar10": "batches.meta",
    "ag_news": "dataset_dict.json",
    "cora": "raw/ind.cora.graph",
    "distilbert-base-uncased": "config.json",
    "SmolLM2-135M-Instruct": "config.json",
}


def data_dir() -> Path:
    """The course data folder: env COURSE_DATA_DIR, else /srv/course-data (may not exist)."""
    return Path(os.environ.get("COURSE_DATA_DIR") or DEFAULT_DATA_DIR)


def find(name: str) -> Path | None:
    """The folder of manifest entry `name` when it is present and complete, else None."""
    folder = data_dir() / SUBFOLDERS[name]
    return folder if (folder / MARKERS[name]).exists() else None


def announce(what: str, source: str) -> None:
    """Say clearly which data a lab is using (real course data or an offline fallback)."""
    print(f"[coursekit] {what}: {source}")
