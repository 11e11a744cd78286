"""JupyterHub's HTTP client looks names up at each new connection, with no DNS cache.

jupyterhub.httpclient (aiohttp) resolves names through aiodns when it is installed (it is: a
jupyterhub dependency). c-ares, under aiodns, caches answers for their TTL, and Docker's DNS gives
container names a TTL of 600 s. A container that restarts can come back at another address on
the stack's network (restore.yml stops and starts the hub and ngshare together, and they may
swap), and whoever talks to it by name through this client kept the old address for up to ten
minutes: students' servers calling the hub (found by the deploy suite), the hub calling the proxy
and ngshare. getaddrinfo asks Docker's DNS, which answers locally, so asking each time costs
nothing. (ngshare asks the hub with `requests`, getaddrinfo at each request: not affected.)

Used by the hub (hub/config.py) and every server (hub/singleuser/hub_client.py).
"""

from __future__ import annotations

import asyncio
import socket

from aiohttp import ThreadedResolver
from aiohttp.abc import AbstractResolver


class FreshResolver(AbstractResolver):
    """getaddrinfo at each lookup, as aiohttp's ThreadedResolver, but made without an event loop
    (ThreadedResolver takes the running loop when it is made; config files are read before)."""

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET):
        return await ThreadedResolver(asyncio.get_running_loop()).resolve(host, port, family)

    async def close(self) -> None:
        pass


def connector_options() -> dict:
    """JupyterHubHTTPClient.connector_options: fresh lookups, and aiohttp's own 10 s cache off.
    The hub sets them as configuration; a process without JupyterHub's configuration (a
    server) uses configure_client_when_the_loop_runs()."""
    return {"resolver": FreshResolver(), "use_dns_cache": False}


def configure_client() -> None:
    """Set the options on JupyterHub's shared client (created lazily by
    jupyterhub.httpclient.fetch, without configuration) before it opens its first session.
    Needs the running event loop (the client takes it when it is made)."""
    from jupyterhub.httpclient import JupyterHubHTTPClient

    client = JupyterHubHTTPClient.instance()
    client.connector_options = {**client.connector_options, **connector_options()}


def configure_client_when_the_loop_runs() -> None:
    """Before a tornado application starts its loop: the callback runs before any request."""
    from tornado.ioloop import IOLoop

    IOLoop.current().add_callback(configure_client)
