"""Fill the shared course data folder from labs/data-manifest.yml; never fail on a download.

Runs inside the student image (it has the download libraries), fed on stdin by the
course_stack role:  python - MANIFEST DATA_DIR
Each entry of `datasets:` is fetched only when its marker file is absent. An entry gives its
`name`, its `target` folder (default: coursekit.paths.SUBFOLDERS[name]) and either `url`/`urls`
(plain files) or `hf_repo` (+ optional `repo_type`, a Hugging Face snapshot).
Prints one JSON line last: {"present": [...], "fetched": [...], "missing": [{"name", "reason"}]}.
"""

import json
import sys
import urllib.request
from pathlib import Path

import yaml


def subfolder(entry):
    if entry.get("target"):
        return entry["target"]
    try:
        from coursekit.paths import SUBFOLDERS
        return SUBFOLDERS[entry["name"]]
    except (ImportError, KeyError):
        return entry["name"]


def marker(entry):
    if entry.get("marker"):
        return entry["marker"]
    try:
        from coursekit.paths import MARKERS
        return MARKERS.get(entry["name"])
    except ImportError:
        return None


def fetch(entry, folder):
    urls = entry.get("urls") or ([entry["url"]] if entry.get("url") else [])
    if urls:
        folder.mkdir(parents=True, exist_ok=True)
        for item in urls:
            url = item["url"] if isinstance(item, dict) else item
            name = item.get("path") if isinstance(item, dict) else None
            dest = folder / (name or url.rsplit("/", 1)[-1])
            dest.parent.mkdir(parents=True, exist_ok=True)
            with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
                out.write(response.read())
        return
    if entry.get("hf_repo"):
        from huggingface_hub import snapshot_download
        snapshot_download(entry["hf_repo"], repo_type=entry.get("repo_type", "model"),
                          local_dir=str(folder))
        return
    raise ValueError("the entry names no url, urls or hf_repo to fetch it from")


def main(manifest_path, data_dir):
    manifest = yaml.safe_load(Path(manifest_path).read_text()) or {}
    report = {"present": [], "fetched": [], "missing": []}
    for entry in manifest.get("datasets") or []:
        name = entry.get("name", "?")
        folder = Path(data_dir) / subfolder(entry)
        mark = marker(entry)
        done = (folder / mark).exists() if mark else folder.is_dir() and any(folder.iterdir())
        if done:
            report["present"].append(name)
            continue
        try:
            fetch(entry, folder)
            report["fetched"].append(name)
        except Exception as err:  # a download failure is reported, never fatal
            report["missing"].append({"name": name, "reason": f"{type(err).__name__}: {err}"[:200]})
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
