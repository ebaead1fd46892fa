"""Processes of a grading run: the limits of the student's process, and cleaning up after it.

* ``apply_student_limits`` runs in the student's process before its file
  loads: an address-space limit, ``--memory-limit`` MB beyond what Python,
  NumPy and minigrad already take (a ``MemoryError`` then names it), a bound
  on how many more processes the student's user may start (a fork bomb stops
  there; the kernel does not apply it to root), no core files, and a cap on
  the size of files written.
* ``become_subreaper`` makes the grading process the parent of every orphan
  its worker leaves behind (Linux), so that ``kill_descendants`` finds even a
  child that left the process group with ``setsid``; ``kill_group`` ends a
  whole process group.

Everything here is best effort on systems without the feature (macOS has no
subreapers, Windows no resource limits): the runner's time limit still holds.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

#: Default limit of the student's address space, in MB (``--memory-limit``).
DEFAULT_MEMORY_MB = 2048
#: How many processes the student's code may start beyond those its user runs already.
EXTRA_PROCESSES = 64
#: The largest file the student's process may write.
MAX_FILE_BYTES = 1 << 30
_PR_SET_CHILD_SUBREAPER = 36


def _set_limit(name: str, soft: int) -> bool:
    try:
        import resource
    except ImportError:  # Windows
        return False
    which = getattr(resource, name, None)
    if which is None:
        return False
    try:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):
        return False
    return True


def user_task_count() -> int | None:
    """How many threads the current user runs (what RLIMIT_NPROC counts on Linux; else None)."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    proc = Path("/proc")
    if uid is None or not proc.is_dir():
        return None
    count = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                count += len(os.listdir(entry / "task"))
        except OSError:
            continue
    return count


def address_space() -> int:
    """This process's address space in bytes (Linux's /proc; 0 where unknown)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def apply_student_limits(memory_mb: int | None) -> None:
    """Limit the current process (the student's): memory, processes, core files, file size.

    ``memory_mb`` is what the student's code may allocate on top of what the
    process holds now (Python, NumPy and minigrad), so that the limit means
    the same whether the process was forked or started fresh.
    """
    if memory_mb:
        _set_limit("RLIMIT_AS", address_space() + memory_mb * 2**20)
    running = user_task_count()
    if running is not None:
        _set_limit("RLIMIT_NPROC", running + EXTRA_PROCESSES)
    _set_limit("RLIMIT_CORE", 0)
    _set_limit("RLIMIT_FSIZE", MAX_FILE_BYTES)


def become_subreaper() -> bool:
    """Adopt the orphans of our descendants (Linux's PR_SET_CHILD_SUBREAPER)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _parents() -> dict[int, int]:
    """``{pid: parent pid}`` of every process /proc shows."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (in parentheses) may contain spaces: split after its end.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1:
            parents[int(entry.name)] = int(fields[1])
    return parents


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux; empty elsewhere)."""
    if not Path("/proc").is_dir():
        return []
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_descendants(rounds: int = 5) -> None:
    """SIGKILL every process below this one, and reap them (orphans come back to a subreaper)."""
    me = os.getpid()
    for _ in range(rounds):
        found = descendants(me)
        if not found:
            return
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                continue
        _reap()


def _reap() -> None:
    """Collect the exit status of ended children so that none stays a zombie."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_group(pgid: int) -> None:
    """SIGKILL the process group ``pgid`` (nothing happens if it is gone)."""
    if not hasattr(os, "killpg"):
        return
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
