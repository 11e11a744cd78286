"""Sandboxed autograding with real containers from the student image and the real nbgrader CLI:
hostile submissions fail only themselves, with a recorded reason, and no sandbox is left.

A tiny assignment (one answer cell, one test cell) keeps each sandbox to a few seconds. The
scratch course is packed and the scores recorded by the same code `course autograde` uses
(hub.grading.workflow.pack / score), on a local nbgrader course folder.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import docker
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from hub.grading import workflow
from hub.grading.sandbox import Limits, leftover_sandboxes, run_sandbox, tar_directory

pytestmark = pytest.mark.docker

IMAGE = os.environ.get("STUDENT_IMAGE", "course-student:latest")
COURSE_ID = "sbx"
STACK = f"sbxtest{uuid.uuid4().hex[:6]}"
LIMITS = Limits(cpus=1.0, memory="1g", pids=128, cell_timeout=8, timeout=240,
                max_output_bytes=20 * 1024 * 1024)

TEST_CELL = "assert square(3) == 9"
GOOD = "def square(x):\n    return x * x"
# The answer comes first and the hostile code after it, so what stops the hostile code must be
# the sandbox's limit (each test asserts the limit's own trace), not a missing answer.
HOSTILE = {
    "good": GOOD,
    "loop": GOOD + "\nwhile True:\n    pass",
    "forkbomb": GOOD + "\nimport os\nwhile True:\n    os.fork()",
    # children that wait, so the parent can count how many forks the pids limit allowed
    "forks": GOOD + (
        "\nimport os, signal\nforks = 0\n"
        "try:\n"
        "    while forks < 100_000:\n"
        "        if os.fork() == 0:\n"
        "            signal.pause()\n"
        "        forks += 1\n"
        "except BlockingIOError:\n"
        "    print('FORKS STOPPED AT', forks)"),
    # 10 GB printed, 1 MB at a time
    "flood": GOOD + "\nline = 'x' * 1_000_000\nfor _ in range(10_000):\n    print(line)",
    "network": GOOD + (
        "\nimport socket\nreached = []\n"
        "for host, port in [('1.1.1.1', 53), ('ngshare', 10101), ('172.17.0.1', 2375)]:\n"
        "    try:\n"
        "        socket.create_connection((host, port), timeout=3).close()\n"
        "        reached.append(host)\n"
        "    except OSError:\n"
        "        pass\n"
        "print('NETWORK REACHED', reached)"),
    "crash": GOOD + "\nimport os\nos._exit(3)",
}


def solution_cell(source: str):
    return new_code_cell(source, metadata={"nbgrader": {
        "grade": False, "solution": True, "locked": False, "grade_id": "answer",
        "schema_version": 3}})


def grade_cell():
    return new_code_cell(TEST_CELL, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 1, "grade_id": "test",
        "schema_version": 3}})


def nbgrader(root: Path, *args: str) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def client():
    c = docker.from_env(timeout=300)
    try:
        c.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        pytest.fail(f"{IMAGE} is missing: build it with `make images`", pytrace=False)
    yield c
    for name in leftover_sandboxes(c, STACK):  # a failed test must not leave containers
        c.containers.get(name).remove(force=True)


@pytest.fixture(scope="module")
def course_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("grading")
    (root / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\n")
    (root / "source" / "ps1").mkdir(parents=True)
    nbformat.write(new_notebook(cells=[solution_cell(
        "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"),
        grade_cell()]), root / "source" / "ps1" / "ps1.ipynb")
    (root / "source" / "ps1" / "data.txt").write_text("a helper file from the release\n")
    nbgrader(root, "generate_assignment", "ps1", "--force")
    for student, code in HOSTILE.items():
        folder = root / "submitted" / student / "ps1"
        folder.mkdir(parents=True)
        nbformat.write(new_notebook(cells=[solution_cell(code), grade_cell()]),
                       folder / "ps1.ipynb")
        (folder / "timestamp.txt").write_text("2026-10-01 12:00:00.000000")
    return root


def grade(client, root: Path, student: str, limits: Limits = LIMITS, scratch: Path | None = None):
    scratch = workflow.pack(root, COURSE_ID, "ps1", student, scratch or root.parent / "scratch")
    result = run_sandbox(client, IMAGE, tar_directory(scratch, "course"), "ps1", student, limits,
                         STACK)
    score = None
    if result.ok:
        executed = root.parent / "executed" / student
        shutil.rmtree(executed, ignore_errors=True)
        executed.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(result.output_tar)) as tar:
            tar.extractall(executed, filter="data")
        score = workflow.score(root, COURSE_ID, "ps1", student, executed / "ps1")
    return result, score


@pytest.fixture(scope="module")
def graded(client, course_root):
    """Every submission graded, three sandboxes at a time, as `course autograde --jobs` does."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(3) as pool:
        results = pool.map(lambda s: grade(client, course_root, s,
                                           scratch=course_root.parent / "scratch" / s), HOSTILE)
        return dict(zip(HOSTILE, results, strict=True))


