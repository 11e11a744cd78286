"""The watched proxy's decision (hub/proxy_watch.py): routes go back only when the proxy
answers without the marker. The real restart, measured, is
tests/stack/test_stack.py::test_a_restarted_proxy_gets_the_routes_back_without_a_hub_restart."""

import asyncio
import types

import pytest

from hub.proxy_watch import WatchedProxy


@pytest.mark.parametrize("answer, restored", [(True, 0), (None, 0), (False, 1)])
def test_routes_go_back_only_when_the_proxy_lost_the_marker(answer, restored):
    proxy = WatchedProxy(auth_token="t", api_url="http://proxy:8001")
    checks = []

    async def marker_present():
        return answer

    async def check_routes(users, services, routes=None):
        checks.append((users, services))

    proxy.marker_present = marker_present
    proxy.check_routes = check_routes
    proxy.app = types.SimpleNamespace(users={"u": 1}, _service_map={"s": 2})
    asyncio.run(proxy.watch())
    assert checks == [({"u": 1}, {"s": 2})] * restored
    assert proxy._restoring is False
