"""The demo authenticator: roster users only, one shared password. For `make demo` and tests.

A real course chooses `oauth`, `lti13` or `native` in the course file.
"""

from __future__ import annotations

import hmac

from jupyterhub.auth import Authenticator
from traitlets import Unicode


class DemoAuthenticator(Authenticator):
    password = Unicode(
        "", config=True, help="the shared password (DEMO_PASSWORD); empty refuses every login"
    )

    async def authenticate(self, handler, data):
        username = self.normalize_username(data.get("username", ""))
        given = data.get("password", "")
        if not self.password or not hmac.compare_digest(given.encode(), self.password.encode()):
            self.log.warning("Failed login for %r: wrong password", username)
            return None
        # allowed_users (the roster) is checked by JupyterHub after this returns.
        return username
