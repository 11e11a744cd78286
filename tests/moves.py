"""Make a container come back at another address on its network, as a restart can: the test of
whoever looks it up by name (c-ares once kept Docker DNS's answers for 600 s, hub/fresh_dns.py).
A real restart only may move it; here the move is made certain."""

from __future__ import annotations

import contextlib
import subprocess
import uuid


def _docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True)


def address(container: str, network: str) -> str:
    fmt = f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}'
    return _docker("inspect", "-f", fmt, container).stdout.strip()


@contextlib.contextmanager
def moved(container: str, network: str, alias: str, stand_in_image: str = "course-base:bookworm"):
    """The container leaves the network, a stand-in takes an address there, the container comes
    back under `alias` at another one and restarts (as after a real restart: the hub registers
    its new address with the proxy when it starts). Yields (before, after); the stand-in stays
    until the block ends."""
    before = address(container, network)
    stand_in = f"moved-stand-in-{uuid.uuid4().hex[:6]}"
    _docker("network", "disconnect", network, container)
    try:
        _docker("run", "-d", "--rm", "--name", stand_in, "--network", network, stand_in_image,
                "sleep", "600")  # fmt: skip
        _docker("network", "connect", "--alias", alias, network, container)
        _docker("restart", container)
        after = address(container, network)
        assert after != before, f"{container} kept its address {before}: the move was not made"
        yield before, after
    finally:
        _docker("rm", "-f", stand_in, check=False)
