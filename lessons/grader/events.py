"""The grading process's report to the runner: JSON events, each signed, in order.

The grading process writes one line per event (a check started, its result,
the end) to a pipe that only it and the runner hold. Each line is
``<HMAC-SHA256> <JSON>`` under a key the runner makes for this run and hands
over through another pipe (never the environment or the command line), and
every event carries the next sequence number. A line the student's process
manages to write into that pipe, a line it removes, or one it replays, breaks
the signature or the sequence: the runner then reports the run as tampered
with, never as a pass.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from typing import Any, TextIO

KEY_BYTES = 32


def new_key() -> bytes:
    """A fresh key for one grading run."""
    return secrets.token_bytes(KEY_BYTES)


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def read_key(fd: int) -> bytes:
    """Read the run's key from the pipe ``fd`` (then closed)."""
    data = b""
    with open(fd, "rb", closefd=True) as stream:
        while len(data) < KEY_BYTES:
            chunk = stream.read(KEY_BYTES - len(data))
            if not chunk:
                break
            data += chunk
    if len(data) != KEY_BYTES:
        raise RuntimeError("the grader's key pipe closed early")
    return data


class EventWriter:
    """Signed, numbered events, one line each, flushed at once (the grading process's side)."""

    def __init__(self, stream: TextIO | None, key: bytes) -> None:
        self.stream = stream
        self.key = key
        self.seq = 0

    @classmethod
    def open(cls, fd: int | None, key_fd: int | None) -> EventWriter:
        """The writer on the pipe ``fd`` with the key read from ``key_fd`` (a no-op without)."""
        if fd is None or key_fd is None:
            return cls(None, b"")
        key = read_key(key_fd)
        return cls(os.fdopen(fd, "w", encoding="utf-8"), key)

    def write(self, **event: Any) -> None:
        """Record one event."""
        if self.stream is None:
            return
        event["seq"] = self.seq
        self.seq += 1
        text = json.dumps(event, sort_keys=True)
        self.stream.write(f"{_mac(self.key, text)} {text}\n")
        self.stream.flush()

    def close(self) -> None:
        """Close the pipe."""
        if self.stream is not None:
            self.stream.close()
            self.stream = None


def verify(lines: list[bytes], key: bytes) -> tuple[list[dict[str, Any]], bool]:
    """``(events, tampered)``: the events whose signature and order hold, and whether any did not.

    Reading stops at the first bad line; a half-written last line (the run was
    killed while writing it) is not tampering.
    """
    events: list[dict[str, Any]] = []
    for number, raw in enumerate(lines):
        last = number == len(lines) - 1
        try:
            line = raw.decode("utf-8")
            mac, _, text = line.rstrip("\n").partition(" ")
            ok = line.endswith("\n") and hmac.compare_digest(mac, _mac(key, text))
            event = json.loads(text) if ok else None
        except (UnicodeDecodeError, ValueError, RecursionError):
            event = None
        if not isinstance(event, dict) or event.get("seq") != len(events):
            return events, not (last and not raw.endswith(b"\n"))
        events.append(event)
    return events, False
