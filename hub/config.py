"""Turn the course file and roster into JupyterHub configuration.

Each `apply_*` function sets (never appends to or mutates) traits on a plain traitlets
`Config`, so it is unit tested without starting a hub (tests/unit/test_config.py).
"""

from __future__ import annotations

import socket
import sys

from traitlets.config import Config

from hub import gpu
from hub.course import Course, Lti13Settings, NativeSettings, OAuthSettings
from hub.links import SERVED_REPO_URL
from hub.origins import apply_origins
from hub.roster import Roster
from hub.secrets import read_secret
from hub.settings import Settings, SettingsError

HUB_PORT = 8081
NGSHARE_PORT = 10101
# ngshare's admin: the hub service whose token the `course` CLI and the roster sync use.
COURSE_ADMIN_SERVICE = "course-admin"


def group_members(roster: Roster) -> dict[str, list[str]]:
    groups = {
        "students": sorted(p.username for p in roster.students),
        "staff": sorted(p.username for p in roster.staff),
        "instructors": sorted(p.username for p in roster.instructors),
    }
    for team, members in roster.teams().items():
        groups[f"team-{team}"] = sorted(members)
    return groups


def own_address() -> str:
    """This container's address on the stack's network (its name resolves in /etc/hosts)."""
    return socket.gethostbyname(socket.gethostname())


def apply_hub(c: Config, settings: Settings) -> None:
    """Database, secrets and the external proxy (its own container)."""
    c.JupyterHub.db_url = f"sqlite:///{settings.hub_data_dir}/jupyterhub.sqlite"
    c.JupyterHub.cookie_secret = bytes.fromhex(
        read_secret("cookie_secret", settings.secrets_dir)
    )
    c.JupyterHub.hub_bind_url = f"http://0.0.0.0:{HUB_PORT}"
    # The proxy reaches the hub by address, not by name: it resolves a name on every request
    # through Docker's DNS, which fails under a login storm (503 "ENOTFOUND hub",
    # docs/performance.md). The hub re-registers its address at each start; servers keep the
    # name (apply_spawner), as they outlive a hub restart that may change the address.
    c.JupyterHub.hub_connect_url = f"http://{own_address()}:{HUB_PORT}"
    # The proxy runs on its own, so a hub restart drops no connection and stops no server.
    c.JupyterHub.cleanup_servers = False
    c.ConfigurableHTTPProxy.should_start = False
    # Routes live in the proxy's memory: the watched proxy notices a restarted proxy within
    # `watch_interval` (2 s) and puts every route back at once (hub/proxy_watch.py).
    c.JupyterHub.proxy_class = "hub.proxy_watch.WatchedProxy"
    # JupyterHub's full route check (and the activity the idle culler reads) runs at this
    # interval; it is the second line, for a route lost some other way. One GET of the routing
    # table a minute costs nothing (JupyterHub's default is 300 s).
    c.JupyterHub.last_activity_interval = 60
    c.ConfigurableHTTPProxy.api_url = "http://proxy:8001"
    c.ConfigurableHTTPProxy.auth_token = read_secret("proxy_token", settings.secrets_dir)
    # The hub's own client (to the proxy, ngshare, servers) must not keep a restarted
    # container's old address for Docker's 600 s TTL (hub/fresh_dns.py).
    from hub.fresh_dns import connector_options  # aiohttp: only where the hub runs

    c.JupyterHubHTTPClient.connector_options = connector_options()
    c.JupyterHub.authenticate_prometheus = True
    if settings.hub_url:
        c.JupyterHub.public_url = settings.hub_url


def apply_users(c: Config, course: Course, roster: Roster) -> None:
    """Roster users are the only allowed users; groups and the staff role come from it."""
    c.Authenticator.allowed_users = set(roster.usernames)
    c.Authenticator.admin_users = set(course.auth.admin_users)
    c.Authenticator.allow_all = False
    # Users the roster sync adds through the REST API are allowed at once, and deleting one
    # (a dropped student) disallows them (hub/hub_sync.py); OAuthenticator defaults this to off.
    c.Authenticator.allow_existing_users = True
    # The roster is the truth: group membership follows it at every hub start.
    c.JupyterHub.load_groups = {
        name: {"users": members} for name, members in group_members(roster).items()
    }
    # Staff get what running the course needs, not admin.
    c.JupyterHub.load_roles = [
        {
            "name": "course-staff",
            "description": "TAs and instructors: see students and their servers' state",
            "groups": ["staff"],
            "scopes": [
                "self",
                "list:users",
                "read:users",
                "read:servers",
                "read:groups",
                "access:services!service=ngshare",
            ],
        },
        {
            "name": "idle-culler",
            "description": "stop idle servers (jupyterhub-idle-culler's documented role)",
            "services": ["idle-culler"],
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        },
        {
            "name": COURSE_ADMIN_SERVICE,
            "description": "roster sync and the staff CLI: manage users, groups and servers",
            "services": [COURSE_ADMIN_SERVICE],
            "scopes": ["admin:users", "admin:groups", "admin:servers", "list:users"],
        },
    ] + (
        [{
            "name": "gpu-culler",
            "description": "stop servers that hold a GPU slot without using it",
            "services": ["gpu-culler"],
            "scopes": ["delete:servers"],
        }]
        if gpu.uses_gpus(course.profiles)
        else []
    )


