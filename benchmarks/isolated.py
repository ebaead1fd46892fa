"""Time each implementation in its own fresh process, one process at a time.

Why: two libraries in one process share the cores badly. NumPy's OpenBLAS
keeps worker threads, PyTorch keeps OpenMP threads; timed in the same process
they compete for the same two cores, and PyTorch's LSTM step measured 2-3x
slower there than alone. So each implementation gets a process of its own
(``Worker``), started fresh for one workload and one condition, and only one
of them works at any moment: the parent hands out rounds one by one, in an
order that alternates from round to round, and waits ``settle`` seconds
between two workers so that the last one's threads have stopped spinning.

Protocol: the parent runs ``python isolated.py '<spec as JSON>'``. The worker
imports ``spec["factory"]`` (``"module:function"``, from this folder), calls it
with ``spec["args"]`` and gets back the *subject*: a callable doing one step,
optionally with ``warmup_steps``, ``describe()`` and ``peak_memory_mb()``. It
then answers one JSON line per command read from stdin (``ping``, ``warmup``,
``time``, ``memory``, ``quit``). Anything the subject prints goes to stderr, so stdout
carries only the protocol.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


class WorkerError(RuntimeError):
    """A worker process failed; the message carries its traceback."""


class Worker:
    """One implementation in its own process: start it, warm it up, time steps, stop it."""

    def __init__(self, label: str, factory: str, args: dict[str, Any], env: dict[str, str]):
        self.label = label
        spec = json.dumps({"label": label, "factory": factory, "args": args})
        self._proc = subprocess.Popen(
            [sys.executable, "-u", str(HERE / "isolated.py"), spec],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        self.pid = self._proc.pid
        self.info: dict[str, Any] = {}

    def request(self, command: str, **fields: Any) -> dict[str, Any]:
        """Send one command, wait for its answer (a dict); a failure raises ``WorkerError``."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        try:
            self._proc.stdin.write(json.dumps({"cmd": command, **fields}) + "\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            pass  # the answer below is empty, which reports the crash
        line = self._proc.stdout.readline()
        if not line:
            code = self._proc.wait()
            raise WorkerError(f"{self.label}: the worker process ended (exit code {code})")
        answer = json.loads(line)
        if not answer.pop("ok"):
            raise WorkerError(f"{self.label}: {command} failed in the worker:\n{answer['error']}")
        return answer

    def warm_up(self) -> dict[str, Any]:
        """Run the subject's warm-up steps; returns what the worker reports about itself."""
        self.info = self.request("warmup")
        return self.info

    def time_steps(self, steps: int, clock: str = "wall") -> list[float]:
        """Run ``steps`` steps; returns the milliseconds of each, wall or CPU time (``clock``).

        CPU time is the process's, all its threads together: with one thread per
        library it hardly changes when other processes share the cores, which
        makes it the steadier measure on a busy machine (and the wrong one for
        several threads, whose waiting it counts or misses).
        """
        return self.request("time", steps=steps)["step_ms" if clock == "wall" else "cpu_ms"]

    def close(self) -> None:
        """Ask the worker to stop, and make sure it has."""
        if self._proc.poll() is None:
            try:
                self.request("quit")
            except (WorkerError, OSError, ValueError):
                pass
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


def run_rounds(
    workers: Sequence[Worker], rounds: int, steps: int, settle: float, clock: str = "wall"
) -> dict[str, list[float]]:
    """Time every worker ``rounds`` times, ``steps`` steps each, one worker at a time.

    Round r runs the workers in order when r is even and in reverse order when
    it is odd, so none is always first after a pause or always last. Returns,
    per worker label, the mean milliseconds per step of each round (``clock``:
    wall or CPU time, see ``Worker.time_steps``).
    """
    per_round: dict[str, list[float]] = {w.label: [] for w in workers}
    for r in range(rounds):
        order = list(workers) if r % 2 == 0 else list(reversed(workers))
        for worker in order:
            time.sleep(settle)
            times = worker.time_steps(steps, clock)
            per_round[worker.label].append(sum(times) / len(times))
    return per_round


# ---------------------------------------------------------------------- worker side
def _describe(subject: Any) -> dict[str, Any]:
    from minigrad.threads import thread_settings

    info: dict[str, Any] = {"pid": os.getpid(), "threads": thread_settings()}
    describe = getattr(subject, "describe", None)
    if describe is not None:
        info.update(describe())
    info["modules"] = sorted(m for m in ("torch", "minigrad", "cupy") if m in sys.modules)
    return info


def _serve(spec: dict[str, Any], protocol: Any) -> None:
    sys.path.insert(0, str(HERE))
    module_name, function = spec["factory"].split(":")
    subject = getattr(importlib.import_module(module_name), function)(**spec["args"])
    for line in sys.stdin:
        request = json.loads(line)
        command = request["cmd"]
        try:
            if command in ("quit", "ping"):
                answer: dict[str, Any] = {}
            elif command == "warmup":
                for _ in range(getattr(subject, "warmup_steps", 2)):
                    subject()
                answer = _describe(subject)
            elif command == "time":
                step_ms, cpu_ms = [], []
                for _ in range(request["steps"]):
                    start, cpu_start = time.perf_counter(), time.process_time()
                    subject()
                    step_ms.append((time.perf_counter() - start) * 1e3)
                    cpu_ms.append((time.process_time() - cpu_start) * 1e3)
                answer = {"step_ms": step_ms, "cpu_ms": cpu_ms}
            elif command == "memory":
                answer = {"peak_memory_mb": subject.peak_memory_mb()}
            else:
                raise ValueError(f"unknown command {command!r}")
            protocol.write(json.dumps({"ok": True, **answer}) + "\n")
        except Exception:
            protocol.write(json.dumps({"ok": False, "error": traceback.format_exc()}) + "\n")
        protocol.flush()
        if command == "quit":
            return


def main() -> None:
    """Worker entry point: serve one subject over stdin/stdout until ``quit``."""
    protocol = sys.stdout
    sys.stdout = sys.stderr  # the subject's prints must not reach the protocol
    _serve(json.loads(sys.argv[1]), protocol)


if __name__ == "__main__":
    main()
