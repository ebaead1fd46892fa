"""Competing load for benchmarks: busy processes, like a student's laptop running a browser.

``with busy_cores(2): ...`` starts two processes that each spin a core at 100%
(plain Python loops: no BLAS, no memory traffic) and stops them when the block
ends. Each also stops by itself after ``max_seconds``, or as soon as the
process that started it is gone, so an interrupted benchmark leaves nothing
behind.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from minigrad.threads import core_count

# Spins until the deadline, or until its parent is gone (a benchmark killed mid-run).
_SPIN = """
import os, time
parent, end = os.getppid(), time.monotonic() + {limit}
while time.monotonic() < end and os.getppid() == parent:
    for _ in range(100_000):
        pass
"""


@contextmanager
def busy_cores(processes: int | None = None, max_seconds: float = 3600.0) -> Iterator[int]:
    """Run ``processes`` spinning processes (default: one per core) for the block's duration."""
    count = core_count() if processes is None else processes
    code = _SPIN.format(limit=float(max_seconds))
    workers = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(count)]
    if workers:
        time.sleep(0.2)  # let them reach their loops before anything is timed
    try:
        yield count
    finally:
        for worker in workers:
            worker.kill()
        for worker in workers:
            worker.wait()
