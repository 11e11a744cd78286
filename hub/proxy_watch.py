"""The proxy, watched: after a proxy restart the hub puts every route back within seconds.

configurable-http-proxy keeps its routing table in memory, so a restarted proxy knows no
student's server; JupyterHub itself notices only at its next route check
(`last_activity_interval`). This proxy class adds a marker route outside JupyterHub's namespace
(its route check neither lists nor removes routes without the `jupyterhub` flag) and asks the
proxy for that one route every `watch_interval` seconds: one small request. A proxy without
the marker has restarted, and the hub puts the marker and every route back at once.
"""

from __future__ import annotations

import aiohttp
from jupyterhub.httpclient import fetch
from jupyterhub.proxy import ConfigurableHTTPProxy
from jupyterhub.utils import url_path_join
from tornado.ioloop import PeriodicCallback
from traitlets import Float

# As a path it leads to the hub (a 404); with host routing it reads as a host name, and '_' is
# in no host name a browser sends, so it never matches a request either way.
MARKER = "/_course-proxy-watch"


class WatchedProxy(ConfigurableHTTPProxy):
    watch_interval = Float(
        2.0, help="seconds between two checks that the proxy still has its routes; 0: never"
    ).tag(config=True)

    _watch: PeriodicCallback | None = None
    _restoring = False

    async def check_routes(self, user_dict, service_dict, routes=None):
        await super().check_routes(user_dict, service_dict, routes)
        await self.api_request(MARKER, method="POST", body={"target": self.hub.host})
        if self._watch is None and self.watch_interval > 0:  # the hub's first check, at start
            self._watch = PeriodicCallback(self.watch, 1e3 * self.watch_interval)
            self._watch.start()

    async def marker_present(self) -> bool | None:
        """True or False as the proxy answers; None when it does not answer (restarting)."""
        try:
            resp = await fetch(
                url_path_join(self.api_url, "api/routes", MARKER),
                headers={"Authorization": f"token {self.auth_token}"},
                raise_for_status=False,
                timeout=aiohttp.ClientTimeout(total=5),
            )
        except (aiohttp.ClientError, TimeoutError):
            return None
        return resp.status == 200

    async def watch(self) -> None:
        if self._restoring or await self.marker_present() is not False:
            return
        self._restoring = True
        try:
            self.log.warning("The proxy has lost its routes (restarted?): putting them back")
            await self.check_routes(self.app.users, self.app._service_map)
        finally:
            self._restoring = False
