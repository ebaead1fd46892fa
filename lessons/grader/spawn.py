"""Starting the student's process: forked while the grading process is still clean, or spawned.

Spawning ``python -m minigrad.lessons.grader.worker`` costs an interpreter
start and the imports of NumPy and minigrad, about a third of the CPU time of
grading one exercise. So the first student's process of a run is *forked*
from the grading process at the very start, before the grading process has
read its report key, collected the graded tests or loaded the reference:
nothing secret is in its memory yet. The child closes every inherited file
but its two pipes and the output, drops the grader's environment variables,
and serves. Any later start (after the student's code ended its process) is a
fresh interpreter, since by then the grading process holds what the student's
process must not see. Forking is used on Linux only (macOS's Accelerate is
not safe to use after a fork).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from minigrad.lessons.grader import checks

#: Threads of the BLAS library in the student's process: one (small arrays, and several
#: exercises may be graded at once).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Settings:
    """What the student's process needs: the file, how to show it, the exercise, the limit."""

    file: str
    display: str
    exercise: str
    memory_mb: int | None
    workspace: str

    @classmethod
    def from_environment(cls) -> Settings:
        """The settings the runner put in the grading process's environment."""
        memory = os.environ.get(checks.ENV_MEMORY, "")
        return cls(
            file=checks._env(checks.ENV_FILE),
            display=checks.student_display(),
            exercise=checks.exercise_id(),
            memory_mb=int(memory) if memory.isdigit() and int(memory) > 0 else None,
            workspace=checks._env(checks.ENV_WORKSPACE),
        )


def student_environment(workspace: str) -> dict[str, str]:
    """The student's process's environment: the user's, without the grader's own variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(checks.GRADER_ENV_PREFIXES)}
    extra = env.get("PYTHONPATH")
    env["PYTHONPATH"] = workspace + (os.pathsep + extra if extra else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for name in THREAD_VARIABLES:
        env[name] = "1"
    return env


class ForkedProcess:
    """A forked child, with the part of ``subprocess.Popen``'s interface the grader uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit code once the child ended (negative: the signal), else None."""
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -9
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the end (``subprocess.TimeoutExpired`` after ``timeout`` seconds)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0)
            time.sleep(0.01)
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        """SIGKILL the child."""
        try:
            os.kill(self.pid, 9)
        except ProcessLookupError:
            pass


def can_fork() -> bool:
    """Whether the first student's process may be forked here (Linux)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def start(settings: Settings, fork: bool) -> tuple[Any, int, int]:
    """Start the student's process; ``(process, fd to send requests, fd to read answers)``."""
    request_read, request_write = os.pipe()
    reply_read, reply_write = os.pipe()
    try:
        if fork:
            process: Any = _fork(settings, request_read, reply_write)
        else:
            process = _spawn(settings, request_read, reply_write)
    finally:
        os.close(request_read)
        os.close(reply_write)
    return process, request_write, reply_read


def _spawn(s: Settings, request_read: int, reply_write: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "minigrad.lessons.grader.worker"]
    command += ["--requests", str(request_read), "--replies", str(reply_write)]
    command += ["--file", s.file, "--display", s.display, "--exercise", s.exercise]
    command += ["--memory-mb", str(s.memory_mb or 0)]
    return subprocess.Popen(
        command,
        cwd=s.workspace,
        env=student_environment(s.workspace),
        stdin=subprocess.DEVNULL,
        pass_fds=(request_read, reply_write),
    )


def _fork(s: Settings, request_read: int, reply_write: int) -> ForkedProcess:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return ForkedProcess(pid)
    code = 70
    try:
        keep = {0, 1, 2, request_read, reply_write}
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.environ.clear()
        os.environ.update(student_environment(s.workspace))
        os.chdir(s.workspace)
        sys.path[0:1] = [s.workspace]
        sys.argv = [sys.executable, "-m", "minigrad.lessons.grader.worker"]
        from minigrad.lessons.grader import worker

        code = worker.serve(request_read, reply_write, s.file, s.display, s.exercise, s.memory_mb)
    finally:
        # Never return into the grading process's code (pytest) in the child.
        os._exit(code)
