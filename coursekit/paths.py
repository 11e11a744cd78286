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


# What each loader uses when its entry is not staged (coursekit.vision, text, graphs, models).
FALLBACKS = {
    "mnist": "scikit-learn's 8x8 digits",
    "cifar10": "scikit-learn's 8x8 digits",
    "ag_news": "synthetic AG-News-like headlines",
    "cora": "PyG's Zachary karate club graph",
    "distilbert-base-uncased": "a tiny randomly initialised BERT",
    "SmolLM2-135M-Instruct": "a tiny randomly initialised Llama",
}


def data_report(*names: str) -> bool:
    """Say, before a lab starts, which data it will use: each entry's real data set in the
    course data folder, or the fallback and why. True when every entry is staged."""
    staged = True
    for name in names:
        folder = data_dir() / SUBFOLDERS[name]
        if find(name):
            print(f"[coursekit] data: {name} -- the real data set, from {folder}")
        else:
            staged = False
            print(
                f"[coursekit] data: {name} -- NOT staged ({folder / MARKERS[name]} not found): "
                f"this run uses the offline fallback, {FALLBACKS[name]}; "
                "results will not match the real data set's"
            )
    return staged


def announce(what: str, source: str) -> None:
    """Say clearly which data a lab is using (real course data or an offline fallback)."""
    print(f"[coursekit] {what}: {source}")
