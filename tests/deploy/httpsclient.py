"""Reach the target's Caddy by IP with the course's name in SNI and Host (no DNS here), trusting
only the target's internal CA."""

from __future__ import annotations

from hubclient import HubClient
from requests.adapters import HTTPAdapter


class NamedHostAdapter(HTTPAdapter):
    def __init__(self, hostname: str, **kw):
        self.hostname = hostname
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw):
        kw["server_hostname"] = self.hostname
        kw["assert_hostname"] = self.hostname
        super().init_poolmanager(*args, **kw)


def https_client(ip: str, hostname: str, ca_file: str) -> HubClient:
    client = HubClient(f"https://{ip}")
    client.s.mount("https://", NamedHostAdapter(hostname))
    client.s.verify = ca_file
    client.s.trust_env = False  # else REQUESTS_CA_BUNDLE and *_PROXY from the environment win
    client.s.headers["Host"] = hostname
    return client
