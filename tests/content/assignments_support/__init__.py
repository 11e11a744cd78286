"""Helpers for tests/content/test_assignments.py: a throw-away nbgrader course and its grades."""
