"""`course autograde`: orchestrated from wherever the Docker engine is (the host, the hub
container). For each collected submission a staff-tools container packs it, a sandbox
(hub/grading/sandbox.py) executes it, the staff-tools container scores what comes back
(hub/grading/workflow.py's steps). One failure fails only its own submission.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hub.grading.where import local_grading_dir, open_toolbox

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

HOST_HINT = (
    "`course autograde` starts a sandbox container per submission, which needs the Docker "
    "engine; staff servers have none (by design: student code never runs here). Run it on the "
    "course server instead:\n"
    "    sudo course autograde {a}                 (a server set up by `make deploy`)\n"
    "    make course ARGS='autograde {a}'          (from the repository)\n"
    "    docker-compose exec hub course autograde {a}   (in the stack's folder)\n"
    "The scores land in this grading folder; `course feedback {a}` then works from here."
)



def cmd_autograde(args: argparse.Namespace) -> int:
    if local_grading_dir(args) is not None and not args.stack:
        err.print(HOST_HINT.format(a=args.assignment), markup=False)
        return 2
    from hub.grading.sandbox import Limits  # docker-py: on the host and in the hub only

    limits = Limits(
        cpus=args.cpus,
        memory=args.memory,
        pids=args.pids,
        cell_timeout=args.cell_timeout,
        timeout=args.timeout,
    )
    with open_toolbox(args) as box:
        rows = autograde_all(box, args.assignment, args.student, limits, args.jobs)
    failed = [r for r in rows if r["status"] != "graded"]
    out.print(
        f"{args.assignment}: {len(rows) - len(failed)} graded, {len(failed)} failed"
        + (f" ({', '.join(r['student'] + ': ' + r['reason'] for r in failed)})" if failed else ""),
        markup=False,
    )
    return 1 if failed else 0


def autograde_all(box, assignment: str, only: list[str] | None, limits, jobs: int) -> list[dict]:
    """Pack, sandbox and score every collected submission; one failure fails only itself."""
    args = ["prepare-autograde", assignment] + [a for s in only or [] for a in ("--student", s)]
    students = json.loads(box.step(*args))
    scoring = threading.Lock()  # one gradebook writer at a time
    rows: list[dict] = []
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
    ) as progress:
        task = progress.add_task(f"autograde {assignment}", total=len(students))
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {
                pool.submit(_grade_one, box, assignment, s, limits, scoring): s for s in students
            }
            for future in as_completed(futures):
                student = futures[future]
                try:
                    row = future.result()
                except Exception as e:  # noqa: BLE001  reported per student, others go on
                    row = {"student": student, "status": "failed", "reason": f"error: {e}"}
                rows.append(row)
                progress.console.print(_row_text(row), markup=False)
                progress.advance(task)
    box.put_json("/tmp/autograde-rows.json", rows)
    box.step("log", assignment, "/tmp/autograde-rows.json")
    return sorted(rows, key=lambda r: r["student"])


def _grade_one(box, assignment: str, student: str, limits, scoring: threading.Lock) -> dict:
    from hub.grading.sandbox import run_sandbox

    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    scratch = f"/tmp/scratch/{student}"
    box.step("pack", assignment, student, scratch)
    scratch_tar = box.get_tar(f"{scratch}/course")
    result = run_sandbox(box.client, box.image, scratch_tar, assignment, student, limits, box.stack)
    box.check("rm", "-rf", scratch)
    row = {"student": student, "at": when, "seconds": result.seconds}
    if not result.ok:
        return {
            **row,
            "status": "failed",
            "reason": result.reason,
            "log_tail": result.log_tail[-1500:],
        }
    executed = f"/tmp/executed/{student}"
    box.check("rm", "-rf", executed)
    box.put_tar(executed, result.output_tar)
    with scoring:
        score = json.loads(box.step("score", assignment, student, f"{executed}/{assignment}"))
    box.check("rm", "-rf", executed)
    return {
        **row,
        "status": "graded",
        "reason": "",
        "score": score["score"],
        "max_score": score["max_score"],
        "notes": score["notes"],
    }


def _row_text(row: dict) -> str:
    if row["status"] == "graded":
        notes = f" ({'; '.join(row['notes'])})" if row.get("notes") else ""
        return f"  {row['student']}: graded {row['score']:g}/{row['max_score']:g}{notes}"
    return f"  {row['student']}: FAILED: {row['reason']}"
