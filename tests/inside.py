"""Probe the network from inside a container, the way code a student runs there would.

`probe(stack, container, cases)` runs one Python script in the container (`docker exec`) and
returns one result per case:
  ("http", METHOD, URL[, "token"][, body])  ->  {"status": 403, "location": ..., "body": ...}
  ("tcp", HOST, PORT)                        ->  "open" | "refused" | "timeout" | "<error>"
"token" sends the container's own JUPYTERHUB_API_TOKEN (the student server's token).
Redirects are not followed: a 302 is an answer.
"""

from __future__ import annotations

import json

SCRIPT = r"""
import json, os, socket, sys, urllib.error, urllib.request

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

opener = urllib.request.build_opener(NoRedirect)

def http(method, url, token=None, body=None):
    data = body.encode() if isinstance(body, str) else None
    req = urllib.request.Request(url, method=method, data=data)
    if token == "token":
        req.add_header("Authorization", "token " + os.environ["JUPYTERHUB_API_TOKEN"])
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        r = opener.open(req, timeout=10)
        body = r.read(2000).decode("utf-8", "replace")
        return {"status": r.status, "location": None, "body": body}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "location": e.headers.get("Location"),
                "body": e.read(2000).decode("utf-8", "replace")}
    except OSError as e:
        return {"status": None, "location": None, "body": f"{type(e).__name__}: {e}"}

def tcp(host, port):
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((host, port))
        return "open"
    except ConnectionRefusedError:
        return "refused"
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return type(e).__name__
    finally:
        s.close()

out = []
for case in json.loads(sys.argv[1]):
    out.append(tcp(*case[1:]) if case[0] == "tcp" else http(*case[1:]))
print(json.dumps(out))
"""


def probe(stack, container: str, cases: list[tuple]) -> list:
    done = stack.exec(container, "python", "-c", SCRIPT, json.dumps(cases), check=False)
    if done.returncode != 0:
        raise RuntimeError(f"probe failed in {container}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def default_gateway(stack, container: str) -> str:
    """The container's default gateway: the host, as seen from the stack's network."""
    route = stack.exec(container, "cat", "/proc/net/route").stdout.splitlines()[1:]
    for line in route:
        fields = line.split()
        if fields[1] == "00000000":  # destination 0.0.0.0: the default route
            raw = bytes.fromhex(fields[2])
            return ".".join(str(b) for b in reversed(raw))
    raise AssertionError(f"no default route in {route}")


def listening(stack, container: str) -> set[str]:
    """'address:port' of every listening TCP socket in the container (IPv4 and IPv6)."""
    out = stack.exec(container, "cat", "/proc/net/tcp", "/proc/net/tcp6").stdout
    found = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[3] == "0A":  # TCP_LISTEN
            addr, port = fields[1].split(":")
            if len(addr) == 8:
                ip = ".".join(str(b) for b in reversed(bytes.fromhex(addr)))
            else:
                ip = "::" if set(addr) == {"0"} else addr
            found.add(f"{ip}:{int(port, 16)}")
    return found
