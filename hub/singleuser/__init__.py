"""Pieces that run inside the students' (and staff's) Jupyter servers, not in the hub.

The student image installs this package and enables them in images/student/rootfs/opt/venv/
etc/jupyter/: jupyter_server_config.json (the contents manager) and
jupyter_server_config.d/zz-course-students.json (the nbgitpuller guard, hub_client and
busy_kernels extensions).
"""
