"""The grading process's end of the channel: it starts the student's process and asks it things.

One ``Connection`` per grading process (``connection()``). It starts the
student's process (``minigrad.lessons.grader.worker``; ``spawn`` says how)
at the very start, and sends ``load`` once the graded tests are collected. If
the student's process ends (``os._exit``, a crash, the memory limit), the
check that was asking fails with a message that says so, and the next check
starts a fresh process.
"""

from __future__ import annotations

import select
import signal
import subprocess
from typing import Any, BinaryIO

import numpy as np

from minigrad.lessons.grader import channel, checks, spawn
from minigrad.lessons.grader.messages import CRASH, IMPORT, MEMORY


def _ended(code: int | None, memory_mb: int | None) -> tuple[str, str]:
    """``(kind, message)`` for a student's process that ended with ``code``."""
    if code is None:
        return CRASH, "your code's process stopped answering"
    if code >= 0:
        return CRASH, (
            f"your code ended the process that runs it (exit code {code}): did it call "
            "sys.exit() or os._exit()? Return a value instead"
        )
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    if -code in (signal.SIGKILL, signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT) and memory_mb:
        return MEMORY, (
            f"your code's process was ended by {name}; the likely cause is the memory limit of "
            f"{memory_mb} MB (`minigrad grade --memory-limit MB` changes it)"
        )
    return CRASH, f"your code's process was ended by {name}"


class Connection:
    """The student's process, started on demand, and the requests sent to it."""

    def __init__(self, settings: spawn.Settings) -> None:
        self.settings = settings
        self.process: Any = None
        self.requests: BinaryIO | None = None
        self.replies: BinaryIO | None = None
        self.loaded = False
        self.import_error: str | None = None

    def start(self, fork: bool = False) -> None:
        """Start the student's process (it waits for ``load`` before running any student code).

        ``fork``: fork it from this process, which must not hold anything the
        student's process may not see yet (``spawn`` explains; only at the start).
        """
        if self.process is not None:
            return
        self.process, request_fd, reply_fd = spawn.start(
            self.settings, fork=fork and spawn.can_fork()
        )
        self.requests = open(request_fd, "wb")  # noqa: SIM115 - closed in stop()
        # Unbuffered: select() then tells the truth about what is left to read.
        self.replies = open(reply_fd, "rb", buffering=0)  # noqa: SIM115

    def load(self) -> None:
        """Load the student's file; ``StudentImportError`` if it does not load."""
        if self.import_error is not None:
            raise checks.StudentImportError(self.import_error)
        if self.loaded:
            return
        try:
            self._exchange({"op": "load"}, [])
        except checks.StudentError as exc:
            self.import_error = exc.text if exc.kind in (IMPORT, MEMORY) else _load_crash(exc)
            raise checks.StudentImportError(self.import_error) from None
        self.loaded = True

    def request(self, header: dict[str, Any], arrays: list[np.ndarray]) -> Any:
        """Send one request (loading the student's file first); the decoded answer."""
        self.load()
        return self._exchange(header, arrays)

    def _exchange(self, header: dict[str, Any], arrays: list[np.ndarray]) -> Any:
        self.start()
        assert self.requests is not None and self.replies is not None
        try:
            channel.write_frame(self.requests, header, arrays)
            self._wait_for_reply()
            reply, out = channel.read_frame(self.replies)
            value = self._decode(reply, out)
        except (channel.ChannelClosed, BrokenPipeError, OSError):
            kind, text = _ended(self._exit_code(), self.settings.memory_mb)
            self.stop()
            raise checks.StudentError(kind, "ProcessEnded", text) from None
        except channel.ProtocolError as exc:
            self.stop()
            raise checks.StudentError(
                CRASH, "ProtocolError", f"the answer of your code's process cannot be read: {exc}"
            ) from None
        return value

    def _wait_for_reply(self) -> None:
        """Block until the answer starts, or raise ``ChannelClosed`` once the process ended.

        A child of the student's code may hold the pipe open after the process
        itself ended: the end of the pipe would never come, so its exit is watched.
        """
        assert self.replies is not None and self.process is not None
        while True:
            ready, _, _ = select.select([self.replies], [], [], 0.2)
            if ready:
                return
            if self.process.poll() is not None:
                raise channel.ChannelClosed("the student's process ended")

    @staticmethod
    def _decode(reply: Any, arrays: list[np.ndarray]) -> Any:
        if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
            raise channel.ProtocolError("an answer without a status")
        if reply["ok"]:
            return channel.decode(reply.get("value"), arrays)
        error = reply.get("error")
        if not isinstance(error, dict):
            raise channel.ProtocolError("an error without a description")
        raise checks.StudentError(
            str(error.get("kind"))[:20],
            str(error.get("type"))[:80],
            str(error.get("text", ""))[:2000],
            str(error.get("message", ""))[:2000],
        )

    def _exit_code(self) -> int | None:
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        """End the student's process (the next request starts a fresh one)."""
        for stream in (self.requests, self.replies):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self.requests = self.replies = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.process = None
        self.loaded = False


