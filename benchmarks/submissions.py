"""Submission storm: N students submit A1 at once, then staff collect and autograde them all.

    python benchmarks/submissions.py [--students 100] [--jobs 2] [--no-autograde] [--write-docs]

A throw-away stack (its own names) with a roster of N students. Each student logs in through
the form and makes a hub API token for itself; then all N submit the same solved A1 notebook at
the same moment **through ngshare's REST API** (`POST submission/<course>/A1`, what
ngshare_exchange's `nbgrader submit` sends), each with their own token. Running N servers only
to call `nbgrader submit` would measure server starts, not ngshare. Then `course collect A1`
and `course autograde A1` run from the host as staff would (staff-tools container, sandboxes).

Reports: p50/p95/max submit latency, failures, lost (accepted by ngshare but missing from its
list or from the collected folder: must be 0), collect and autograde throughput. --no-autograde
stops after collect (autograde's throughput per submission does not depend on the burst's size,
and 300 sandboxed runs take hours on 2 cores). --write-docs puts the table under
"## Submissions" in docs/performance.md.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures as cf
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import requests  # noqa: E402
from coursework import wait_for_roster  # noqa: E402
from hubclient import HubClient  # noqa: E402
from report import percentile, write_result  # noqa: E402
from stackctl import new_stack  # noqa: E402

from hub.ngshare import Ngshare  # noqa: E402

COURSE_ID = "dl101"


def course_dir(students: int) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="subbench-"))
    start = dt.date.today() - dt.timedelta(days=17)  # "today" in week 3: A1 open, not yet due
    text = (ROOT / "course.yml").read_text()
    text = re.sub(r"(?m)^(  semester_start:) \S+", rf"\1 {start.isoformat()}", text)
    (folder / "course.yml").write_text(text)
    lines = ["username,name,email,role,team",
             "instructor,Course Instructor,i@example.edu,instructor,"]
    lines += [f"bench{i:03d},Bench {i},bench{i}@example.edu,student,"
              for i in range(1, students + 1)]
    (folder / "roster.csv").write_text("\n".join(lines) + "\n")
    shutil.copytree(ROOT / "labs", folder / "labs")
    shutil.copytree(ROOT / "assignments", folder / "assignments",
                    ignore=shutil.ignore_patterns("release", "gradebook.db"))
    folder.chmod(0o755)
    return folder


def course_cli(stack, *args: str) -> float:
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "hub.cli",
                    "--course", str(stack.course_dir / "course.yml"), *args,
                    "--stack", stack.name, "--dev-source", str(ROOT / "hub")],
                   cwd=ROOT, check=True)
    return time.monotonic() - start


def user_token(stack, username: str) -> str:
    client = HubClient(stack.url)
    client.login(username, stack.password, next_url="/hub/home")  # no server: ngshare only
    r = client.api("POST", f"/users/{username}/tokens", json={"note": "benchmark",
                                                              "expires_in": 3600})
    r.raise_for_status()
    return r.json()["token"]


def solved_notebook() -> str:
    """The source notebook is a complete solution (markers are comments)."""
    return base64.encodebytes((ROOT / "assignments/source/A1/A1.ipynb").read_bytes()).decode()


def submit(url: str, token: str, files: str, barrier: threading.Barrier) -> tuple[float, str]:
    barrier.wait()
    start = time.monotonic()
    try:
        r = requests.post(f"{url}/submission/{COURSE_ID}/A1", data={"files": files},
                          headers={"Authorization": f"token {token}"}, timeout=300)
        ok = r.ok and r.json().get("success")
        return time.monotonic() - start, "" if ok else f"HTTP {r.status_code}: {r.text[:100]}"
    except requests.RequestException as e:
        return time.monotonic() - start, str(e)


def run_benchmark(students: int, jobs: int, autograde: bool = True) -> dict:
    stack = new_stack("cbenchsub")
    stack.course_dir = course_dir(students)
    stack.up()
    try:
        course_cli(stack, "release", "A1")
        names = [f"bench{i:03d}" for i in range(1, students + 1)]
        with cf.ThreadPoolExecutor(8) as pool:
            tokens = dict(zip(names, pool.map(lambda n: user_token(stack, n), names), strict=True))
        url = f"{stack.url}/services/ngshare"
        admin = Ngshare(url, stack.secret("course_admin_token"))
        roster_synced_s = wait_for_roster(admin, COURSE_ID, set(names), timeout=600)
        files = json.dumps([{"path": "A1.ipynb", "content": solved_notebook()}])
        barrier = threading.Barrier(students)
        start = time.monotonic()
        with cf.ThreadPoolExecutor(students) as pool:
            results = dict(zip(names, pool.map(lambda n: submit(url, tokens[n], files, barrier),
                                               names), strict=True))
        storm = time.monotonic() - start
        accepted = {n for n, (_, e) in results.items() if not e}
        listed = {s["student_id"] for s in admin.submissions(COURSE_ID, "A1")}
        collect_s = course_cli(stack, "collect", "A1")
        collected = set(stack.compose(
            "run", "--rm", "--no-deps", "-v", f"{stack.name}-grading:/g:ro", "--entrypoint",
            "ls", "init", "/g/submitted").stdout.split())
        autograde_s = course_cli(stack, "autograde", "A1", "--jobs", str(jobs)) if autograde else 0
        latencies = [t for t, _ in results.values()]
        return {
            "students": students, "jobs": jobs,
            "submit_p50_s": round(percentile(latencies, 0.50), 3),
            "submit_p95_s": round(percentile(latencies, 0.95), 3),
            "submit_max_s": round(max(latencies), 3),
            "storm_s": round(storm, 2),
            "roster_in_ngshare_after_s": round(roster_synced_s, 1),
            "failures": students - len(accepted),
            "failure_examples": sorted({e for _, e in results.values() if e})[:3],
            "lost": len(accepted - listed) + len(accepted - collected),
            "collect_s": round(collect_s, 1),
            "collect_per_s": round(len(collected) / collect_s, 2),
            "autograde_s": round(autograde_s, 1) if autograde else None,
            "autograde_per_min": round(len(collected) / autograde_s * 60, 2) if autograde else None,
            "machine": f"{os.cpu_count()} cores",
            "date": dt.date.today().isoformat(),
        }
    finally:
        stack.down()


def markdown(r: dict) -> str:
    return "\n".join([
        "## Submissions",
        "",
        f"`python benchmarks/submissions.py --students {r['students']} --jobs {r['jobs']}` "
        f"({r['machine']}, {r['date']}): {r['students']} students submit A1 at the same moment "
        "through ngshare's API with their own tokens; then `course collect A1` and "
        f"`course autograde A1 --jobs {r['jobs']}` from the host.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| submit latency p50 / p95 / max | {r['submit_p50_s']} s / {r['submit_p95_s']} s / "
        f"{r['submit_max_s']} s |",
        f"| failures | {r['failures']} |",
        f"| lost (accepted but not listed or not collected) | {r['lost']} |",
        f"| collect | {r['collect_s']} s ({r['collect_per_s']} submissions/s) |",
    ] + ([f"| autograde (sandboxed) | {r['autograde_s']} s ({r['autograde_per_min']} "
          "submissions/min) |"] if r["autograde_s"] is not None else []) + [""])


def write_docs(section: str) -> None:
    path = ROOT / "docs" / "performance.md"
    text = path.read_text() if path.exists() else "# Performance\n\n"
    start = text.find("## Submissions")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2, help="sandboxes at once")
    parser.add_argument("--autograde", action=argparse.BooleanOptionalAction, default=True,
                        help="autograde what was collected (default) or stop after collect")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    result = run_benchmark(args.students, args.jobs, args.autograde)
    print(json.dumps(result, indent=2))
    write_result("submissions", result)
    print(markdown(result))
    if args.write_docs:
        write_docs(markdown(result))


if __name__ == "__main__":
    main()
