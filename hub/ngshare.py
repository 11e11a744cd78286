"""A small client for ngshare's REST API (the same API nbgrader's exchange uses).

Every call checks ngshare's own {"success": ...} answer: nbgrader's exit codes prove nothing
(COMPAT-NOTES: ngshare can report success while storing nothing).
"""

from __future__ import annotations

import dataclasses
import os

import requests


class NgshareError(RuntimeError):
    def __init__(self, status: int, message: str, path: str):
        self.status = status
        super().__init__(f"ngshare {path}: HTTP {status}: {message}")


@dataclasses.dataclass
class Ngshare:
    url: str  # e.g. http://ngshare:10101/services/ngshare
    token: str
    timeout: float = 30.0

    @classmethod
    def from_env(cls) -> Ngshare:
        from hub.secrets import read_secret

        return cls(
            os.environ.get("NGSHARE_URL", "http://ngshare:10101/services/ngshare"),
            os.environ.get("COURSE_ADMIN_TOKEN") or read_secret("course_admin_token"),
        )

    def _call(self, method: str, path: str, **data) -> dict:
        response = requests.request(
            method,
            f"{self.url.rstrip('/')}/{path}",
            headers={"Authorization": f"token {self.token}"},
            data=data or None,
            timeout=self.timeout,
        )
        try:
            body = response.json()
        except ValueError:
            raise NgshareError(response.status_code, response.text[:200], path) from None
        if not body.get("success"):
            raise NgshareError(response.status_code, body.get("message", "failed"), path)
        return body

    def get(self, path: str) -> dict:
        return self._call("GET", path)

    def post(self, path: str, **data) -> dict:
        return self._call("POST", path, **data)

    def healthy(self) -> bool:
        try:
            return requests.get(f"{self.url.rstrip('/')}/healthz", timeout=5).ok
        except requests.RequestException:
            return False

    # -- course membership -----------------------------------------------------------

    def courses(self) -> list[str]:
        return self.get("courses")["courses"]

    def students(self, course_id: str) -> dict[str, dict]:
        return {s["username"]: s for s in self.get(f"students/{course_id}")["students"]}

    def instructors(self, course_id: str) -> dict[str, dict]:
        return {i["username"]: i for i in self.get(f"instructors/{course_id}")["instructors"]}

    def assignments(self, course_id: str) -> list[str]:
        return self.get(f"assignments/{course_id}")["assignments"]

    def submissions(self, course_id: str, assignment_id: str) -> list[dict]:
        return self.get(f"submissions/{course_id}/{assignment_id}")["submissions"]
