#!/usr/bin/env bash
# The second prepared run for a lent GPU machine (no Docker there), about 8 minutes:
#   1. a GPU node's swarm label on real GPUs (gpu_node_check.py; docs/scale-out.md)
#   2. the two labs the first run could not finish in full mode (week 6's sweep, week 12's
#      DDPM training), side by side on the one GPU, each given LAB_BUDGET seconds
# Needs the wheels from benchmarks/gpu_wheels.sh in .whl/ (carry it). Results go to $OUT.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-run}; mkdir -p "$OUT"
LAB_BUDGET=${LAB_BUDGET:-420}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1
nvidia-smi -L
python3 benchmarks/gpu_node_check.py --json "$OUT/node.json" 2>&1 | tee "$OUT/node.log"
for lab in week06-project-workshop week12-ddpm; do
    python3 benchmarks/gpu_labs.py --mode full --lab "$lab" --lab-budget "$LAB_BUDGET" \
        --cell-timeout "$LAB_BUDGET" --json "$OUT/full-$lab.json" > "$OUT/full-$lab.log" 2>&1 &
done
wait
echo "== full"; grep -hE '^(PASS|FAIL|STOP|SKIP)' "$OUT"/full-*.log
