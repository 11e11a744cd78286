"""Staff grading tools that need no container: the late policy (and its nbgrader plugin),
per-student extensions, the grade export and the similarity report.

Each module has one job; the CLI (hub/cli.py) wires them to `course extend|grades|similarity`.
"""
