"""A throw-away OpenID Connect provider (and an LMS's key set) for the auth stack tests.

Not part of the product: the tests start it in a container on the test stack's network (the hub
reaches it as http://idp:PORT for the token, userinfo and JWKS calls; the test's browser reaches
the same port on 127.0.0.1 for the login page). Standard library plus PyJWT, both in the hub
image, so it needs no image of its own.

It implements what the authorization code flow needs and checks it the way a real provider
does: the client id and secret, the exact redirect URI, single-use codes that expire, PKCE
(S256), bearer access tokens. Users and their claims come from the config file.

    python fake_idp.py CONFIG.json PORT

CONFIG: {"issuer": ..., "client_id": ..., "client_secret": ..., "redirect_uri": ...,
         "users": {"login": {"password": ..., "claims": {...}}}, "extra_jwks": [jwk, ...]}
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CODE_SECONDS = 60


class Provider:
    def __init__(self, config: dict):
        self.config = config
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "idp-" + secrets.token_hex(4)
        self.codes: dict[str, dict] = {}  # code -> grant
        self.tokens: dict[str, dict] = {}  # access token -> claims

    def jwks(self) -> dict:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        public.update(kid=self.kid, use="sig", alg="RS256")
        return {"keys": [public, *self.config.get("extra_jwks", [])]}

    def issue_code(self, login: str, query: dict) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "login": login,
            "client_id": query.get("client_id"),
            "redirect_uri": query.get("redirect_uri"),
            "challenge": query.get("code_challenge"),
            "nonce": query.get("nonce"),
            "expires": time.time() + CODE_SECONDS,
        }
        return code

    def redeem(self, form: dict, basic: tuple[str, str] | None) -> tuple[int, dict]:
        client_id, secret = basic or (form.get("client_id"), form.get("client_secret"))
        if client_id != self.config["client_id"] or secret != self.config["client_secret"]:
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        grant = self.codes.pop(form.get("code", ""), None)  # single use
        if grant is None or grant["expires"] < time.time():
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        if grant["redirect_uri"] != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}
        if grant["challenge"]:
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "PKCE failed"}
        claims = dict(self.config["users"][grant["login"]]["claims"])
        access = secrets.token_urlsafe(24)
        self.tokens[access] = claims
        now = int(time.time())
        id_token = jwt.encode(
            {
                **claims,
                "iss": self.config["issuer"],
                "aud": client_id,
                "iat": now,
                "exp": now + 300,
                **({"nonce": grant["nonce"]} if grant["nonce"] else {}),
            },
            self.key,
            algorithm="RS256",
            headers={"kid": self.kid},
        )
        return 200, {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
            "scope": "openid profile email",
        }


def login_page(query: str, error: str = "") -> str:
    return f"""<!doctype html><title>Test identity provider</title>
<h1>Sign in (test identity provider)</h1><p class="error">{html.escape(error)}</p>
<form method="post" action="/authorize?{html.escape(query)}">
<input name="username"><input name="password" type="password"><button>Sign in</button></form>"""


class Handler(BaseHTTPRequestHandler):
    provider: Provider

    def _send(
        self,
        status: int,
        body: str | dict,
        content_type: str = "application/json",
        headers: dict | None = None,
    ) -> None:
        data = (json.dumps(body) if isinstance(body, dict) else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _form(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        return {k: v[0] for k, v in parse_qs(raw).items()}

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        config = self.provider.config
        if url.path == "/health":
            self._send(200, {"ok": True})
        elif url.path == "/jwks":
            self._send(200, self.provider.jwks())
        elif url.path == "/.well-known/openid-configuration":
            base = config["issuer"]
            self._send(
                200,
                {
                    "issuer": base,
                    "authorization_endpoint": f"{base}/authorize",
                    "token_endpoint": f"{base}/token",
                    "jwks_uri": f"{base}/jwks",
                    "userinfo_endpoint": f"{base}/userinfo",
                },
            )
        elif url.path == "/authorize":
            if query.get("client_id") != config["client_id"]:
                self._send(400, "unknown client_id", "text/plain")
            elif query.get("redirect_uri") != config["redirect_uri"]:
                self._send(
                    400, f"redirect_uri not registered: {query.get('redirect_uri')}", "text/plain"
                )
            elif query.get("response_type") != "code":
                self._send(400, "only response_type=code", "text/plain")
            else:
                self._send(200, login_page(url.query), "text/html")
        elif url.path == "/userinfo":
            auth = self.headers.get("Authorization", "")
            claims = self.provider.tokens.get(auth.removeprefix("Bearer ").strip())
            if not auth.startswith("Bearer ") or claims is None:
                self._send(401, {"error": "invalid_token"})
            else:
                self._send(200, claims)
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        form = self._form()
        if url.path == "/authorize":
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            user = self.provider.config["users"].get(form.get("username", ""))
            if user is None or user["password"] != form.get("password"):
                self._send(200, login_page(url.query, "wrong username or password"), "text/html")
                return
            code = self.provider.issue_code(form["username"], query)
            answer = urlencode({"code": code, "state": query.get("state", "")})
            target = f"{query['redirect_uri']}?{answer}"
            self._send(302, "", "text/plain", {"Location": target})
        elif url.path == "/token":
            basic = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                user, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                basic = (user, secret)
            status, body = self.provider.redeem(form, basic)
            self._send(status, body)
        else:
            self._send(404, {"error": "not found"})

    def log_message(self, fmt: str, *args) -> None:
        print(f"idp: {self.address_string()} {fmt % args}", flush=True)


def main() -> None:
    config = json.loads(open(sys.argv[1]).read())
    Handler.provider = Provider(config)
    server = ThreadingHTTPServer(("0.0.0.0", int(sys.argv[2])), Handler)
    print(f"idp: listening on {sys.argv[2]} as {config['issuer']}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
