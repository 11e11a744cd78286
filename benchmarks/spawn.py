"""Login storm: N students at once, from the login form to their first executed cell.

    .venv/bin/python benchmarks/spawn.py --users 20 [--users 40 ...] [--variants course,stock]

For each N and each variant it brings up a throw-away stack (its own names), runs N clients in
parallel threads (login form -> start server, waiting on its progress event stream as the spawn
page does -> kernel -> `1+1` over the websocket), and reports
p50/p95/max time-to-ready, failures, the makespan, c (CPU-seconds per spawn: the median of three
lone spawns first, split into the server's container and the hub + proxy), the idle memory per
student container and the hub's CPU and memory. The baseline variant
`stock` is the same image and stack with DockerSpawner's stock settings (through the course
folder's jupyterhub_config.d escape hatch) and the student image as pip and Jupyter leave it by
default (STOCK_IMAGE: jsonschema's optional IRI grammar installed, every installed server
extension enabled), run in the same invocation for comparison.
Results: printed as a table and written to benchmarks/results/spawn-<time>.json.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "tests"))

from hubclient import HubClient  # noqa: E402
from report import percentile, write_result  # noqa: E402
from stackctl import new_stack, run  # noqa: E402

STOCK_CONFIG = '''\
# Benchmark baseline: DockerSpawner's stock settings, the untuned image, the same network.
import os
from dockerspawner import DockerSpawner
c.JupyterHub.spawner_class = DockerSpawner
c.DockerSpawner.image = "{image}"
c.DockerSpawner.network_name = os.environ["DOCKER_NETWORK_NAME"]
c.DockerSpawner.use_internal_ip = True
c.DockerSpawner.remove = True
c.DockerSpawner.prefix = os.environ.get("CONTAINER_PREFIX", "jupyter")
c.DockerSpawner.extra_create_kwargs = {"labels": {"org.course.stack": os.environ["STACK_NAME"]}}
'''


# The baseline image: the course's student image with its start-up tunings undone.
STOCK_IMAGE = "course-student:spawnbench-stock"
STOCK_DOCKERFILE = """\
FROM course-student:latest
USER root
RUN pip install --no-deps {packages} \\
 && rm /opt/venv/etc/jupyter/jupyter_server_config.d/zz-course-students.json
