"""The student's process: it loads the student's file and answers calls. It computes, never judges.

The grading process starts ``python -m minigrad.lessons.grader.worker`` in the
workspace, with two pipes (requests in, answers out) and nothing else: no
report file, no reference solution, no grader secret. Each request names an
operation:

* ``load``: execute the student's file (once; an error is reported with the
  student's line);
* ``call``: call a name of the student's file (``rnn_cell``, ``Tanh.apply``)
  with the values sent, and optionally run backward from a given upstream
  gradient and return the gradients of the tensor arguments;
* ``describe``: what a name is (a function, a ``minigrad.Function`` subclass ...);
* ``probe``: run a probe, a function of a graded test file or of
  ``minigrad.lessons.grader.probes`` marked with ``@probe``, on the values sent.

Whatever the student's code does here (patch modules, forge answers, exit)
only changes the answers, and the grading process checks every answer against
values it computes itself. See docs/exercises/instructors.md.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

import numpy as np

from minigrad.lessons.grader import channel, checks, processes
from minigrad.lessons.grader.messages import (
    CRASH,
    IMPORT,
    describe_exception,
    format_import_error,
    safe_str,
    shorten,
)

NO_GRADIENT = "nograd"


class NoGradient(Exception):
    """The result of the student's code is not connected to its inputs by minigrad operations."""


class Server:
    """Answers the grading process's requests, one at a time."""

    def __init__(self, path: str, display: str, exercise: str, memory_mb: int | None) -> None:
        self.path = path
        self.display = display
        self.exercise = exercise
        self.memory_mb = memory_mb
        self.module: ModuleType | None = None
        self.probes: dict[str, ModuleType] = {}

    # ------------------------------------------------------------- serving
    def serve(self, requests: BinaryIO, replies: BinaryIO) -> int:
        """Answer until the grading process closes the channel."""
        while True:
            try:
                header, arrays = channel.read_frame(requests)
            except channel.ChannelClosed:
                return 0
            tree, out = self.answer(header, arrays)
            try:
                channel.write_frame(replies, tree, out)
            except channel.ProtocolError as exc:
                channel.write_frame(replies, self._error(CRASH, "ProtocolError", str(exc)), [])

    def answer(self, header: Any, arrays: list[np.ndarray]) -> tuple[Any, list[np.ndarray]]:
        """The reply to one request: ``{"ok": true, "value": ...}`` or an error."""
        op = header.get("op") if isinstance(header, dict) else None
        handler = {
            "load": self.load,
            "call": self.call,
            "describe": self.describe,
            "probe": self.probe,
        }.get(str(op))
        if handler is None:
            return self._error(CRASH, "ProtocolError", f"unknown request {op!r}"), []
        try:
            value = handler(header, arrays)
            encoder = channel.Encoder()
            # Encoding runs the student's generators: still inside this try.
            return {"ok": True, "value": encoder.encode(value)}, encoder.arrays
        except StudentImportFailure as exc:
            return self._error(IMPORT, "ImportError", str(exc)), []
        except NoGradient as exc:
            return self._error(NO_GRADIENT, "NoGradient", str(exc)), []
        except BaseException as exc:  # noqa: BLE001 - SystemExit too: the student's code raised it
            kind, text = describe_exception(
                exc, self.path, self.display, self.exercise, self.memory_mb
            )
            return self._error(kind, type(exc).__name__, text, safe_str(exc, "")), []

    @staticmethod
    def _error(kind: str, type_name: str, text: str, message: str = "") -> dict[str, Any]:
        error = {"kind": kind, "type": type_name, "text": shorten(text), "message": message[:2000]}
        return {"ok": False, "error": error}

    # ----------------------------------------------------------- operations
    def load(self, header: Any = None, arrays: Any = None) -> None:
        """Execute the student's file (once)."""
        if self.module is not None:
            return
        if not Path(self.path).is_file():
            raise StudentImportFailure(
                f"your file {self.display} is missing; `minigrad exercises init` puts the stub "
                "back (it never overwrites files you already have)"
            )
        name = "student_" + self.exercise.replace(".", "_")
        try:
            self.module = checks.load_file(self.path, name)
        except BaseException as exc:  # noqa: BLE001 - sys.exit at the top level is a load error too
            if isinstance(exc, MemoryError):
                raise
            raise StudentImportFailure(format_import_error(exc, self.path, self.display)) from None
        checks.enter_worker(self.module, self.display)

    def resolve(self, target: Any) -> Any:
        """The student's object named ``target`` (dotted: ``Tanh.apply``)."""
        self.load()
        return checks.student(str(target) if target else None)

    def _decoder(self, arrays: list[np.ndarray], leaves: list[Any]) -> channel.Decoder:
        import minigrad as mg

        def tensor(array: np.ndarray, grad: bool) -> Any:
            t = mg.tensor(array, requires_grad=grad)
            if grad:
                leaves.append(t)
            return t

        return channel.Decoder(arrays, tensor=tensor, rng=np.random.default_rng)

    def _arguments(
        self, header: dict[str, Any], arrays: list[np.ndarray]
    ) -> tuple[channel.Decoder, list[Any], Any, Any]:
        """``(decoder, leaves, args, kwargs)``: the request's arguments, decoded in that order.

        ``leaves`` collects the Tensors made with ``requires_grad``, in decoding order.
        """
        leaves: list[Any] = []
        decoder = self._decoder(arrays, leaves)
        args = decoder.decode(header.get("args", {"$": "tuple", "v": []}))
        kwargs = decoder.decode(header.get("kwargs", {"$": "dict", "v": []}))
        return decoder, leaves, args, kwargs

    def call(self, header: dict[str, Any], arrays: list[np.ndarray]) -> Any:
        """Call the student's function; with ``grads``, backward and the arguments' gradients."""
        target = self.resolve(header.get("target"))
        decoder, leaves, args, kwargs = self._arguments(header, arrays)
        upstream = decoder.decode(header.get("upstream"))
        errstate = header.get("errstate") or {}
        with np.errstate(**{str(k): str(v) for k, v in dict(errstate).items()}):
            value = target(*args, **kwargs)
            if not header.get("grads"):
                return value
            return value, backward(value, upstream, leaves)

    def describe(self, header: dict[str, Any], arrays: Any = None) -> dict[str, Any]:
        """What the student's name ``target`` is."""
        import minigrad as mg

        try:
            obj = self.resolve(header.get("target"))
        except AssertionError:
            return {"exists": False}
        is_class = isinstance(obj, type)
        return {
            "exists": True,
            "kind": "class" if is_class else "function" if callable(obj) else "other",
            "type": type(obj).__name__,
            "function_class": is_class and issubclass(obj, mg.Function),
            "cell_class": is_class and issubclass(obj, mg.cells.Cell),
        }

    def probe(self, header: dict[str, Any], arrays: list[np.ndarray]) -> Any:
        """Run the probe ``name`` of ``module`` (a graded test file, or the shared probes)."""
        self.load()
        function = getattr(self._probe_module(header), str(header.get("name")), None)
        if not getattr(function, checks.PROBE_MARK, False):
            raise AssertionError(f"no probe named {header.get('name')!r}")
        _, _, args, kwargs = self._arguments(header, arrays)
        return function(*args, **kwargs)

    def _probe_module(self, header: dict[str, Any]) -> ModuleType:
        module, file = str(header.get("module")), str(header.get("file"))
        if module.startswith("minigrad.lessons.grader."):
            return importlib.import_module(module)
        if file not in self.probes:
            self.probes[file] = checks.load_file(file, f"graded_probes_{len(self.probes)}")
        return self.probes[file]


