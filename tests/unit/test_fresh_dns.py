"""hub/fresh_dns.py: JupyterHub's HTTP client in the hub and the servers looks names up at each
new connection (Docker's DNS), never from c-ares's 600 s cache. The hub's configuration is checked
in test_config.py, the servers' client in test_singleuser.py; the deploy suite moves the hub
under a running server for real."""

from __future__ import annotations

import asyncio

from hub.fresh_dns import FreshResolver, connector_options


def test_each_lookup_asks_getaddrinfo_again():
    async def twice():
        loop = asyncio.get_running_loop()
        asked, real = [], loop.getaddrinfo

        async def counting(host, *args, **kwargs):
            asked.append(host)
            return await real(host, *args, **kwargs)

        loop.getaddrinfo = counting
        resolver = FreshResolver()
        first = await resolver.resolve("localhost", 8081)
        second = await resolver.resolve("localhost", 8081)
        return asked, first, second

    asked, first, second = asyncio.run(twice())
    assert asked == ["localhost", "localhost"]  # no cache between them
    assert first[0]["host"] == "127.0.0.1" and first[0]["port"] == 8081
    assert second == first


def test_made_without_a_running_loop_as_config_files_are_read():
    options = connector_options()  # ThreadedResolver() here would raise: no running loop
    assert options["use_dns_cache"] is False
    assert isinstance(options["resolver"], FreshResolver)
