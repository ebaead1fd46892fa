"""Replacing a file atomically, and cleaning up after writes that were killed.

``replace_atomically(target, write)`` never leaves ``target`` half written:

1. ``write`` fills a temporary file beside the target (same directory, so the
   rename below stays on one file system), named ``.<target name>.<random>.tmp``;
2. the file is flushed and fsync'ed, given the permissions an ordinary write
   would give, and renamed over the target with ``os.replace`` (atomic on POSIX
   and Windows); the directory is then fsync'ed where the platform allows, so
   the rename itself survives a power cut.

An exception or Ctrl-C removes the temporary file. SIGKILL, SIGTERM or a power
cut cannot be caught, and leave it behind; the next write to the same target
removes such leftovers. A leftover is told from a temporary file that another
process is writing right now by a lock: each writer holds an exclusive
``flock`` on its temporary file until the rename, and the kernel drops the lock
when the process dies, however it dies. (Without ``fcntl``, on Windows, an open
file cannot be deleted, which protects a live writer the same way.)
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from typing import IO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

_SUFFIX = ".tmp"


def _prefix(target: str) -> str:
    return "." + os.path.basename(target) + "."


def temporary_name_pattern(target: str) -> re.Pattern[str]:
    """The names of the temporary files a write to ``target`` makes (``tempfile``'s 8 letters)."""
    return re.compile(re.escape(_prefix(target)) + r"[a-z0-9_]{8}" + re.escape(_SUFFIX))


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` if nobody holds it; True if taken (or no locks here)."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def remove_stale_temporaries(target: str) -> list[str]:
    """Delete the temporary files of earlier writes to ``target`` that were killed.

    A file another process is still writing (it holds the lock) is left alone.
    Returns the paths removed.
    """
    directory = os.path.dirname(os.path.abspath(target))
    pattern = temporary_name_pattern(target)
    try:
        names = [n for n in os.listdir(directory) if pattern.fullmatch(n)]
    except OSError:
        return []
    removed = []
    for name in names:
        path = os.path.join(directory, name)
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue  # gone already, or not ours to open
        try:
            if _try_lock(fd):
                os.unlink(path)
                removed.append(path)
        except OSError:
            pass  # Windows: still open in a live writer
        finally:
            os.close(fd)
    return removed


def _locked_temporary(target: str, directory: str) -> tuple[int, str]:
    """A new temporary file beside ``target``, created and locked by this process."""
    for _ in range(5):
        fd, tmp = tempfile.mkstemp(prefix=_prefix(target), suffix=_SUFFIX, dir=directory)
        if fcntl is None:
            return fd, tmp
        fcntl.flock(fd, fcntl.LOCK_EX)
        # Another writer's clean-up may have removed it between mkstemp and flock.
        if os.fstat(fd).st_nlink > 0:
            return fd, tmp
        os.close(fd)
    raise FileExistsError(f"could not create a temporary file beside {target}")


def file_mode(target: str) -> int:
    """The permissions an ordinary write would give: the old file's, else 0o666 minus umask.

    ``mkstemp`` creates its file readable by the owner only; without this a
    file would silently become private after its first atomic replacement.
    """
    try:
        return os.stat(target).st_mode & 0o777
    except OSError:
        umask = os.umask(0)  # reading the umask means setting it; put it straight back
        os.umask(umask)
        return 0o666 & ~umask


def fsync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable; not possible on every platform, so best effort."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _rename(tmp: str, target: str) -> None:
    os.chmod(tmp, file_mode(target))
    os.replace(tmp, target)


def replace_atomically(target: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write ``target`` through ``write(file)`` so that it is either complete or as it was.

    Removes the leftovers of earlier killed writes to ``target`` first. Raises
    ``OSError`` for a directory that cannot be written (and whatever ``write``
    raises); either way no temporary file is left behind.
    """
    directory = os.path.dirname(os.path.abspath(target))
    remove_stale_temporaries(target)
    fd, tmp = _locked_temporary(target, directory)
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
            if fcntl is not None:  # rename while still holding the lock (closing drops it)
                _rename(tmp, target)
        if fcntl is None:  # Windows renames no open file
            _rename(tmp, target)
    except BaseException:  # a crash, Ctrl-C or full disk: leave no half-written file behind
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_directory(directory)
