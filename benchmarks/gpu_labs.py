#!/usr/bin/env python3
"""Run the weekly labs on this machine's GPU; record each lab's time and peak GPU memory.

    python3 benchmarks/gpu_labs.py [--mode smoke] [--mode full] [--lab NAME ...]
                                   [--cell-timeout S] [--deadline S] [--json FILE]

Each lab runs top to bottom with nbclient in a throw-away copy of its folder, as
tests/content/test_labs.py runs it in CI, but on CUDA and in the chosen mode(s) (default: smoke
then full). Offline; with `--data-dir DIR` (a folder `course data fetch` filled, e.g. from the
real-size mirror of tests/content/tinydata.py) the labs read the real formats at the real sizes,
without it they fall back to their built-in data. A last cell appended to each notebook reads the
kernel's torch device, `torch.cuda.max_memory_allocated()` and the lab's MODE.

`--deadline` stops starting labs after that many seconds, so a run fits a lent machine's time;
labs not started are listed as such. One line per lab, then a markdown table for docs/labs.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROBE_TAG = "LABPROBE "
PROBE = f"""
import json as _json
_probe = {{"MODE": globals().get("MODE")}}
try:
    import torch as _torch
    _probe["torch"] = _torch.__version__
    _probe["cuda"] = _torch.cuda.is_available()
    if _probe["cuda"]:
        _probe["gpu"] = _torch.cuda.get_device_name(0)
        _probe["peak_allocated_mib"] = round(_torch.cuda.max_memory_allocated() / 2**20, 1)
        _probe["peak_reserved_mib"] = round(_torch.cuda.max_memory_reserved() / 2**20, 1)
except Exception as _err:
    _probe["probe_error"] = repr(_err)
print({PROBE_TAG!r} + _json.dumps(_probe))
"""


def lab_folders() -> list[Path]:
    return sorted(p for p in (REPO / "labs").iterdir() if p.is_dir())


DATA_DIR: Path | None = None  # --data-dir


def lab_environment(scratch: Path, mode: str) -> dict[str, str]:
    """The kernel's environment: chosen size, course data (if any), offline, caches in scratch."""
    (scratch / "home").mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        LAB_MODE=mode,
        COURSE_DATA_DIR=str(DATA_DIR or scratch / "no-course-data"),
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
        HOME=str(scratch / "home"),
        MPLCONFIGDIR=str(scratch / "mpl"),
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    return env


def run_lab(lab: Path, mode: str, cell_timeout: int, lab_budget: float) -> dict:
    import nbformat
    from nbclient import NotebookClient

    result: dict = {"lab": lab.name, "mode": mode}
    with tempfile.TemporaryDirectory(prefix=f"{lab.name}-") as tmp:
        scratch = Path(tmp)
        workdir = scratch / lab.name
        shutil.copytree(lab, workdir)
        nb = nbformat.read(workdir / f"{lab.name}.ipynb", as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(PROBE))
        saved_environ, lab_env = dict(os.environ), lab_environment(scratch, mode)
        os.environ.clear()
        os.environ.update(lab_env)  # the kernel inherits os.environ
        client = NotebookClient(
            nb,
            timeout=cell_timeout,
            kernel_name="python3",
            interrupt_on_timeout=True,
            resources={"metadata": {"path": str(workdir)}},
        )
        start = time.perf_counter()
        try:
            result.update(_execute(client, nb, start + lab_budget))
        except Exception as err:  # a kernel that died is this lab's result
            result.update(
                ok=False,
                error=f"{type(err).__name__}: {err}"[-400:],
                seconds=round(time.perf_counter() - start, 1),
            )
        finally:
            os.environ.clear()
            os.environ.update(saved_environ)
        result.update(_probe(nb))
    return result


