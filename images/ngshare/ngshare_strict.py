"""ngshare, with stricter checks on the files a request carries; then ngshare's own main().

ngshare 0.6.0 (pinned, unmaintained upstream) refuses '..' and absolute file names, but accepts
names that break the staff's `nbgrader collect` for the whole class, because collect writes
every student's files in one loop and stops at the first error: a NUL byte ("embedded null
byte"), a name longer than a file system allows, or a file and a folder of the same name. It
also answers a malformed `files` list with a 500. Here each of those is a 400 with the reason,
before ngshare stores anything. And a request without a valid token is refused with 403 up
front: ngshare's GET handlers redirect to the hub's login, but its POST handlers assumed a user
and answered 500 (docs/security.md).

    python ngshare_strict.py --admins course-admin ...     # images/ngshare/start-ngshare
"""

from __future__ import annotations

import base64
import binascii
import json
import sys

MAX_NAME_BYTES = 255  # one path component (ext4, xfs, overlayfs)
MAX_PATH_BYTES = 1024
MAX_FILES = 1000


def files_problem(files_json: str | None) -> str | None:
    """Why this `files` field must be refused, or None (ngshare's own checks then run too)."""
    if files_json is None:
        return None  # ngshare's own "Please supply files"
    try:
        files = json.loads(files_json)
    except (ValueError, RecursionError):
        return "Files cannot be JSON decoded"
    if not isinstance(files, list):
        return "files must be a list of {path, content}"
    if len(files) > MAX_FILES:
        return f"more than {MAX_FILES} files"
    paths = []
    for entry in files:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("path"), str)
            or not isinstance(entry.get("content"), str)
        ):
            return 'each file must be {"path": string, "content": base64 string}'
        try:  # ngshare itself decodes leniently: "%%%" would be stored as an empty file
            base64.b64decode(entry["content"].replace("\n", ""), validate=True)
        except (ValueError, binascii.Error):
            return "Content cannot be base64 decoded"
        path = entry["path"]
        if any(ord(c) < 32 or ord(c) == 127 for c in path):
            return f"Illegal path {path!r}: control characters"
        if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
            return f"Illegal path: longer than {MAX_PATH_BYTES} bytes"
        if any(
            len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES for part in path.split("/")
        ):
            return f"Illegal path {path[:80]!r}...: a name longer than {MAX_NAME_BYTES} bytes"
        try:
            path.encode("utf-8")
        except UnicodeEncodeError:
            return f"Illegal path {path!r}: not valid Unicode"
        paths.append(path)
    as_files = set(paths)
    if len(as_files) != len(paths):
        return "the same path twice"
    for path in paths:
        parts = path.split("/")
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) in as_files:
                return f"Illegal path {path!r}: {'/'.join(parts[:i])!r} is also a file"
    return None


def install() -> None:
    """Put the checks in front of ngshare's file unpacking (every upload goes through it) and
    of every API request."""
    from ngshare import ngshare

    unpack = ngshare.MyHelpers.json_files_unpack
    if getattr(unpack, "strict", False):
        return

    def json_files_unpack(self, json_str, target):
        problem = files_problem(json_str)
        if problem:
            self.json_error(400, problem)
        return unpack(self, json_str, target)

    prepare = ngshare.MyRequestHandler.prepare

    def prepare_strict(self):
        prepare(self)
        if self.user is None and self.request.method not in ("GET", "HEAD"):
            self.json_error(403, "Permission denied (no valid token)")

    json_files_unpack.strict = True
    ngshare.MyHelpers.json_files_unpack = json_files_unpack
    ngshare.MyRequestHandler.prepare = prepare_strict


def main(argv: list[str]) -> None:
    install()
    from ngshare import ngshare

    ngshare.main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
