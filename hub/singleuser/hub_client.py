"""The server reaches the hub at its current address after a hub restart.

JupyterHub's client in the server resolves `hub` through aiodns, whose cache keeps Docker's 600 s
TTL: after a hub restart that changed the hub's address, a student's login into their own server
failed for up to ten minutes (500 "Failed to connect to Hub API" on /oauth_callback, then 403
from the server's API), and activity reports were lost. Found by the deploy suite's
backup-and-restore test. So the server's client uses hub.fresh_dns (getaddrinfo at each new
connection, no cache). Enabled in
images/student/rootfs/opt/venv/etc/jupyter/jupyter_server_config.d/.
"""

from __future__ import annotations


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "hub.singleuser.hub_client"}]


def _load_jupyter_server_extension(serverapp) -> None:
    from hub.fresh_dns import configure_client_when_the_loop_runs

    # The jupyterhub extension, loaded after this one, first runs the loop for its hub version
    # check, so the callback comes before any request.
    configure_client_when_the_loop_runs()
    serverapp.log.info("hub API client: getaddrinfo, no DNS cache (the hub may move on restart)")
