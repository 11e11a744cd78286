"""Where the hub finds things: read from the container's environment, set by compose.yml.

A missing required variable stops the start with its name (never a silent None).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path


class SettingsError(RuntimeError):
    pass


SPAWNERS = ("docker", "swarm")


@dataclasses.dataclass(frozen=True)
class Settings:
    course_file: Path
    secrets_dir: Path
    network: str  # the Docker network the hub, ngshare and the students share
    stack: str  # label value that marks this stack's containers
    container_prefix: str = "jupyter"  # student containers: <prefix>-<username>
    volume_prefix: str = "course"  # volumes: <prefix>-home-<username>, <prefix>-labs, ...
    hub_data_dir: Path = Path("/srv/jupyterhub/data")
    demo_password: str = ""
    course_data_dir: str = ""  # host folder mounted read-only at /srv/course-data, if set
    public_url: str = ""
    # JupyterHub's subdomain_host, "https://hub.example.edu": set where `*.hub.example.edu`
    # resolves to the server and its certificate covers it (hub/origins.py).
    subdomain_host: str = ""
    course_dir_host: str = ""  # the course folder on the host, mounted read-only for staff
    oauth_client_secret: str = ""  # auth.kind oauth: the secret the IdP issued (never in a file)
    spawner: str = "docker"  # "docker": one host; "swarm": services over the swarm's nodes
    shared_dir: str = ""  # swarm: the folder every node mounts at this path (homes, labs)

    @property
    def hub_url(self) -> str:
        """The hub's public URL; '' where unknown (JupyterHub then reads it from requests)."""
        return self.public_url or self.subdomain_host

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        def need(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise SettingsError(f"environment variable {name} must be set (see compose.yml)")
            return value

        spawner = env.get("SPAWNER", "").strip() or "docker"
        if spawner not in SPAWNERS:
            raise SettingsError(
                f"environment variable SPAWNER is {spawner!r}; valid: {', '.join(SPAWNERS)} "
                "(swarm: docs/scale-out.md)"
            )
        shared_dir = env.get("SHARED_DIR", "").strip()
        if spawner == "swarm" and not shared_dir.startswith("/"):
            raise SettingsError(
                f"SPAWNER=swarm needs SHARED_DIR, the absolute path of the folder every node "
                f"mounts (NFS) for homes and labs; got {shared_dir!r} (docs/scale-out.md)"
            )
        subdomain_host = env.get("SUBDOMAIN_HOST", "").strip().rstrip("/")
        origin = r"https?://[a-z0-9.-]+(:[0-9]{1,5})?"
        if subdomain_host and not re.fullmatch(origin, subdomain_host):
            raise SettingsError(
                f"environment variable SUBDOMAIN_HOST is {subdomain_host!r}; valid: the hub's "
                "origin in lower case, such as https://hub.example.edu, with no path "
                "(docs/deploy.md#one-origin-per-user)"
            )
        return cls(
            course_file=Path(env.get("COURSE_FILE", "/srv/course/course.yml")),
            secrets_dir=Path(env.get("COURSE_SECRETS_DIR", "/secrets")),
            network=need("DOCKER_NETWORK_NAME"),
            stack=need("STACK_NAME"),
            container_prefix=env.get("CONTAINER_PREFIX", "jupyter"),
            volume_prefix=env.get("VOLUME_PREFIX", "course"),
            hub_data_dir=Path(env.get("HUB_DATA_DIR", "/srv/jupyterhub/data")),
            demo_password=env.get("DEMO_PASSWORD", ""),
            course_data_dir=env.get("COURSE_DATA_DIR", ""),
            public_url=env.get("PUBLIC_URL", ""),
            subdomain_host=subdomain_host,
            course_dir_host=env.get("COURSE_DIR_HOST", ""),
            oauth_client_secret=env.get("OAUTH_CLIENT_SECRET", "").strip(),
            spawner=spawner,
            shared_dir=shared_dir.rstrip("/"),
        )