def _load_crash(exc: checks.StudentError) -> str:
    return f"your file {checks.student_display()} did not load: {exc.text}"


_CONNECTION: Connection | None = None


def connection() -> Connection:
    """The grading process's connection to the student's process (made on first use)."""
    global _CONNECTION
    if _CONNECTION is None:
        _CONNECTION = Connection(spawn.Settings.from_environment())
    return _CONNECTION


def close() -> None:
    """End the student's process, if one was started."""
    global _CONNECTION
    if _CONNECTION is not None:
        _CONNECTION.stop()
        _CONNECTION = None


def _arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[dict, dict, list]:
    encoder = channel.Encoder(strict=True)
    tree_args = encoder.encode(tuple(args))
    tree_kwargs = encoder.encode(dict(kwargs))
    return tree_args, tree_kwargs, encoder.arrays


class Remote:
    """A name of the student's file, called in the student's process (see ``checks``)."""

    def __init__(self, target: str | None) -> None:
        self._target = target

    def __getattr__(self, attr: str) -> Remote:
        if attr.startswith("_"):
            raise AttributeError(attr)
        return Remote(f"{self._target}.{attr}" if self._target else attr)

    def __repr__(self) -> str:
        return f"<the student's {self._target or 'module'}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call it with ``args`` and ``kwargs``; what it returned."""
        tree_args, tree_kwargs, arrays = _arguments(args, kwargs)
        header = {"op": "call", "target": self._target, "args": tree_args, "kwargs": tree_kwargs}
        return connection().request(header, arrays)

    def with_grads(
        self,
        *args: Any,
        upstream: Any = None,
        errstate: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> tuple[Any, list[np.ndarray | None]]:
        """Call it, then backward from ``sum(output_i * upstream_i)`` over its Tensor outputs.

        Returns ``(value, grads)``: ``grads`` holds the gradient of each Tensor
        argument made with ``requires_grad=True``, in order (None where none
        arrived). ``upstream`` is one array per output Tensor (a list), or
        None for ones; ``errstate`` is NumPy's ``np.errstate`` around the call.
        """
        encoder = channel.Encoder(strict=True)
        header = {
            "op": "call",
            "target": self._target,
            "args": encoder.encode(tuple(args)),
            "kwargs": encoder.encode(dict(kwargs)),
            "upstream": encoder.encode(upstream),
            "grads": True,
            "errstate": dict(errstate or {}),
        }
        value = connection().request(header, encoder.arrays)
        if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], list)):
            raise checks.StudentError(CRASH, "ProtocolError", "an answer of the wrong form")
        return value

    def describe(self) -> dict[str, Any]:
        """What the name is: ``exists``, ``kind``, ``type``, ``function_class``, ``cell_class``."""
        facts = connection().request({"op": "describe", "target": self._target}, [])
        return facts if isinstance(facts, dict) else {"exists": False}


class RemoteProbe:
    """A probe function of a graded test file, run in the student's process when called."""

    def __init__(self, function: Any) -> None:
        self.function = function
        self.__name__ = function.__name__
        self.__doc__ = function.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the probe in the student's process; what it returned."""
        tree_args, tree_kwargs, arrays = _arguments(args, kwargs)
        header = {
            "op": "probe",
            "module": self.function.__module__,
            "file": self.function.__code__.co_filename,
            "name": self.function.__name__,
            "args": tree_args,
            "kwargs": tree_kwargs,
        }
        return connection().request(header, arrays)
