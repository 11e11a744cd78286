#!/usr/bin/env bash
# The one prepared run for a lent GPU machine (no Docker there), about 9 minutes:
#   1. the hub's GPU discovery and the student image's GPU unit (gpu_device_check.py)
#   2. every lab in smoke mode, one after another, on the GPU (correctness of the CUDA paths)
#   3. at the same time, every lab in full mode, in three parallel groups, each lab given
#      LAB_BUDGET seconds; a lab still running then is interrupted and its peak memory so far kept.
#      On the course data at its real sizes and in its real formats: a mirror of synthetic
#      stand-ins (tests/content/tinydata.py --real-size) staged with `course data fetch`, since
#      the device reaches no network (REAL_DATA=0: the offline fallbacks instead)
# Needs the wheels from benchmarks/gpu_wheels.sh in .whl/ (carry it). Results go to $OUT.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-run}; mkdir -p "$OUT"
LAB_BUDGET=${LAB_BUDGET:-80}
DEADLINE=${DEADLINE:-330}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1
nvidia-smi -L
python3 -c 'import torch, torch_geometric, transformers, diffusers, peft
print("torch", torch.__version__, "cuda", torch.version.cuda, "pyg", torch_geometric.__version__,
      "transformers", transformers.__version__, "diffusers", diffusers.__version__, "peft", peft.__version__)'
python3 benchmarks/gpu_device_check.py --require-gpu --json "$OUT/check.json" > "$OUT/check.log" 2>&1
grep -E '^(PASS|FAIL)' "$OUT/check.log"
python3 images/student/units/unit_torch.py
labs=benchmarks/gpu_labs.py
data_args=()
if [[ ${REAL_DATA:-1} == 1 ]]; then
    mkdir -p /tmp/course-data
    python3 -m tests.content.tinydata /tmp/course-mirror --real-size > "$OUT/data.log" 2>&1 &&
    python3 -c 'from pathlib import Path  # course data fetch, without the CLI (no rich here)
from hub.data import fetch_missing
from hub.datamanifest import load_manifest
report = fetch_missing(load_manifest("labs/data-manifest.yml"), Path("/tmp/course-data"),
                       "file:///tmp/course-mirror")
print(report.summary())' >> "$OUT/data.log" 2>&1
    tail -8 "$OUT/data.log"
    data_args=(--data-dir /tmp/course-data)
fi
python3 $labs --mode smoke --lab-budget 120 --deadline "$DEADLINE" --json "$OUT/smoke.json" \
    > "$OUT/smoke.log" 2>&1 &
groups=("a week01-pytorch-basics week02-mlp-from-scratch week03-training-dynamics week04-cnn"
        "b week05-rnn-text week06-project-workshop week07-hf-finetuning week08-gnn-basics"
        "c week09-pruning-quantization week10-prompting-lora week11-vae week12-ddpm week13-project-highlights")
for group in "${groups[@]}"; do
    set -- $group; name=$1; shift
    python3 $labs --mode full --lab-budget "$LAB_BUDGET" --deadline "$DEADLINE" "${data_args[@]}" \
        --json "$OUT/full-$name.json" $(printf -- '--lab %s ' "$@") 2>&1 \
        | sed "s/^/[$name] /" >> "$OUT/full.log" &
done
wait
echo "== smoke"; grep -E '^(PASS|FAIL|STOP|SKIP)' "$OUT/smoke.log"
echo "== full"; grep -E '^\[.\] (PASS|FAIL|STOP|SKIP)' "$OUT/full.log"
