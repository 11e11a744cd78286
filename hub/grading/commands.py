"""The staff's assignment commands for `course` (release, collect, autograde, ...)."""

from __future__ import annotations

import argparse


def add_grading_commands(sub: argparse._SubParsersAction) -> None:
    """Register the grading subcommands on the `course` parser (none yet)."""
