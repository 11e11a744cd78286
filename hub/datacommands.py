"""`course data ...`: the shared course data folder from the command line (hub/data.py).

    course data status [--data-dir DIR]     one line per manifest entry; exit 1 if any is missing
    course data fetch [--mirror URL]        fetch the missing entries (exit 1 if any stays missing)
    course data export FILE                 the staged entries as one bundle, with checksums
    course data import FILE                 stage the missing entries from a bundle, verified

The manifest is labs/data-manifest.yml next to the course file (`--manifest` for another).
Exit 2: the manifest is invalid, the data folder does not exist, or the bundle is unreadable.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.console import Console

err = Console(stderr=True, highlight=False, soft_wrap=True)


def cmd_data(args: argparse.Namespace) -> int:
    from hub import data
    from hub.datamanifest import MANIFEST_NAME, ManifestError, load_manifest

    path = args.manifest or args.course.parent / "labs" / MANIFEST_NAME
    try:
        manifest = load_manifest(path)
    except ManifestError as e:
        err.print(f"[bold red]{len(e.problems)} problem(s)[/] in the data manifest:")
        for p in e.problems:
            err.print(f"  {p}", markup=False)
        return 2
    data_dir = manifest.data_dir(args.data_dir)
    if args.data_command == "status":
        lines, missing = data.status_lines(manifest, data_dir)
        print(f"course data in {data_dir} ({path}):")
        print("\n".join(lines))
        print(f"{len(lines) - missing} present, {missing} missing")
        return 1 if missing else 0
    if args.data_command == "export":
        missing = data.export_bundle(manifest, data_dir, args.file)
        return 1 if missing else 0
    if not data_dir.is_dir():
        err.print(f"data folder {data_dir} does not exist; create it (owned by who runs this)")
        return 2
    try:
        if args.data_command == "fetch":
            mirror = args.mirror or os.environ.get("COURSE_DATA_MIRROR") or None
            report = data.fetch_missing(manifest, data_dir, mirror, say=_say)
        else:
            report = data.import_bundle(manifest, data_dir, args.file, say=_say)
    except (data.BundleError, RuntimeError) as e:
        err.print(str(e), markup=False)
        return 2
    print(report.summary())
    print(data.REPORT_TAG + report.as_json(), flush=True)
    return 1 if report.missing else 0


def _say(line: str) -> None:
    print(line, flush=True)  # one line per entry as it goes (a deploy waits on this)


def add_data_commands(sub) -> None:
    data = sub.add_parser("data", help="the shared course data folder").add_subparsers(
        dest="data_command", required=True, metavar="ACTION"
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        help="the data folder (default: $COURSE_DATA_DIR, else the manifest's default_data_dir)",
    )
    common.add_argument(
        "--manifest",
        type=Path,
        help="the data manifest (default: labs/data-manifest.yml by the course)",
    )
    data.add_parser(
        "status", parents=[common], help="each entry: present or missing (exit 1 if any is missing)"
    ).set_defaults(func=cmd_data)
    fetch = data.add_parser("fetch", parents=[common], help="fetch the missing entries")
    fetch.add_argument(
        "--mirror",
        help="the site's data mirror URL (default: $COURSE_DATA_MIRROR, else the public sources)",
    )
    fetch.set_defaults(func=cmd_data)
    for action, text in (
        ("export", "write the staged entries to a bundle FILE"),
        ("import", "stage the missing entries from a bundle FILE, verified"),
    ):
        parser = data.add_parser(action, parents=[common], help=text)
        parser.add_argument("file", type=Path, metavar="FILE")
        parser.set_defaults(func=cmd_data)
