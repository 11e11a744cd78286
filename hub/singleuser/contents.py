"""Saving into a full home folder: a clear error, and no truncated file left behind.

Jupyter Server's own answer is a 500 whose message can even hide the cause ("No such file or
directory: '.~big.txt'": its atomic writer's clean-up fails after the real error, "No space left
on device"), and a new file is left behind half-written. Here the answer is
507 Insufficient Storage with how full the home is and what to do; a file that did not exist
before the save (or an upload that failed part-way) is removed. Overwriting an existing file
was already safe: the atomic writer puts the previous version back.
"""

from __future__ import annotations

import errno
import os
import shutil

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web

FULL = {errno.ENOSPC, errno.EDQUOT}


def disk_full(err: BaseException) -> bool:
    """Whether `err` or anything that caused it is "no space left" / "quota exceeded"."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, OSError) and err.errno in FULL:
            return True
        err = err.__cause__ or err.__context__
    return False


def full_message(path: str, root: str) -> str:
    try:
        usage = shutil.disk_usage(root)
        how_full = f" ({usage.used / 2**20:.1f} MB used of {usage.total / 2**20:.1f} MB)"
    except OSError:
        how_full = ""
    return (
        f"{path} was not saved: your home folder is full{how_full}. Delete files you no "
        "longer need (large data sets, model checkpoints, outputs) and save again."
    )


class CourseContentsManager(AsyncLargeFileManager):
    async def save(self, model, path=""):
        path = path.strip("/")
        os_path = self._get_os_path(path)
        chunk = model.get("chunk")
        existed = os.path.exists(os_path) and chunk in (None, 1)
        try:
            return await super().save(model, path)
        except Exception as err:
            if not disk_full(err):
                raise
            if not existed and os.path.isfile(os_path):
                os.remove(os_path)  # half-written: never let it look saved
            self.log.warning("save of %s failed: home folder full", path)
            raise web.HTTPError(507, full_message(path, self.root_dir)) from err
