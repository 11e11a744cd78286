"""Keep the running hub in line with the roster, through JupyterHub's REST API (no restart).

- a new roster name becomes a hub user: allowed at once (allow_existing_users), so they can sign in;
- a name no longer on the roster is deleted from the hub: their server is stopped and they can no
  longer sign in. Their home volume and their ngshare submissions are kept (DockerSpawner does not
  delete volumes; ngshare_sync removes nobody), so re-adding them restores everything;
- group membership (students, staff, instructors, team-*) follows the roster; staff rights reach a
  server at its next start (CourseSpawner reads the groups then).

`course roster sync` runs this with the course-admin service's token; the course-admin service
runs it at every hub start (a roster edited while the hub was down takes effect then).
`course roster diff` shows the plan without changing anything.
"""

from __future__ import annotations

import dataclasses
import os
import time

import requests

from hub.config import group_members
from hub.roster import Roster

MANAGED_GROUPS = ("students", "staff", "instructors")


class HubApiError(RuntimeError):
    def __init__(self, status: int, message: str, method: str, path: str):
        self.status = status
        super().__init__(f"hub API {method} {path}: HTTP {status}: {message}")


@dataclasses.dataclass
class HubApi:
    url: str  # e.g. http://127.0.0.1:8081/hub/api
    token: str
    timeout: float = 120.0  # deleting a user waits for their server to stop

    @classmethod
    def from_env(cls) -> HubApi:
        from hub.secrets import read_secret

        return cls(
            os.environ.get("JUPYTERHUB_API_URL", "http://127.0.0.1:8081/hub/api"),
            os.environ.get("COURSE_ADMIN_TOKEN") or read_secret("course_admin_token"),
        )

    def call(self, method: str, path: str, body: dict | None = None, **params) -> object:
        response = requests.request(
            method,
            f"{self.url.rstrip('/')}/{path.lstrip('/')}",
            headers={
                "Authorization": f"token {self.token}",
                "Accept": "application/jupyterhub-pagination+json",
            },
            json=body,
            params=params or None,
            timeout=self.timeout,
        )
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text[:200])
            except ValueError:
                message = response.text[:200]
            raise HubApiError(response.status_code, message, method, path)
        return response.json() if response.content else None

    def _paged(self, path: str) -> list[dict]:
        items, offset = [], 0
        while True:
            page = self.call("GET", path, offset=offset, limit=200)
            if isinstance(page, list):  # a hub without pagination answers a plain list
                return page
            items += page["items"]
            nxt = (page.get("_pagination") or {}).get("next")
            if not nxt:
                return items
            offset = nxt["offset"]

    def users(self) -> set[str]:
        return {u["name"] for u in self._paged("users")}

    def groups(self) -> dict[str, set[str]]:
        return {g["name"]: set(g["users"]) for g in self._paged("groups")}


@dataclasses.dataclass
class HubPlan:
    add_users: list[str] = dataclasses.field(default_factory=list)
    drop_users: list[str] = dataclasses.field(default_factory=list)
    new_groups: list[str] = dataclasses.field(default_factory=list)
    group_add: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    group_remove: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.add_users or self.drop_users or self.group_add or self.group_remove)

    def lines(self, done: bool) -> list[str]:
        if not self.changed:
            return ["hub is in sync with the roster: nothing to change"]
        verb = (lambda past, future: past) if done else (lambda past, future: future)
        out = []
        if self.add_users:
            out.append(
                f"hub: {verb('added', 'would add')} users (they can sign in): "
                + ", ".join(self.add_users)
            )
        if self.drop_users:
            out.append(
                f"hub: {verb('removed', 'would remove')} users no longer on the roster (server "
                "stopped, sign-in refused; home volume and submissions kept): "
                + ", ".join(self.drop_users)
            )
        for group in sorted(set(self.group_add) | set(self.group_remove)):
            changes = [f"+{u}" for u in self.group_add.get(group, [])]
            changes += [f"-{u}" for u in self.group_remove.get(group, [])]
            new = f" ({verb('created', 'to create')})" if group in self.new_groups else ""
            out.append(f"hub: group {group}{new}: {' '.join(changes)}")
        return out


def plan(
    roster: Roster, admin_users: list[str], users: set[str], groups: dict[str, set[str]]
) -> HubPlan:
    """What to change in a hub with `users` and `groups` so that it matches the roster."""
    wanted = roster.usernames
    result = HubPlan(
        add_users=sorted(wanted - users),
        drop_users=sorted(users - wanted - set(admin_users)),
    )
    dropped = set(result.drop_users)
    want_groups = {name: set(members) for name, members in group_members(roster).items()}
    for name in sorted(groups):  # a managed group the roster no longer fills: emptied
        if (name in MANAGED_GROUPS or name.startswith("team-")) and name not in want_groups:
            want_groups[name] = set()
    for name, members in sorted(want_groups.items()):
        have = groups.get(name)
        if have is None:
            if not members:
                continue
            result.new_groups.append(name)
            have = set()
        if add := sorted(members - have):
            result.group_add[name] = add
        # a dropped user leaves every group when the user is deleted
        if remove := sorted(have - members - dropped):
            result.group_remove[name] = remove
    return result


def current(api: HubApi) -> tuple[set[str], dict[str, set[str]]]:
    return api.users(), api.groups()


def apply(api: HubApi, the_plan: HubPlan) -> None:
    if the_plan.add_users:
        api.call("POST", "users", {"usernames": the_plan.add_users})
    for group in the_plan.new_groups:
        api.call("POST", f"groups/{group}", {"users": []})
    for group, users in the_plan.group_add.items():
        api.call("POST", f"groups/{group}/users", {"users": users})
    for group, users in the_plan.group_remove.items():
        api.call("DELETE", f"groups/{group}/users", {"users": users})
    for name in the_plan.drop_users:
        _delete_user(api, name)


def _delete_user(api: HubApi, name: str, wait: float = 120) -> None:
    """DELETE stops a running server first; the hub answers 400 while a stop is under way."""
    deadline = time.monotonic() + wait
    while True:
        try:
            api.call("DELETE", f"users/{name}")
            return
        except HubApiError as err:
            if err.status == 404:
                return
            if err.status != 400 or time.monotonic() > deadline:
                raise
            time.sleep(2)


def sync(api: HubApi, roster: Roster, admin_users: list[str], dry_run: bool = False) -> HubPlan:
    the_plan = plan(roster, admin_users, *current(api))
    if not dry_run:
        apply(api, the_plan)
    return the_plan