def _execute(client, nb, stop_at: float) -> dict:
    """Run the lab's cells until one fails or the lab's time is up, then always the probe.

    A cell past its time is interrupted (KeyboardInterrupt in the kernel), so the probe still
    reports the peak memory reached so far.
    """
    from nbclient.exceptions import CellExecutionError

    outcome: dict = {"ok": True}
    start = time.perf_counter()
    cells = nb.cells[:-1]
    with client.setup_kernel():
        for index, cell in enumerate(cells):
            left = stop_at - time.perf_counter()
            if left <= 0:
                outcome.update(ok=False, stopped=f"lab time up before cell {index} of {len(cells)}")
                break
            client.timeout = max(1, int(min(client.timeout, left)))
            try:
                client.execute_cell(cell, index)
            except CellExecutionError:
                error = _first_error(nb) or "cell error"
                if "KeyboardInterrupt" in error:
                    outcome.update(ok=False, stopped=f"lab time up in cell {index} of {len(cells)}")
                else:
                    outcome.update(ok=False, error=error)
                break
        outcome["seconds"] = round(time.perf_counter() - start, 1)
        client.timeout = 60
        try:
            client.execute_cell(nb.cells[-1], len(nb.cells) - 1)
        except Exception as err:
            outcome["probe_error"] = f"{type(err).__name__}: {err}"[-200:]
    return outcome


def _first_error(nb) -> str | None:
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"cell {index}: {out.get('ename')}: {out.get('evalue')}"[:400]
    return None


def _probe(nb) -> dict:
    for out in nb.cells[-1].get("outputs", []):
        text = out.get("text", "")
        if out.get("output_type") == "stream" and PROBE_TAG in text:
            return json.loads(text.split(PROBE_TAG, 1)[1])
    return {}


def markdown_table(results: list[dict]) -> str:
    rows = [
        "| lab | mode | result | s | peak allocated MiB | peak reserved MiB | device |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        outcome = (
            "pass"
            if r.get("ok")
            else "not started"
            if r.get("skipped")
            else f"stopped: {r['stopped']}"
            if r.get("stopped")
            else "FAIL"
        )
        rows.append(
            f"| {r['lab']} | {r['mode']} | {outcome} | {r.get('seconds', '')} "
            f"| {r.get('peak_allocated_mib', '')} | {r.get('peak_reserved_mib', '')} "
            f"| {r.get('gpu', 'CPU' if r.get('cuda') is False else '')} |"
        )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mode",
        action="append",
        choices=["smoke", "full"],
        help="repeatable; default: smoke, then full",
    )
    parser.add_argument("--lab", action="append", help="a lab folder name; default: all")
    parser.add_argument("--cell-timeout", type=int, default=300, help="seconds per cell")
    parser.add_argument(
        "--lab-budget",
        type=float,
        default=600,
        help="seconds per lab; a lab still running is interrupted, not failed",
    )
    parser.add_argument("--deadline", type=float, help="start no lab after this many seconds")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--data-dir", type=Path, help="the course data folder (default: none)")
    args = parser.parse_args()
    global DATA_DIR
    DATA_DIR = args.data_dir

    labs = lab_folders()
    if args.lab:
        unknown = set(args.lab) - {p.name for p in labs}
        if unknown:
            parser.error(f"unknown lab(s) {sorted(unknown)}; valid: {[p.name for p in labs]}")
        labs = [p for p in labs if p.name in args.lab]
    began = time.perf_counter()
    results = []
    for mode in args.mode or ["smoke", "full"]:
        for lab in labs:
            if args.deadline and time.perf_counter() - began > args.deadline:
                results.append({"lab": lab.name, "mode": mode, "skipped": True})
                print(f"SKIP {lab.name} [{mode}]: deadline reached", flush=True)
                continue
            r = run_lab(lab, mode, args.cell_timeout, args.lab_budget)
            results.append(r)
            where = r.get("gpu") or ("CPU" if r.get("cuda") is False else "?")
            verdict = "PASS" if r["ok"] else "STOP" if r.get("stopped") else "FAIL"
            print(
                f"{verdict} {lab.name} [{mode}] {r['seconds']} s on "
                f"{where}, peak {r.get('peak_allocated_mib', '-')} MiB"
                + (f": {r.get('error') or r.get('stopped')}" if not r["ok"] else ""),
                flush=True,
            )
    table = markdown_table(results)
    print(table, flush=True)
    if args.json:
        args.json.write_text(json.dumps({"results": results, "table": table}, indent=1))
    failed = [r for r in results if r.get("ok") is False and not r.get("stopped")]
    print(
        f"{'FAIL' if failed else 'PASS'}: {sum(1 for r in results if r.get('ok'))} labs passed,"
        f" {len(failed)} failed, {sum(1 for r in results if r.get('stopped'))} stopped at the lab"
        f" budget, {sum(1 for r in results if r.get('skipped'))} not started",
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
