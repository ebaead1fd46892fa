"""What the commands need to know about the terminal they run in."""

from __future__ import annotations

import sys


def stdin_is_terminal() -> bool:
    """Whether a person can answer prompts on stdin (a pipe or a file cannot)."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False