def apply_auth(c: Config, course: Course, settings: Settings) -> None:
    """The authenticator the course file chooses; each admits roster users only (apply_users)."""
    auth = course.auth
    # Each sign-in is checked against the roster file as it is then (hub/auth.py, RosterOnly).
    c.RosterOnly.roster_file = str(settings.course_file.parent / course.roster)
    c.RosterOnly.course_title = course.course.title
    if auth.kind == "demo":
        c.JupyterHub.authenticator_class = "hub.auth.DemoAuthenticator"
        c.DemoAuthenticator.password = settings.demo_password
        return
    if auth.kind == "oauth":
        apply_oauth(c, auth.oauth, settings)
    elif auth.kind == "lti13":
        apply_lti13(c, auth.lti13, settings)
    elif auth.kind == "native":
        apply_native(c, auth.native or NativeSettings())
    else:  # the course model allows no other kind
        raise ValueError(f"unknown auth.kind {auth.kind!r}")


def apply_oauth(c: Config, oauth: OAuthSettings, settings: Settings) -> None:
    if not settings.oauth_client_secret:
        raise SettingsError(
            "auth.kind oauth needs the client secret the identity provider issued: set "
            "OAUTH_CLIENT_SECRET in the stack's environment (.env), never in a file in the "
            "repository (docs/auth.md)"
        )
    c.JupyterHub.authenticator_class = "hub.auth.CourseOAuthenticator"
    a = c.CourseOAuthenticator
    a.client_id = oauth.client_id
    a.client_secret = settings.oauth_client_secret
    a.authorize_url = oauth.authorize_url
    a.token_url = oauth.token_url
    if oauth.userdata_url:
        a.userdata_url = oauth.userdata_url
    else:
        a.userdata_from_id_token = True
    a.username_claim = oauth.username_claim
    a.email_domain = oauth.email_domain or ""
    a.scope = list(oauth.scopes)
    a.login_service = oauth.login_service
    a.enable_pkce = True
    if settings.hub_url:
        a.oauth_callback_url = f"{settings.hub_url.rstrip('/')}/hub/oauth_callback"
    if oauth.logout_url:
        a.logout_redirect_url = oauth.logout_url


def apply_lti13(c: Config, lti: Lti13Settings, settings: Settings) -> None:
    c.JupyterHub.authenticator_class = "hub.auth.CourseLTI13Authenticator"
    a = c.CourseLTI13Authenticator
    a.issuer = lti.issuer
    a.client_id = set(lti.client_id)
    a.authorize_url = lti.authorize_url
    a.jwks_endpoint = lti.jwks_url
    a.username_key = lti.username_claim
    a.email_domain = lti.email_domain or ""
    if settings.hub_url:
        a.uri_scheme = "https" if settings.hub_url.startswith("https") else "http"


def apply_native(c: Config, native: NativeSettings) -> None:
    c.JupyterHub.authenticator_class = "hub.auth.CourseNativeAuthenticator"
    a = c.CourseNativeAuthenticator
    # Sign-up is for roster names only (CourseNativeAuthenticator.create_user), so whoever may
    # sign up is approved at once: no admin approval queue.
    a.enable_signup = True
    a.open_signup = True
    a.ask_email_on_signup = False
    a.allow_2fa = False
    a.minimum_password_length = native.min_password_length
    a.check_common_password = True
    a.allowed_failed_logins = native.failed_logins_before_lock
    a.seconds_before_next_try = native.lock_seconds


def apply_services(c: Config, course: Course, settings: Settings) -> None:
    c.JupyterHub.services = [
        {
            # Runs in its own container (images/ngshare); the hub only knows its URL and token.
            "name": "ngshare",
            "url": f"http://ngshare:{NGSHARE_PORT}",
            "api_token": read_secret("ngshare_token", settings.secrets_dir),
            "oauth_no_confirm": True,
        },
        {
            "name": "idle-culler",
            "command": [
                sys.executable,
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={course.culler.timeout_seconds}",
                f"--cull-every={course.culler.every_seconds}",
                f"--max-age={course.culler.max_age_seconds}",
            ],
        },
        {
            # Roster sync into ngshare at start; publishes each lab at its release.
            "name": COURSE_ADMIN_SERVICE,
            "api_token": read_secret("course_admin_token", settings.secrets_dir),
            "command": [sys.executable, "-m", "hub.admin_service"],
            "environment": {"COURSE_FILE": str(settings.course_file)},
        },
    ] + (
        [{
            # Stops servers that hold a GPU slot with no GPU activity (NVML on the host);
            # hub-started services do not inherit the hub's environment, hence `environment`.
            "name": "gpu-culler",
            "command": [
                sys.executable, "-m", "hub.gpu.culler", "--every", "60",
                "--notices", f"{settings.hub_data_dir}/gpu-notices.json",
            ],
            "environment": {"COURSE_FILE": str(settings.course_file), "STACK_NAME": settings.stack},
        }]
        if gpu.uses_gpus(course.profiles)
        else []
    )


