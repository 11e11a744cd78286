"""CourseSpawner: DockerSpawner that takes profiles, limits, GPUs and volumes from the course file.

One container per user (`<prefix>-<username>`), a persistent home volume, non-root, no new
privileges, every capability dropped, the chosen profile's CPU/memory/pids limits, and for GPU
profiles the explicit device ids the allocator picked (never `count=1` for everyone).
"""

from __future__ import annotations

import asyncio

from dockerspawner import DockerSpawner
from tornado import web
from traitlets import Unicode

from hub import gpu
from hub.course import Course, Profile, load_course, memory_bytes

LABEL_STACK = "org.course.stack"
# In the student image: formgrader on, over the grading folder (images/student/rootfs/...).
STAFF_JUPYTER_CONFIG = "/opt/venv/etc/jupyter-staff"


def refusal(status: int, err: Exception) -> web.HTTPError:
    """An HTTP error that keeps the reason on JupyterHub's failed-spawn page, which shows only
    an exception's `jupyterhub_message`."""
    http = web.HTTPError(status, str(err))
    http.jupyterhub_message = getattr(err, "jupyterhub_message", str(err))
    return http


class CourseSpawner(DockerSpawner):
    course_file = Unicode("/srv/course/course.yml", config=True, help="the course file")
    stack = Unicode("course", config=True, help="label value marking this stack's containers")
    volume_prefix = Unicode("course", config=True, help="prefix of the stack's volume names")
    course_dir_host = Unicode(
        "", config=True, help="host path of the course folder, mounted read-only for staff"
    )
    grading_source = Unicode(
        "", config=True, help="staff's grading folder, volume or path; empty: <prefix>-grading"
    )

    # Shared by every spawner of this hub: from reading the labels until the container exists,
    # or two spawns could take the same free GPU slot.
    _gpu_lock = asyncio.Lock()
    _course: Course | None = None
    _inventory: gpu.Inventory | None = None

    @property
    def course(self) -> Course:
        if CourseSpawner._course is None:
            CourseSpawner._course = load_course(self.course_file)
        return CourseSpawner._course

    @property
    def inventory(self) -> gpu.Inventory:
        if CourseSpawner._inventory is None:
            CourseSpawner._inventory = gpu.discover_inventory(self.course.gpus)
            self.log.info("GPU inventory: %s", CourseSpawner._inventory)
        return CourseSpawner._inventory

    @property
    def group_names(self) -> list[str]:
        return [g.name for g in self.user.groups]

    @property
    def is_staff(self) -> bool:
        return "staff" in self.group_names

    # -- the profile form ---------------------------------------------------------------

    def _options_form_default(self):
        def form(spawner: CourseSpawner) -> str:
            allowed = gpu.allowed_profiles(spawner.course.profiles, spawner.group_names)
            return gpu.options_form_html(allowed)

        return form

    def options_from_form(self, formdata):
        try:
            return gpu.options_from_form(formdata, self.course.profiles, self.group_names)
        except gpu.ProfileNotAllowed as err:
            raise web.HTTPError(403, str(err)) from None

    def chosen_profile(self) -> Profile:
        # user_options may come through the REST API, never seeing the form: check again.
        try:
            return gpu.resolve_profile(
                (self.user_options or {}).get("profile"), self.course.profiles, self.group_names
            )
        except gpu.ProfileNotAllowed as err:
            raise refusal(403, err) from None

    # -- the container ------------------------------------------------------------------

    async def _holders(self) -> list[dict]:
        containers = await self.docker(
            "containers", all=True, filters={"label": f"{LABEL_STACK}={self.stack}"}
        )
        return gpu.holding_labels(containers)

    async def allocate_slot(self, profile: Profile, allowed: list[Profile]) -> gpu.Slot:
        """This host's GPU slot for a new server (the swarm spawner places across nodes)."""
        return gpu.allocate(profile, self.inventory.gpus, await self._holders(), allowed)

    def _configure(self, profile: Profile, slot: gpu.Slot) -> None:
        host_config = {
            "pids_limit": profile.pids,
            "security_opt": ["no-new-privileges:true"],
            # JupyterLab runs as uid 1000 and needs no capability at all.
            "cap_drop": ["ALL"],
        }
        request = slot.docker_device_request()
        if request is not None:
            host_config["device_requests"] = [request]
        self.cpu_limit = profile.cpu
        self.mem_limit = memory_bytes(profile.memory)
        self.extra_host_config = host_config
        self.extra_create_kwargs = {
            "labels": {LABEL_STACK: self.stack, **slot.labels(self.user.name, self.name)}
        }
        volumes = dict(self.volumes)
        environment = {
            **self.environment,
            "COURSE_PROFILE": profile.slug,
            "COURSE_ROLE": "staff" if self.is_staff else "student",
            "COURSE_SUBMISSION_LIMIT_MB": str(self.course.submission_limit_mb),
            # BLAS/OpenMP default to the host's core count, far more than the CPU limit:
            # oversubscribed threads make small models many times slower.
            "OMP_NUM_THREADS": str(max(1, int(profile.cpu))),
            "MKL_NUM_THREADS": str(max(1, int(profile.cpu))),
        }
        if self.is_staff:
            # Staff only: the shared nbgrader course folder, and the course folder (read-only;
            # it holds the assignments' sources and solutions, so never for students).
            # The image's staff configuration layer turns formgrader on over that folder.
            environment["JUPYTER_CONFIG_PATH"] = STAFF_JUPYTER_CONFIG
            volumes[self.grading_source or f"{self.volume_prefix}-grading"] = {
                "bind": "/home/jovyan/grading",
                "mode": "rw",
            }
            if self.course_dir_host:
                volumes[self.course_dir_host] = {"bind": "/srv/course", "mode": "ro"}
                environment["COURSE_FILE"] = "/srv/course/course.yml"
        self.volumes = volumes
        self.environment = environment

    def forget_user_options(self) -> None:
        """JupyterHub keeps a server's last user_options and reuses them at its next plain
        start (the home page's button, a login): refused options must not stick, or that user
        could never start a server again."""
        self.user_options = {}
        if self.orm_spawner is not None:
            self.orm_spawner.user_options = {}
            if self.db is not None:
                self.db.commit()

    async def start(self):
        try:
            # Whatever the request said, only the course's allowed images ever run.
            self.image = await self.check_allowed(self.image)
            requested = (self.user_options or {}).get("image")
            if requested:
                await self.check_allowed(requested)  # DockerSpawner's own check, made early
            profile = self.chosen_profile()
        except web.HTTPError:
            self.forget_user_options()
            raise
        if profile.gpu.mode == "none":
            self._configure(profile, gpu.Slot(profile.slug, "none"))
            return await super().start()
        async with self._gpu_lock:
            allowed = gpu.allowed_profiles(self.course.profiles, self.group_names)
            try:
                slot = await self.allocate_slot(profile, allowed)
            except gpu.NoGpuSlot as err:
                raise refusal(409, err) from None
            self.log.info("%s gets %s %s", self.user.name, slot.mode, ",".join(slot.devices))
            self._configure(profile, slot)
            return await super().start()