def test_a_good_submission_gets_full_marks(graded, course_root):
    result, score = graded["good"]
    assert result.ok, result.reason + result.log_tail
    assert (score.score, score.max_score) == (1.0, 1.0)
    # the release's helper file went in with the submission; the gradebook has the real time
    assert (course_root / "autograded" / "good" / "ps1" / "data.txt").exists()
    from nbgrader.api import Gradebook
    with Gradebook(workflow.db_url(course_root), COURSE_ID) as gb:
        assert gb.find_submission("ps1", "good").timestamp.isoformat() == "2026-10-01T12:00:00"


def executed(course_root: Path, student: str) -> str:
    """The executed notebook's text (outputs included), or "" when nothing came back."""
    path = course_root / "autograded" / student / "ps1" / "ps1.ipynb"
    return path.read_text() if path.exists() else ""


def describe(result, score, course_root: Path, student: str) -> str:
    return (f"ok={result.ok} reason={result.reason!r} seconds={result.seconds:.1f} "
            f"score={score} tail={executed(course_root, student)[-1500:]!r}")


def test_an_infinite_loop_is_stopped_at_the_per_cell_limit(graded, course_root):
    """nbgrader interrupts the cell at the per-cell limit and goes on: the answer written
    before the loop keeps its marks. Under load nbgrader itself may give up (exit 1): then a
    recorded reason. Either way the run ends well inside the whole run's limit."""
    result, score = graded["loop"]
    why = describe(result, score, course_root, "loop")
    if result.ok:
        assert any("per-cell time limit" in n for n in score.notes), why
        assert score.score == 1.0, why
        assert result.seconds >= LIMITS.cell_timeout, why  # the loop ran until the limit
    else:
        assert result.reason, why
    assert result.seconds < LIMITS.timeout, why


def test_a_whole_run_over_its_limit_is_killed(client, course_root, tmp_path):
    slow = Limits(**{**LIMITS.__dict__, "cell_timeout": 600, "timeout": 20})
    result, score = grade(client, course_root, "loop", slow, tmp_path)
    assert not result.ok and score is None
    assert result.reason.startswith("timeout"), result.reason
    assert 20 <= result.seconds < 60


def test_the_pids_limit_stops_forking_below_the_limit(graded, course_root):
    result, score = graded["forks"]
    why = describe(result, score, course_root, "forks")
    assert result.ok, why
    [stopped] = re.findall(r"FORKS STOPPED AT (\d+)", executed(course_root, "forks"))
    assert 0 < int(stopped) < LIMITS.pids, why  # the limit, not the loop's own bound, held
    assert score.score == 1.0, why


def test_a_fork_bomb_fails_only_itself(graded, course_root):
    result, score = graded["forkbomb"]
    why = describe(result, score, course_root, "forkbomb")
    assert result.seconds < LIMITS.timeout, why
    if result.ok:
        assert "BlockingIOError" in executed(course_root, "forkbomb"), why  # the pids limit
    else:
        assert result.reason, why


def test_ten_gigabytes_of_output_fail_only_that_submission(graded, course_root):
    result, score = graded["flood"]
    why = describe(result, score, course_root, "flood")
    assert not result.ok or score.score == 0.0, why
    reason = result.reason or "; ".join(score.notes)
    assert any(word in reason for word in ("oom-killed", "output too large", "kernel died",
                                           "per-cell time limit", "exit code")), why
    assert len(executed(course_root, "flood")) <= LIMITS.max_output_bytes, why


def test_the_network_cannot_be_reached(graded, course_root):
    result, score = graded["network"]
    assert result.ok, result.reason
    executed = (course_root / "autograded" / "network" / "ps1" / "ps1.ipynb").read_text()
    assert "NETWORK REACHED []" in executed
    assert score.score == 1.0  # the rest of the submission is graded normally


def test_a_crashing_kernel_fails_only_itself(graded, course_root):
    result, score = graded["crash"]
    why = describe(result, score, course_root, "crash")
    assert not result.ok or score.score == 0.0, why
    assert result.reason or any("kernel died" in n for n in score.notes), why


def test_others_are_graded_and_no_sandbox_is_left(graded, client):
    assert graded["good"][1].score == 1.0
    assert leftover_sandboxes(client, STACK) == []
