"""A minimal experiment tracker: one folder per run, plain files, no server.

    with Run(config, root="runs") as run:
        for step in ...:
            run.log(step, train_loss=..., val_acc=...)
        run.summary(val_acc=best, test_acc=final)

Each run folder holds config.json, environment.json (versions, device, git commit),
metrics.jsonl (one JSON object per log call) and summary.json (final numbers and status).
`load_runs(root)` reads them back as a list of flat dicts (e.g. for pandas.DataFrame).
"""

import hashlib
import json
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

PACKAGES = ["torch", "numpy", "transformers", "torch_geometric", "scikit-learn"]


def environment() -> dict:
    """What is needed to rerun: Python, package versions, GPU, git commit."""
    env = {"python": sys.version.split()[0], "platform": platform.platform()}
    for pkg in PACKAGES:
        try:
            env[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    try:
        import torch

        env["device"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    except ImportError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, timeout=5)
        if commit.returncode == 0:
            env["git_commit"] = commit.stdout.strip()
            env["git_dirty"] = bool(dirty.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return env


class Run:
    def __init__(self, config: dict, root: str | Path = "runs", name: str = "run"):
        self.config = dict(config)
        digest = hashlib.sha1(json.dumps(self.config, sort_keys=True).encode()).hexdigest()[:8]
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.dir = Path(root) / f"{stamp}-{name}-{digest}"
        suffix = 1
        while self.dir.exists():  # two runs with the same config in the same second
            self.dir = Path(root) / f"{stamp}-{name}-{digest}-{suffix}"
            suffix += 1
        self.dir.mkdir(parents=True)
        self._write("config.json", self.config)
        self._write("environment.json", environment())
        self._start = time.time()
        self._summary: dict = {}

    def _write(self, filename: str, obj) -> None:
        (self.dir / filename).write_text(json.dumps(obj, indent=2, sort_keys=True))

    def log(self, step: int, **metrics) -> None:
        with open(self.dir / "metrics.jsonl", "a") as f:
            f.write(json.dumps({"step": step, "time": time.time() - self._start, **metrics}) + "\n")

    def summary(self, **final) -> None:
        self._summary.update(final)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        status = "ok" if exc_type is None else f"failed: {exc_type.__name__}: {exc}"
        self._write("summary.json", {**self._summary, "status": status,
                                     "seconds": round(time.time() - self._start, 2)})
        return False  # never swallow the exception


def load_runs(root: str | Path = "runs") -> list[dict]:
    """One flat dict per run: config keys, summary keys, and the run folder."""
    rows = []
    for folder in sorted(Path(root).glob("*/")):
        if not (folder / "summary.json").exists():
            continue
        config = json.loads((folder / "config.json").read_text())
        summary = json.loads((folder / "summary.json").read_text())
        rows.append({**config, **summary, "run": folder.name})
    return rows


def load_metrics(run_dir: str | Path) -> list[dict]:
    lines = (Path(run_dir) / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line]
