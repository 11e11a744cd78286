"""Print this node's GPUs as the JSON list the hub reads from the node label course.gpus
(hub/gpu/nodes.py): [{"index", "uuid", "memory_mib", "mig": [{"uuid", "profile"}]}].
An empty list without nvidia-smi or when it lists nothing (no driver loaded yet)."""

import json
import re
import shutil
import subprocess


def smi(*args):
    return subprocess.run(
        ["nvidia-smi", *args], check=True, capture_output=True, text=True, timeout=60
    ).stdout


def main():
    if not shutil.which("nvidia-smi"):
        return []
    try:
        rows = smi("--query-gpu=index,uuid,memory.total", "--format=csv,noheader,nounits")
        listing = smi("-L")
    except (OSError, subprocess.SubprocessError):
        return []
    migs, current = {}, None
    for line in listing.splitlines():
        gpu = re.match(r"^GPU\s+\d+:.*\(UUID:\s*(GPU-[^)\s]+)\)", line)
        mig = re.match(r"^\s+MIG\s+(\S+)\s+Device\s+\d+:\s*\(UUID:\s*(MIG-[^)\s]+)\)", line)
        if gpu:
            current = gpu.group(1)
            migs[current] = []
        elif mig and current:
            migs[current].append({"uuid": mig.group(2), "profile": mig.group(1)})
    gpus = []
    for row in rows.splitlines():
        if row.strip():
            index, uuid, memory = (f.strip() for f in row.split(","))
            gpus.append({"index": int(index), "uuid": uuid, "memory_mib": int(float(memory)),
                         "mig": migs.get(uuid, [])})
    return gpus


print(json.dumps(main()))
