"""What the commands need to know about the terminal they run in, and reading one key.

``read_key`` lets a person answer a prompt with a single key press (Enter,
``b``, ``q``, ``?``) when stdin is a terminal; where it is not (a pipe, a
file, a test) it falls back to reading a typed line, so scripted input keeps
working.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

#: Keys that end a single-key read, as ``read_key`` returns them.
ENTER = ""


def stdin_is_terminal() -> bool:
    """Whether a person can answer prompts on stdin (a pipe or a file cannot)."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _read_posix_key() -> str:
    """One key from a POSIX terminal, without waiting for Enter (Ctrl-C still interrupts)."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)  # no line buffering, no echo; signals (Ctrl-C) stay on
        data = os.read(fd, 8)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    if not data:
        raise EOFError
    if data[:1] == b"\x04":  # Ctrl-D
        raise EOFError
    return data.decode("utf-8", errors="replace")


def _read_windows_key() -> str:  # pragma: no cover - exercised on Windows only
    import msvcrt

    getwch = getattr(msvcrt, "getwch")  # noqa: B009 - Windows only; type checkers run elsewhere
    key = str(getwch())
    if key == "\x03":
        raise KeyboardInterrupt
    if key in ("\x00", "\xe0"):  # arrows and function keys come as two codes
        getwch()
        return "\x1b"
    return key


def normalise_key(raw: str) -> str:
    """A key press as a prompt reads it: Enter -> ``""``, letters lower case, the rest as is."""
    if raw in ("\r", "\n", "\r\n"):
        return ENTER
    if raw.startswith("\x1b"):  # an escape sequence (arrow keys...): not a known key
        return raw
    return raw.strip().lower()


def read_key(prompt: str, write: Callable[[str], object] | None = None) -> str:
    """Show ``prompt`` and return one key press (see ``normalise_key``).

    Where stdin is not a terminal, read a whole line instead (``input``), so
    ``echo q | minigrad ...`` and tests keep working. ``write`` prints the
    prompt (default: ``sys.stdout``); EOF raises ``EOFError``.
    """
    if not stdin_is_terminal():
        return normalise_key(input(prompt)) if write is None else _line(prompt, write)
    out = write or _stdout
    out(prompt)
    try:
        raw = _read_windows_key() if sys.platform == "win32" else _read_posix_key()
    finally:
        out("\n")
    return normalise_key(raw)


def _line(prompt: str, write: Callable[[str], object]) -> str:
    write(prompt)
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return normalise_key(line.rstrip("\n") or "\n")


def _stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
