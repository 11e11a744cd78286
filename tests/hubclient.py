"""A real client of the hub through the proxy: the login form, the REST API, a user's server
(contents API) and a kernel over its websocket."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import urlparse

import requests
import websocket


class HubClient:
    def __init__(self, base_url: str, subdomains: bool = False):
        self.base = base_url.rstrip("/")
        self.subdomains = subdomains
        self.s = requests.Session()
        self.username: str | None = None

    # -- hub ---------------------------------------------------------------------------

    def login(self, username: str, password: str, next_url: str = "") -> requests.Response:
        """Submit the login form; return the final response (a failed login stays on the form).

        With the default `next_url` the hub lands on /hub/spawn, which starts the user's server;
        `next_url="/hub/home"` logs in without starting it."""
        page = self.s.get(f"{self.base}/hub/login", timeout=30)
        page.raise_for_status()
        xsrf = self.s.cookies.get("_xsrf", path="/hub/") or self.s.cookies.get("_xsrf")
        response = self.s.post(
            f"{self.base}/hub/login",
            params={"next": next_url},
            data={"username": username, "password": password, "_xsrf": xsrf},
            timeout=60,
        )
        if self.logged_in():
            self.username = username
        return response

    def logged_in(self) -> bool:
        return any(c.name.startswith("jupyterhub-session-id") or c.name == "jupyterhub-hub-login"
                   for c in self.s.cookies)

    def new_token(self, note: str = "test", expires_in: int = 3600) -> str:
        """A hub API token of this user's own, with the user's permissions (what a script or
        nbgrader of theirs would use)."""
        r = self.api("POST", f"/users/{self.username}/tokens",
                     json={"note": note, "expires_in": expires_in})
        if r.status_code != 201:
            raise RuntimeError(f"token refused: {r.status_code} {r.text}")
        return r.json()["token"]

    def _hub_xsrf(self) -> dict:
        token = self.s.cookies.get("_xsrf", path="/hub/") or self.s.cookies.get("_xsrf")
        return {"X-XSRFToken": token} if token else {}

    def api(self, method: str, path: str, **kw) -> requests.Response:
        headers = {**self._hub_xsrf(), **kw.pop("headers", {})}
        return self.s.request(method, f"{self.base}/hub/api{path}", headers=headers,
                              timeout=kw.pop("timeout", 60), **kw)

    def start_server(self, timeout: float = 420, options: dict | None = None) -> dict:
        self.request_server(options)
        return self.finish_start(timeout)

    def request_server(self, options: dict | None = None) -> None:
        """Ask for the server; `finish_start` waits for it (start several, then wait)."""
        r = self.api("POST", f"/users/{self.username}/server", json=options or {})
        if r.status_code == 400 and "already running" not in r.text:
            raise RuntimeError(f"start refused: {r.status_code} {r.text}")
        if r.status_code not in (201, 202, 400):  # 400: already running
            raise RuntimeError(f"start failed: {r.status_code} {r.text}")

    def finish_start(self, timeout: float = 420, follow_progress: bool = False) -> dict:
        server = self.follow_progress(timeout) if follow_progress else self.wait_ready(timeout)
        # A new server has a new OAuth client: forget the old server's cookies and log in to
        # it again the way a browser does (a redirect through the hub's authorize page).
        for cookie in list(self.s.cookies):
            if cookie.path.startswith(f"/user/{self.username}"):
                self.s.cookies.clear(cookie.domain, cookie.path, cookie.name)
        self.s.get(f"{self.server_url}/lab", timeout=120)
        return server

    def wait_ready(self, timeout: float = 420) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            user = self.api("GET", f"/users/{self.username}").json()
            server = user.get("servers", {}).get("")
            if server and server.get("ready"):
                return server
            time.sleep(1)
        raise TimeoutError(f"{self.username}'s server not ready after {timeout}s")

    def follow_progress(self, timeout: float = 420) -> dict:
        """Wait as the browser's spawn page does: one event stream, read to its `ready` event
        (polling the user model instead would load the hub with requests no browser sends)."""
        with self.s.get(f"{self.base}/hub/api/users/{self.username}/server/progress",
                        headers=self._hub_xsrf(), stream=True, timeout=timeout) as r:
            r.raise_for_status()
            for line in r.iter_lines(decode_unicode=True):
                if not line.startswith("data:"):
                    continue
                event = json.loads(line[5:])
                if event.get("failed"):
                    raise RuntimeError(f"{self.username}'s server failed: {event.get('message')}")
                if event.get("ready"):
                    return event
        raise RuntimeError(f"{self.username}'s progress stream ended before the server was ready")

    def stop_server(self, timeout: float = 120) -> None:
        r = self.api("DELETE", f"/users/{self.username}/server")
        if r.status_code not in (202, 204):
            raise RuntimeError(f"stop failed: {r.status_code} {r.text}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            user = self.api("GET", f"/users/{self.username}").json()
            if not user.get("servers"):
                return
            time.sleep(1)
        raise TimeoutError(f"{self.username}'s server did not stop")

    # -- the user's server -------------------------------------------------------------

    @property
    def server_url(self) -> str:
        if self.subdomains:  # each user's server on its own host (hub/origins.py)
            scheme, host = self.base.split("://")
            return f"{scheme}://{self.username}.{host}/user/{self.username}"
        return f"{self.base}/user/{self.username}"

    def open_server(self, path: str = "api/status") -> requests.Response:
        """GET a server URL, following the OAuth dance the first time."""
        return self.s.get(f"{self.server_url}/{path}", timeout=60)

    def _server_xsrf(self) -> dict:
        if not self.s.cookies.get("_xsrf", path=f"/user/{self.username}/"):
            self.s.get(f"{self.server_url}/lab", timeout=60)
        token = self.s.cookies.get("_xsrf", path=f"/user/{self.username}/")
        return {"X-XSRFToken": token} if token else {}

    def server_api(self, method: str, path: str, **kw) -> requests.Response:
        headers = {**self._server_xsrf(), **kw.pop("headers", {})}
        return self.s.request(method, f"{self.server_url}/api/{path}", headers=headers,
                              timeout=kw.pop("timeout", 60), **kw)

    def put_file(self, path: str, text: str) -> requests.Response:
        return self.server_api("PUT", f"contents/{path}",
                               json={"type": "file", "format": "text", "content": text})

    def get_file(self, path: str) -> requests.Response:
        return self.server_api("GET", f"contents/{path}?content=1")

    def kernel(self) -> Kernel:
        r = self.server_api("POST", "kernels", json={"name": "python3"})
        r.raise_for_status()
        return Kernel(self, r.json()["id"])


class Kernel:
    """One kernel's websocket channels, authenticated with the browser's cookies."""

    def __init__(self, client: HubClient, kernel_id: str):
        self.id = kernel_id
        url = urlparse(client.server_url)
        ws_url = f"ws://{url.netloc}{url.path}/api/kernels/{kernel_id}/channels"
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.s.cookies)
        self.ws = websocket.create_connection(
            ws_url, cookie=cookie, header=client._server_xsrf() and [
                f"X-XSRFToken: {client._server_xsrf()['X-XSRFToken']}"], timeout=60,
        )

    def send(self, code: str) -> str:
        """Ask the kernel to run `code`, without waiting; returns the request's id."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": uuid.uuid4().hex, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False},
        }))
        return msg_id

    def execute(self, code: str, timeout: float = 60) -> str:
        msg_id = self.send(code)
        deadline = time.monotonic() + timeout
        result = None
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "execute_result":
                result = msg["content"]["data"]["text/plain"]
            elif kind == "stream":
                result = (result or "") + msg["content"]["text"]
            elif kind == "error":
                content = msg["content"]
                raise RuntimeError(f"kernel error: {content['ename']}: {content['evalue']}")
            elif (kind == "status" and msg["content"]["execution_state"] == "idle"
                  and result is not None):
                return result
        raise TimeoutError(f"no result for {code!r}")

    def close(self) -> None:
        self.ws.close()
