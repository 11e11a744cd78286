# A student's own ~/.jupyter/jupyter_server_config.py: load their extension (origin_probe.py).
import sys

sys.path.insert(0, "/home/jovyan/.jupyter/probe")
c.ServerApp.jpserver_extensions.update({"origin_probe": True})  # noqa: F821
