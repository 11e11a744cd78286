#!/usr/bin/env bash
# Fetch, into .whl/, the wheels the device machine lacks to run benchmarks/gpu_device_check.py
# and benchmarks/gpu_labs.py with the student image's own versions (images/student/requirements.txt).
# The device image already has torch, numpy, pandas, scikit-learn, matplotlib and friends; torch
# itself (about 1 GB with its CUDA libraries) cannot travel, so the device's torch is used.
# Python 3.12 / manylinux x86-64, as on the device image. Run from the repo root.
set -euo pipefail
cd "$(dirname "$0")/.."
lock=images/student/requirements.txt
names=(
    # the hub's GPU code
    pydantic pydantic-core annotated-types typing-inspection
    # executing notebooks: nbclient and an IPython kernel
    nbclient nbformat fastjsonschema jsonschema jsonschema-specifications referencing rpds-py
    jupyter-client jupyter-core platformdirs pyzmq tornado traitlets
    ipykernel comm debugpy matplotlib-inline nest-asyncio2 ipython ipython-pygments-lexers
    jedi parso pexpect ptyprocess prompt-toolkit wcwidth stack-data asttokens executing pure-eval

    # the labs' libraries, at the student image's versions
    torch-geometric transformers tokenizers huggingface-hub httpx2 httpcore2 truststore peft accelerate
    datasets dill multiprocess diffusers importlib-metadata lazy-importer
)
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo /.whl/ >> .git/info/exclude
rm -rf .whl && mkdir .whl
pins=()
for name in "${names[@]}"; do
    pin=$(grep -E "^${name}==" "$lock" | cut -d' ' -f1) || { echo "not in $lock: $name" >&2; exit 1; }
    pins+=("$pin")
done
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_5_x86_64 \
    --platform manylinux1_x86_64 -d .whl "${pins[@]}"
du -sh .whl