USER 1000
"""


def build_stock_image() -> None:
    pins = (ROOT / "images/student/requirements.txt").read_text()
    packages = " ".join(re.search(rf"(?m)^{name}==\S+", pins).group(0)
                        for name in ("rfc3987-syntax", "lark"))
    run("docker", "build", "--network", "host", "-t", STOCK_IMAGE, "-",
        input=STOCK_DOCKERFILE.format(packages=packages))


def course_dir(users: int, variant: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f"spawnbench-{variant}-"))
    shutil.copy(ROOT / "course.yml", folder / "course.yml")
    lines = ["username,name,email,role,team",
             "instructor,Course Instructor,i@example.edu,instructor,"]
    lines += [f"bench{i},Bench {i},bench{i}@example.edu,student," for i in range(1, users + 1)]
    (folder / "roster.csv").write_text("\n".join(lines) + "\n")
    if variant == "stock":
        (folder / "jupyterhub_config.d").mkdir()
        (folder / "jupyterhub_config.d" / "stock.py").write_text(
            STOCK_CONFIG.replace("{image}", STOCK_IMAGE))
    folder.chmod(0o755)
    return folder


def cgroup_value(container_id: str, controller: str, name: str) -> int:
    for base in (f"/sys/fs/cgroup/{controller}/docker/{container_id}",
                 f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope"):
        path = Path(base) / name
        if path.exists():
            return int(path.read_text().split()[0])
    raise FileNotFoundError(f"no cgroup {controller}/{name} for {container_id[:12]}")


def container_id(name: str) -> str:
    return run("docker", "inspect", "-f", "{{.Id}}", name).stdout.strip()


def cpu_seconds(cid: str) -> float:
    try:
        return cgroup_value(cid, "cpuacct", "cpuacct.usage") / 1e9
    except FileNotFoundError:
        return cgroup_value(cid, "cpu", "cpu.stat") / 1e6  # v2: usage_usec is the first line


def memory_bytes(cid: str) -> int:
    try:
        return cgroup_value(cid, "memory", "memory.usage_in_bytes")
    except FileNotFoundError:
        return cgroup_value(cid, "memory", "memory.current")


def one_student(stack, username: str) -> float:
    start = time.monotonic()
    client = HubClient(stack.url)
    client.login(username, stack.password)
    if not client.logged_in():
        raise RuntimeError(f"{username}: login failed")
    client.request_server()
    client.finish_start(timeout=900, follow_progress=True)
    kernel = client.kernel()
    try:
        if kernel.execute("1+1", timeout=300).strip() != "2":
            raise RuntimeError(f"{username}: wrong answer")
    finally:
        kernel.close()
    return time.monotonic() - start


LONE_SPAWNS = 3  # c is their median: one spawn on a shared machine is a noisy sample


def lone_spawn(stack, username: str) -> tuple[float, float, float]:
    """One student alone: (seconds, the server container's CPU-s, the hub's and proxy's CPU-s)."""
    control = (f"{stack.name}_hub_1", f"{stack.name}_proxy_1")
    before = sum(cpu_seconds(container_id(n)) for n in control)
    seconds = one_student(stack, username)
    after = sum(cpu_seconds(container_id(n)) for n in control)
    return seconds, cpu_seconds(container_id(stack.container_name(username))), after - before


def measure(users: int, variant: str) -> dict:
    folder = course_dir(users + LONE_SPAWNS, variant)
    stack = new_stack(f"bench{variant}")
    stack.course_dir = folder
    try:
        stack.up()
        hub_id = container_id(f"{stack.name}_hub_1")
        # Lone spawns first: c, the CPU-seconds one spawn costs (its container, hub and proxy).
        lones = [lone_spawn(stack, f"bench{users + i}") for i in range(1, LONE_SPAWNS + 1)]
        lone = statistics.median(s for s, _, _ in lones)
        c_server = statistics.median(server for _, server, _ in lones)
        c_control = statistics.median(control for _, _, control in lones)
        c = statistics.median(server + control for _, server, control in lones)

        hub_cpu0 = cpu_seconds(hub_id)
        hub_mem_peak = 0
        stop = threading.Event()

        def sample():
            nonlocal hub_mem_peak
            while not stop.is_set():
                hub_mem_peak = max(hub_mem_peak, memory_bytes(hub_id))
                time.sleep(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0 = time.monotonic()
        times, failures = [], []
        with cf.ThreadPoolExecutor(max_workers=users) as pool:
            futures = {pool.submit(one_student, stack, f"bench{i}"): i for i in range(1, users + 1)}
            for future in cf.as_completed(futures):
                try:
                    times.append(future.result())
                except Exception as err:  # noqa: BLE001  (a failure is a result here)
                    failures.append(f"bench{futures[future]}: {err}")
        makespan = time.monotonic() - t0
        if failures:  # the services' side of the story, for the report
            RESULTS.mkdir(parents=True, exist_ok=True)
            log = RESULTS / f"spawn-{variant}-{users}-logs.txt"
            log.write_text(stack.compose("logs", "--no-color", "--timestamps", "hub", "proxy",
                                         check=False).stdout)
            print(f"{len(failures)} failures: the hub's and proxy's logs are in {log}")
        stop.set()
        sampler.join()
        hub_cpu = cpu_seconds(hub_id) - hub_cpu0
        time.sleep(10)  # let the servers settle to idle
        mems = [memory_bytes(container_id(stack.container_name(f"bench{i}")))
                for i in range(1, users + 1) if f"bench{i}" not in " ".join(failures)]
        cores = os.cpu_count() or 1
        return {
            "variant": variant, "users": users, "failures": len(failures),
            "lone_spawn_s": round(lone, 1),
            "failure_reasons": failures[:5],
            "p50_s": round(statistics.median(times), 1) if times else None,
            "p95_s": round(percentile(times, 0.95), 1) if times else None,
            "max_s": round(max(times), 1) if times else None,
            "makespan_s": round(makespan, 1),
            "c_cpu_s_per_spawn": round(c, 2),
            "c_server_cpu_s": round(c_server, 2),
            "c_hub_proxy_cpu_s": round(c_control, 2),
            "ideal_makespan_s": round(users * c / cores, 1),
            "idle_mem_per_container_mib": round(statistics.median(mems) / 2**20) if mems else None,
            "hub_cpu_s": round(hub_cpu, 1),
            "hub_mem_peak_mib": round(hub_mem_peak / 2**20),
        }
    finally:
        stack.down()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, action="append", help="concurrent students (repeat)")
    parser.add_argument("--variants", default="course,stock")
    args = parser.parse_args()
    results = []
    if "stock" in args.variants.split(","):
        build_stock_image()
    for users in args.users or [20]:
        for variant in args.variants.split(","):
            print(f"--- {variant}, {users} students ...", flush=True)
            results.append(measure(users, variant))
            print(json.dumps(results[-1]), flush=True)
    write_result("spawn", {"results": results})
    keys = ["variant", "users", "failures", "p50_s", "p95_s", "max_s", "makespan_s",
            "c_cpu_s_per_spawn", "c_server_cpu_s", "c_hub_proxy_cpu_s", "ideal_makespan_s",
            "idle_mem_per_container_mib", "hub_cpu_s", "hub_mem_peak_mib"]
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in results:
        print("| " + " | ".join(str(r[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
