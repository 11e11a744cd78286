"""CourseSpawner: DockerSpawner that takes limits, volumes and labels from the course file.

One container per user (`<prefix>-<username>`), a persistent home volume, non-root, no new
privileges, all capabilities dropped, and the CPU/memory/pids limits of the chosen profile.
"""

from __future__ import annotations

from dockerspawner import DockerSpawner
from tornado import web
from traitlets import Unicode

from hub.course import Course, Profile, load_course, memory_bytes

LABEL_STACK = "org.course.stack"
LABEL_USER = "org.course.user"
LABEL_PROFILE = "org.course.profile"


class CourseSpawner(DockerSpawner):
    course_file = Unicode("/srv/course/course.yml", config=True, help="the course file")
    stack = Unicode("course", config=True, help="label value marking this stack's containers")
    volume_prefix = Unicode("course", config=True, help="prefix of the stack's volume names")

    _course: Course | None = None

    @property
    def course(self) -> Course:
        if self._course is None:
            self._course = load_course(self.course_file)
        return self._course

    # -- who gets what ------------------------------------------------------------------

    @property
    def group_names(self) -> set[str]:
        return {g.name for g in self.user.groups}

    @property
    def is_staff(self) -> bool:
        return "staff" in self.group_names

    def allowed_profiles(self) -> list[Profile]:
        groups = self.group_names
        return [p for p in self.course.profiles if groups & set(p.groups)]

    def chosen_profile(self) -> Profile:
        allowed = self.allowed_profiles()
        if not allowed:
            raise web.HTTPError(
                403, f"No server profile in the course file is open to {self.user.name}'s groups"
            )
        slug = (self.user_options or {}).get("profile")
        if slug is None:
            return next((p for p in allowed if p.default), allowed[0])
        for p in allowed:
            if p.slug == slug:
                return p
        raise web.HTTPError(
            403,
            f"Profile {slug!r} is not available to you; choose one of: "
            + ", ".join(p.display_name for p in allowed),
        )

    # -- the container --------------------------------------------------------------------

    def _apply_profile(self, profile: Profile) -> None:
        self.cpu_limit = profile.cpu
        self.mem_limit = memory_bytes(profile.memory)
        self.extra_host_config = {
            "pids_limit": profile.pids,
            "security_opt": ["no-new-privileges:true"],
            # JupyterLab runs as uid 1000 and needs no capability at all.
            "cap_drop": ["ALL"],
            "init": False,  # the image's entrypoint is tini
        }
        self.extra_create_kwargs = {
            "labels": {
                LABEL_STACK: self.stack,
                LABEL_USER: self.user.name,
                LABEL_PROFILE: profile.slug,
            },
        }
        if self.is_staff:
            self.volumes = {
                **self.volumes,
                f"{self.volume_prefix}-grading": {
                    "bind": "/home/jovyan/grading",
                    "mode": "rw",
                },
            }
        self.environment = {**self.environment, "COURSE_PROFILE": profile.slug}

    async def start(self):
        # Whatever the form said, only the course's allowed images ever run.
        self.image = await self.check_allowed(self.image)
        self._apply_profile(self.chosen_profile())
        return await super().start()
