"""One origin per user: each user's server at `<user>.<hub domain>` (JupyterHub's
`subdomain_host`), so that the browser keeps a page a student's server serves apart from the
hub and from every staff server (docs/security.md).

The course file's `user_subdomains` chooses (auto, true, false); the stack says whether a
wildcard DNS name and certificate exist (SUBDOMAIN_HOST, set by make deploy's inventory). The
proxy routes by host exactly when SUBDOMAIN_HOST is set (images/proxy/start-proxy), so the two
must agree: a disagreement stops the hub with the fix in the message, never a hub whose routes
the proxy cannot match.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from traitlets.config import Config

from hub.course import Course
from hub.settings import Settings, SettingsError


def per_user_origins(course: Course, settings: Settings) -> bool:
    wanted, host = course.user_subdomains, settings.subdomain_host
    if wanted is True and not host:
        raise SettingsError(
            f"{settings.course_file}: user_subdomains is true, but the stack has no wildcard "
            "DNS name: set SUBDOMAIN_HOST (make deploy: the inventory's tls_wildcard_domain, "
            "docs/deploy.md), or set user_subdomains to auto"
        )
    if wanted is False and host:
        raise SettingsError(
            f"{settings.course_file}: user_subdomains is false, but the stack sets "
            f"SUBDOMAIN_HOST={host} and its proxy routes by host name: remove SUBDOMAIN_HOST "
            "(make deploy: tls_wildcard_domain), or set user_subdomains to auto"
        )
    return bool(host)


def apply_origins(c: Config, course: Course, settings: Settings) -> None:
    if not per_user_origins(course, settings):
        return
    host = settings.subdomain_host
    if settings.public_url and urlsplit(settings.public_url).netloc != urlsplit(host).netloc:
        raise SettingsError(
            f"PUBLIC_URL={settings.public_url} and SUBDOMAIN_HOST={host} name different hosts; "
            "users' servers live under the hub's own name, so give both the same host"
        )
    c.JupyterHub.subdomain_host = host
    if host.startswith("https://"):
        # __Host- cookies cannot be set from a user's subdomain: a student's page cannot toss
        # a cookie of its own to the hub (a fixed session or xsrf token). They need HTTPS.
        c.JupyterHub.cookie_host_prefix_enabled = True
