"""The hub image: JupyterHub, DockerSpawner, the culler, the hub package and the config parse."""

import importlib
from importlib.metadata import version

for name in ("jupyterhub", "dockerspawner", "jupyterhub_idle_culler", "hub.config",
             "hub.spawner", "hub.auth", "oauthenticator", "ltiauthenticator",
             "nativeauthenticator"):
    importlib.import_module(name)
assert version("jupyterhub") == "6.1.1", version("jupyterhub")
assert version("dockerspawner") == "14.0.0"
print("ok: hub image imports; jupyterhub", version("jupyterhub"))
