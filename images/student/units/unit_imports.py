"""Everything the labs and assignments import is installed and importable."""

import importlib

MODULES = [
    "torch", "torchvision", "transformers", "datasets", "accelerate", "peft", "torch_geometric",
    "diffusers", "sklearn", "matplotlib", "nbgitpuller", "nbgrader", "ngshare_exchange",
    "jupyterlab", "jupyterhub", "nbclient", "coursekit", "hub.course",
]
for name in MODULES:
    importlib.import_module(name)
print(f"ok: {len(MODULES)} modules import")
