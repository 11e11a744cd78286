"""A kernel that is computing counts as the server's activity, with or without a browser open.

jupyter_server counts a kernel's messages as activity, so a long cell that prints nothing (a
training loop without progress output, the browser closed) looked idle, and the hub's idle culler
(jupyterhub-idle-culler, `culler.timeout_seconds`) stopped the server in the middle of it. While
any kernel is busy, this extension sets `course_busy_kernel_last_activity` every CHECK_SECONDS:
ServerApp.last_activity() counts every setting whose name ends in `_last_activity`, and
JupyterHub's activity reports send that time to the hub. An idle kernel, however long it has
been open, does not count. Enabled in
images/student/rootfs/opt/venv/etc/jupyter/jupyter_server_config.d/.
"""

from __future__ import annotations

CHECK_SECONDS = 10  # a few dict lookups; well inside any idle timeout
SETTING = "course_busy_kernel_last_activity"


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "hub.singleuser.busy_kernels"}]


def any_kernel_busy(kernel_manager) -> bool:
    return any(
        getattr(kernel_manager.get_kernel(kid), "execution_state", None) == "busy"
        for kid in kernel_manager.list_kernel_ids()
    )


def _load_jupyter_server_extension(serverapp) -> None:
    from jupyter_server._tz import utcnow
    from tornado.ioloop import PeriodicCallback

    def mark_busy() -> None:
        if any_kernel_busy(serverapp.kernel_manager):
            serverapp.web_app.settings[SETTING] = utcnow()

    PeriodicCallback(mark_busy, CHECK_SECONDS * 1000).start()
    serverapp.log.info("a busy kernel counts as activity (checked every %s s)", CHECK_SECONDS)
