"""Pull storm: N students open this week's lab link at the same moment.

    .venv/bin/python benchmarks/pulls.py --students 50

A throw-away stack (its own names) with N bench students; the course-admin service publishes
the released weeks as it does on a server. All N servers are started first (not timed: the
spawn benchmark measures that), then:

1. baseline, in the same invocation: one student pulls week 1 alone on the quiet stack;
2. the storm: the other N-1 students pull week 1 at once, released by a barrier, each the way
   the git-pull page does it in a browser (nbgitpuller's `/git-pull/api` event stream, read to
   its `finished` event);
3. every student's home is checked for the week's notebook through the contents API.

Reports the lone pull, the storm's p50/p95/max and makespan, failures and notebooks missing.
Results: printed and written to benchmarks/results/pulls-<time>.json.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hubclient import HubClient  # noqa: E402
from report import percentile, write_result  # noqa: E402
from stackctl import course_copy, new_stack  # noqa: E402

sys.path.insert(0, str(ROOT / "tests" / "stack"))
from test_labs import WEEK1, link, pull  # noqa: E402

NOTEBOOK = f"labs/{WEEK1}/{WEEK1}.ipynb"


def course_with(students: int) -> Path:
    folder = course_copy(Path(tempfile.mkdtemp(prefix="pullbench-")))
    lines = [
        "username,name,email,role,team",
        "instructor,Course Instructor,i@example.edu,instructor,",
    ]
    lines += [f"bench{i:03d},Bench {i},bench{i}@example.edu,student," for i in range(students)]
    (folder / "roster.csv").write_text("\n".join(lines) + "\n")
    return folder


def started(stack, username: str) -> HubClient:
    client = HubClient(stack.url)
    client.login(username, stack.password)
    if not client.logged_in():
        raise RuntimeError(f"{username}: login failed")
    client.start_server(timeout=1200)
    return client


def timed_pull(client: HubClient, url: str, barrier: threading.Barrier | None) -> float:
    if barrier is not None:
        barrier.wait()
    start = time.monotonic()
    pull(client, url)
    return time.monotonic() - start


def measure(students: int, spawn_parallel: int) -> dict:
    stack = new_stack("benchpull")
    stack.course_dir = course_with(students)
    try:
        stack.up()
        url = link(stack, 1)
        t0 = time.monotonic()
        names = [f"bench{i:03d}" for i in range(students)]
        with cf.ThreadPoolExecutor(spawn_parallel) as pool:
            clients = dict(zip(names, pool.map(lambda n: started(stack, n), names), strict=True))
        spawn_all = time.monotonic() - t0
        time.sleep(10)  # let the servers settle to idle

        lone = timed_pull(clients[names[0]], url, None)
        storm_names = names[1:]
        barrier = threading.Barrier(len(storm_names))
        times, failures = [], []
        t0 = time.monotonic()
        with cf.ThreadPoolExecutor(len(storm_names)) as pool:
            futures = {pool.submit(timed_pull, clients[n], url, barrier): n for n in storm_names}
            for future in cf.as_completed(futures):
                try:
                    times.append(future.result())
                except Exception as err:  # noqa: BLE001  (a failure is a result here)
                    failures.append(f"{futures[future]}: {type(err).__name__}: {err}"[:200])
        makespan = time.monotonic() - t0
        missing = [n for n in names if not clients[n].get_file(NOTEBOOK).ok]
        return {
            "students": students,
            "spawn_all_s": round(spawn_all, 1),
            "lone_pull_s": round(lone, 2),
            "storm_pulls": len(storm_names),
            "p50_s": round(statistics.median(times), 2) if times else None,
            "p95_s": round(percentile(times, 0.95), 2) if times else None,
            "max_s": round(max(times), 2) if times else None,
            "makespan_s": round(makespan, 2),
            "failures": len(failures),
            "failure_reasons": failures[:5],
            "notebooks_missing": len(missing),
        }
    finally:
        stack.down()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument(
        "--spawn-parallel", type=int, default=10, help="servers started at once before the storm"
    )
    args = parser.parse_args()
    result = measure(args.students, args.spawn_parallel)
    print(json.dumps(result, indent=1))
    write_result("pulls", result)


if __name__ == "__main__":
    main()
