"""The closing lines of `make demo`: sign-ins that exist in the roster the hub started with.

    python -m hub.demo_banner PASSWORD     (in the hub container, which reads COURSE_FILE)
"""

from __future__ import annotations

import sys

from hub.course import load_course
from hub.roster import Roster, load_roster
from hub.settings import Settings


def banner(roster: Roster, password: str) -> list[str]:
    """A student's and a staff member's sign-in, the first of each in the roster."""
    lines = []
    if roster.students:
        lines.append(f"  student login: {roster.students[0].username} / {password}")
    else:
        lines.append("  no student in the roster yet (add one to roster.csv)")
    staff = roster.instructors or roster.staff
    if staff:
        others = [p.username for p in roster.staff if p is not staff[0]][:3]
        more = f"   (also staff: {', '.join(others)})" if others else ""
        lines.append(f"  staff login:   {staff[0].username} / {password}{more}")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m hub.demo_banner PASSWORD", file=sys.stderr)
        return 2
    course_file = Settings.from_env().course_file
    course = load_course(course_file)
    print("\n".join(banner(load_roster(course_file.parent / course.roster), argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
