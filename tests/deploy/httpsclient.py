"""Reach the target's Caddy under the course's name without DNS: the name and every name under
it (each user's server, <user>.<name>, and service, the deploy's wildcard) resolve to the
target's address for this test process only, so SNI, Host and the hub's absolute OAuth
redirects (https://<name>/hub/...) all work, trusting only the target's internal CA."""

from __future__ import annotations

import urllib3.util.connection
from hubclient import HubClient

_names: dict[str, str] = {}
_create_connection = urllib3.util.connection.create_connection


def _resolving_create_connection(address, *args, **kw):
    host, port = address
    ip = next((ip for name, ip in _names.items() if host == name or host.endswith(f".{name}")),
              host)
    return _create_connection((ip, port), *args, **kw)


urllib3.util.connection.create_connection = _resolving_create_connection


def https_client(ip: str, hostname: str, ca_file: str, subdomains: bool = True) -> HubClient:
    """`subdomains`: each user's server at <user>.<hostname> (the deploy's tls_wildcard_domain)."""
    _names[hostname] = ip
    client = HubClient(f"https://{hostname}", subdomains=subdomains)
    client.s.verify = ca_file
    client.s.trust_env = False  # else REQUESTS_CA_BUNDLE and *_PROXY from the environment win
    return client
