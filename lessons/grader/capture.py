"""Reading a grading process's pipes without waiting on them forever or keeping everything.

A student's code can print without end, or leave a background child that
holds the pipe open after the grading process ended. ``PipeReader`` reads a
pipe in a thread, keeps the first and the last part up to a limit (the rest
is counted and dropped), and stops when asked: the runner never waits for the
end of a pipe that an orphan keeps open.
"""

from __future__ import annotations

import os
import select
import threading

#: Output kept from one exercise's grading: the first half and the last half of this.
OUTPUT_LIMIT = 1 << 20
_CHUNK = 1 << 16


class PipeReader:
    """Drain the pipe ``fd`` in a thread, keeping at most ``limit`` bytes (head and tail)."""

    def __init__(self, fd: int, limit: int = OUTPUT_LIMIT, name: str = "pipe") -> None:
        self.fd = fd
        self.limit = limit
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"minigrad-{name}", daemon=True)

    def start(self) -> PipeReader:
        """Start reading."""
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([self.fd], [], [], 0.1)
                if not ready:
                    continue
                chunk = os.read(self.fd, _CHUNK)
                if not chunk:
                    return
                self._keep(chunk)
        except (OSError, ValueError):
            return

    def _keep(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.limit // 2 - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > self.limit // 2:
                del self.tail[: len(self.tail) - self.limit // 2]

    @property
    def dropped(self) -> int:
        """How many bytes were read but not kept."""
        return self.total - len(self.head) - len(self.tail)

    def finish(self, grace: float = 1.0) -> None:
        """Wait up to ``grace`` seconds for the end of the pipe, then stop reading and close it."""
        self._thread.join(grace)
        self._stop.set()
        self._thread.join(1.0)
        try:
            os.close(self.fd)
        except OSError:
            pass

    def data(self) -> bytes:
        """What was kept, with the dropped middle marked."""
        if not self.dropped:
            return bytes(self.head + self.tail)
        note = f"\n[... {self.dropped:,} bytes of output dropped ...]\n".encode()
        return bytes(self.head) + note + bytes(self.tail)

    def lines(self) -> list[bytes]:
        """The kept bytes as lines (for the event pipe, whose limit is never reached honestly)."""
        return bytes(self.head + self.tail).splitlines(keepends=True)