class StudentImportFailure(Exception):
    """The student's file does not load (the message points at the student's line)."""


def output_tensors(value: Any) -> list[Any]:
    """The minigrad Tensors in ``value`` (tuples, lists and dict values, in order)."""
    import minigrad as mg

    if isinstance(value, mg.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in output_tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in output_tensors(v)]
    return []


def backward(value: Any, upstream: Any, leaves: list[Any]) -> list[np.ndarray | None]:
    """Backward from ``sum(output_i * upstream_i)``; the gradients of ``leaves``."""
    import minigrad as mg

    outputs = output_tensors(value)
    if not any(t.requires_grad for t in outputs):
        raise NoGradient(
            "no gradient can flow back through the result: it is not built from the inputs with "
            "minigrad operations (NumPy on `.data`, `.numpy()` or a new tensor cut the graph)"
        )
    weights = upstream if isinstance(upstream, list) else [upstream] * len(outputs)
    loss = None
    for out, weight in zip(outputs, weights):
        term = out.sum() if weight is None else (out * mg.tensor(weight, dtype=out.dtype)).sum()
        loss = term if loss is None else loss + term
    assert loss is not None
    loss.backward()
    return [None if leaf.grad is None else np.asarray(leaf.grad) for leaf in leaves]


def main(argv: list[str] | None = None) -> int:
    """Serve the grading process (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="minigrad.lessons.grader.worker")
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--replies", type=int, required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--display", required=True)
    parser.add_argument("--exercise", required=True)
    parser.add_argument("--memory-mb", type=int, default=0)
    args = parser.parse_args(argv)
    import minigrad  # noqa: F401 - loaded before the student's file is, while pytest collects

    return serve(
        args.requests, args.replies, args.file, args.display, args.exercise, args.memory_mb or None
    )


def serve(
    requests_fd: int,
    replies_fd: int,
    path: str,
    display: str,
    exercise: str,
    memory_mb: int | None,
) -> int:
    """Limit this process, then answer the requests on ``requests_fd`` until they end."""
    processes.apply_student_limits(memory_mb)
    requests = open(requests_fd, "rb")  # noqa: SIM115 - the process owns it
    replies = open(replies_fd, "wb")  # noqa: SIM115
    server = Server(path, display, exercise, memory_mb)
    with contextlib.suppress(BrokenPipeError):
        return server.serve(requests, replies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
