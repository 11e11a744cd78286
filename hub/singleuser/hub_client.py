"""The server reaches the hub at its current address after a hub restart.

JupyterHub 6 talks to the hub API through aiohttp (jupyterhub.httpclient), which resolves names
with aiodns when it is installed (it is: a jupyterhub dependency). c-ares, under aiodns, caches
answers for their TTL, and Docker's DNS gives container names a TTL of 600 s. When the hub
container restarts it can come back at another address on the stack's network (restore.yml stops
and starts the hub and ngshare together, and they may swap addresses); a running server then
keeps connecting to the old one for up to ten minutes: a student's login into their own server
fails (500 "Failed to connect to Hub API" on /oauth_callback, then 403 from the server's API),
and activity reports are lost. Found by the deploy suite's backup-and-restore test.

So servers resolve `hub` with getaddrinfo (aiohttp's ThreadedResolver) at each new connection,
with aiohttp's own 10-second cache off too: Docker's DNS answers locally, asking costs nothing.
Enabled in images/student/rootfs/opt/venv/etc/jupyter/jupyter_server_config.d/.
"""

from __future__ import annotations


def configure_hub_client() -> None:
    """Set the resolver of JupyterHub's shared client before it opens its first session (the
    client is created lazily by jupyterhub.httpclient.fetch, without any configuration).
    Needs the running event loop (aiohttp's resolvers take it when they are made)."""
    from aiohttp import ThreadedResolver
    from jupyterhub.httpclient import JupyterHubHTTPClient

    client = JupyterHubHTTPClient.instance()
    client.connector_options = {
        **client.connector_options,
        "resolver": ThreadedResolver(),
        "use_dns_cache": False,
    }


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "hub.singleuser.hub_client"}]


def _load_jupyter_server_extension(serverapp) -> None:
    from tornado.ioloop import IOLoop

    # Runs as soon as the loop runs: the jupyterhub extension, loaded after this one, first
    # runs the loop for its hub version check, so this callback comes before any request.
    IOLoop.current().add_callback(configure_hub_client)
    serverapp.log.info("hub API client: getaddrinfo, no DNS cache (the hub may move on restart)")