def apply_spawner(c: Config, course: Course, settings: Settings) -> None:
    c.JupyterHub.spawner_class = "hub.spawner.CourseSpawner"
    c.DockerSpawner.image = course.images.student
    c.DockerSpawner.allowed_images = course.images.allowed_images()
    c.DockerSpawner.pull_policy = "never"  # images are built where they run
    c.DockerSpawner.prefix = settings.container_prefix
    c.DockerSpawner.name_template = "{prefix}-{username}"
    c.DockerSpawner.network_name = settings.network
    c.DockerSpawner.use_internal_ip = True
    c.DockerSpawner.hub_connect_url = f"http://hub:{HUB_PORT}"
    # Containers are disposable (a new image applies at the next start); data lives in volumes.
    c.DockerSpawner.remove = True
    c.DockerSpawner.notebook_dir = "/home/jovyan"
    data = (
        {settings.course_data_dir: {"bind": "/srv/course-data", "mode": "ro"}}
        if settings.course_data_dir
        else {}
    )
    c.DockerSpawner.volumes = {  # set once, never mutated afterwards
        f"{settings.volume_prefix}-home-{{username}}": "/home/jovyan",
        f"{settings.volume_prefix}-labs": {"bind": "/srv/labs.git", "mode": "ro"},
        **data,
    }
    if settings.spawner == "swarm":
        apply_swarm(c, settings, data)
    c.DockerSpawner.environment = {
        "NGSHARE_URL": f"http://ngshare:{NGSHARE_PORT}/services/ngshare",
        "COURSE_DATA_DIR": "/srv/course-data",
        "COURSE_ID": course.course.id,
        # the one repository nbgitpuller may pull (hub/singleuser/gitpuller_guard.py)
        "COURSE_LABS_REPO": SERVED_REPO_URL,
        # Kernels' connection files go to the container's /tmp, not the home: a full home
        # must not stop a student from starting a kernel (docs/security.md).
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
    }
    # Generous: at the start of a lab, many servers start at once on a few cores.
    c.DockerSpawner.http_timeout = 300
    c.DockerSpawner.start_timeout = 300
    c.Spawner.default_url = "/lab"
    c.CourseSpawner.course_file = str(settings.course_file)
    c.CourseSpawner.stack = settings.stack
    c.CourseSpawner.volume_prefix = settings.volume_prefix
    c.CourseSpawner.course_dir_host = settings.course_dir_host


def apply_swarm(c: Config, settings: Settings, data: dict) -> None:
    """Servers as swarm services on any node: what they mount must be on every node, so
    homes, the labs repository and the grading folder are host paths under the shared
    (NFS) folder instead of this host's volumes (docs/scale-out.md)."""
    shared = settings.shared_dir
    c.JupyterHub.spawner_class = "hub.swarm.CourseSwarmSpawner"
    c.CourseSwarmSpawner.shared_dir = shared
    c.CourseSpawner.grading_source = f"{shared}/grading"
    c.DockerSpawner.volumes = {
        f"{shared}/homes/{{username}}": "/home/jovyan",
        f"{shared}/labs.git": {"bind": "/srv/labs.git", "mode": "ro"},
        **data,
    }


def apply_home(c: Config, settings: Settings) -> None:
    """The course home page and the stable per-week links (/hub/course/week/N)."""
    from hub.handlers import course_handlers
    from hub.home import TEMPLATES_DIR, course_file, hub_template_vars

    get_course = course_file(settings.course_file)  # rereads course.yml when it changes
    c.JupyterHub.template_paths = [str(TEMPLATES_DIR)]
    # Land on the course home page after login (this week's lab, deadlines), not on a server
    # start: "Open lab" starts the server when it is needed.
    c.JupyterHub.redirect_to_server = False
    c.JupyterHub.template_vars = hub_template_vars(get_course)  # called per request and user
    c.JupyterHub.extra_handlers = course_handlers(get_course)


def apply_all(c: Config, course: Course, roster: Roster, settings: Settings) -> None:
    apply_hub(c, settings)
    apply_origins(c, course, settings)
    apply_home(c, settings)
    apply_users(c, course, roster)
    apply_auth(c, course, settings)
    apply_services(c, course, settings)
    apply_spawner(c, course, settings)
