"""Grading: run an exercise's graded tests in a grading process, with a time limit.

Three processes take part in grading one exercise:

* the runner (this module, inside ``minigrad grade``), which waits, shows a
  countdown, and turns the report into a grade;
* the grading process, ``python -m pytest`` on a private copy of the graded
  test file (checked against the recorded checksums), with the plugin
  ``minigrad.lessons.grader.pytest_plugin``: the checks, the reference
  values and the report live there;
* the student's process (``minigrad.lessons.grader.worker``), started by the
  grading process: the only place the student's code runs. It answers calls
  over a channel of values and never sees the report, the reference or the key.

The grading process runs in its own session and process group. When it ends,
and when the time limit is reached, the whole group is killed (a background
child of the student's code ends too), and the runner reads what the pipes
hold without waiting for the end of a pipe some orphan keeps open. The report
is signed (``events``): a forged, missing or replayed line makes the run
"tampered with", never a pass. Output is kept up to 1 MB (``capture``).
"""

from __future__ import annotations

import importlib.util
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minigrad.lessons.grader import checks, events, integrity, processes, spawn
from minigrad.lessons.grader.capture import PipeReader
from minigrad.lessons.grader.errors import ExerciseError, GraderUnavailableError
from minigrad.lessons.grader.manifest import Exercise
from minigrad.lessons.grader.results import (
    ERROR,
    FAIL,
    PASS,
    TIMEOUT,
    CheckOutcome,
    ExerciseResult,
)
from minigrad.lessons.grader.workspace import Workspace

#: Seconds one exercise's tests may take before they are stopped.
DEFAULT_TIMEOUT = 60.0
DEFAULT_MEMORY_MB = processes.DEFAULT_MEMORY_MB
PLUGIN = "minigrad.lessons.grader.pytest_plugin"
#: The report of one run is small; more than this is someone writing into it.
EVENTS_LIMIT = 16 << 20
_RANK = {PASS: 0, "skip": 1, FAIL: 2, ERROR: 3}


class GradingCancelled(Exception):
    """Grading was stopped on request (``minigrad watch``: the file changed meanwhile)."""


def require_pytest() -> None:
    """Raise ``GraderUnavailableError`` unless pytest can be imported, or pipes cannot be passed."""
    if importlib.util.find_spec("pytest") is None:
        raise GraderUnavailableError(
            "grading runs the graded tests with pytest, which minigrad installs with itself; "
            "it is missing here: pip install pytest (or reinstall minigrad)"
        )
    if os.name != "posix":
        raise GraderUnavailableError(
            "grading needs Linux or macOS (on Windows, use WSL): it runs your code in a "
            "separate process that it can limit and stop"
        )


def validate_timeout(value: Any) -> float:
    """``value`` as a time limit in seconds: a positive number, or ``inf`` for none."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ExerciseError(
            f"--timeout must be a number of seconds (or inf for no limit), got {value!r}"
        ) from None
    if math.isnan(seconds) or seconds <= 0:
        raise ExerciseError(
            f"--timeout must be more than 0 seconds (or inf for no limit), got {value!r}"
        )
    return seconds


def validate_memory(value: Any) -> int | None:
    """``value`` as a memory limit in MB (what the student's code may allocate beyond what
    Python, NumPy and minigrad take): a whole number >= 64, or ``none`` for no limit."""
    if value is None or str(value).strip().lower() in ("none", "0"):
        return None
    try:
        mb = int(str(value).strip())
    except ValueError:
        raise ExerciseError(
            f"--memory-limit must be a whole number of MB (or none), got {value!r}"
        ) from None
    if mb < 64:
        raise ExerciseError(f"--memory-limit must be at least 64 MB, got {mb}")
    return mb


def new_seed() -> int:
    """A fresh seed for the random checks of one grading run."""
    return random.SystemRandom().randrange(2**31)


@dataclass
class Run:
    """What one grading process left: its events, output, exit code, and how it ended."""

    events: list[dict[str, Any]] = field(default_factory=list)
    output: str = ""
    returncode: int | None = None
    timed_out: bool = False
    tampered: bool = False
    dropped: int = 0


def command(
    exercise: Exercise, tests: Path, folder: Path, report_fd: int, key_fd: int
) -> list[str]:
    """The pytest command line of the grading process (``tests``: the private copy)."""
    return [
        sys.executable,
        "-m",
        "pytest",
        str(tests),
        "-p",
        PLUGIN,
        f"--minigrad-report-fd={report_fd}",
        f"--minigrad-key-fd={key_fd}",
        f"--minigrad-exercise={exercise.id}",
        # An empty ini file, no cache, no conftest.py: nothing around the copy changes the run.
        "-c",
        str(folder / "pytest.ini"),
        f"--rootdir={folder}",
        "-p",
        "no:cacheprovider",
        "--noconftest",
        "--import-mode=importlib",
        "-q",
        "--no-header",
        "--tb=short",
        "-p",
        "no:warnings",
        # No capture: the student's process writes to the same capped pipe.
        "-s",
    ]


def environment(
    exercise: Exercise, workspace: Workspace, seed: int, memory_mb: int | None
) -> dict[str, str]:
    """The grading process's environment: which file to grade, and no stray pytest settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(checks.GRADER_ENV_PREFIXES)}
    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS"):
        env.pop(name, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Plugins installed for other projects (timeouts, random order...) stay out.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    for name in spawn.THREAD_VARIABLES:
        env[name] = "1"
    env[checks.ENV_ID] = exercise.id
    env[checks.ENV_FILE] = str(workspace.path_of(exercise))
    env[checks.ENV_DISPLAY] = workspace.display(exercise)
    env[checks.ENV_WORKSPACE] = str(workspace.root)
    env[checks.ENV_SEED] = str(seed)
    env[checks.ENV_MEMORY] = str(memory_mb or 0)
    return env


def _exited(proc: subprocess.Popen) -> bool:
    """True once ``proc`` ended, without reaping it (its pid, the group id, stays reserved)."""
    if hasattr(os, "waitid"):
        try:
            return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True
    return proc.poll() is not None


def run_tests(
    exercise: Exercise,
    workspace: Workspace,
    *,
    timeout: float,
    seed: int,
    memory_mb: int | None = DEFAULT_MEMORY_MB,
    on_tick: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> Run:
    """Run the graded tests of ``exercise`` in a grading process (see the module docstring)."""
    source = integrity.read_verified(exercise.tests_path)
    with tempfile.TemporaryDirectory(prefix="minigrad-grade-") as tmp:
        folder = Path(tmp)
        tests = folder / exercise.tests_path.name
        tests.write_bytes(source)
        (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        key = events.new_key()
        report_read, report_write = os.pipe()
        key_read, key_write = os.pipe()
        os.write(key_write, key)
        os.close(key_write)
        try:
            proc = subprocess.Popen(
                command(exercise, tests, folder, report_write, key_read),
                cwd=folder,
                env=environment(exercise, workspace, seed, memory_mb),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(report_write, key_read),
                start_new_session=True,
            )
        finally:
            os.close(report_write)
            os.close(key_read)
        assert proc.stdout is not None
        output = PipeReader(os.dup(proc.stdout.fileno()), name="output").start()
        proc.stdout.close()
        report = PipeReader(report_read, limit=EVENTS_LIMIT, name="report").start()
        run = Run()
        try:
            run.timed_out = _wait(proc, timeout, on_tick, cancel)
        finally:
            processes.kill_group(proc.pid)  # everything the run started, at the end or now
            proc.wait()
            output.finish(grace=1.0)
            report.finish(grace=1.0)
    run.returncode = proc.returncode
    run.events, run.tampered = events.verify(report.lines(), key)
    run.output = output.data().decode("utf-8", errors="replace")
    run.dropped = output.dropped
    return run


def _wait(
    proc: subprocess.Popen,
    timeout: float,
    on_tick: Callable[[float], None] | None,
    cancel: threading.Event | None,
) -> bool:
    """Wait for ``proc``; True if the time limit ran out first. Ctrl-C and cancel propagate."""
    start = time.monotonic()
    while not _exited(proc):
        elapsed = time.monotonic() - start
        if elapsed >= timeout:
            return True
        if cancel is not None and cancel.is_set():
            raise GradingCancelled()
        if on_tick is not None:
            on_tick(elapsed)
        time.sleep(min(0.1, max(timeout - elapsed, 0.001)))
    return False


def _tail(text: str, lines: int = 15, chars: int = 4000) -> str:
    """The last ``lines`` lines of ``text``, and at most its last ``chars`` characters."""
    tail = "\n".join(text.strip().splitlines()[-lines:])
    return tail if len(tail) <= chars else "…" + tail[-chars:]


def _limit(timeout: float) -> str:
    return f"{timeout:g} s"


def interpret(exercise: Exercise, run: Run, timeout: float, display: str) -> ExerciseResult:
    """Turn one run into an ``ExerciseResult``."""
    events_ = run.events
    kinds = {e.get("event") for e in events_}
    results: dict[str, dict[str, Any]] = {}
    for e in events_:
        if e.get("event") == "result":
            old = results.get(e["test"])
            if old is None or _RANK.get(e["status"], 3) > _RANK.get(old["status"], 3):
                results[e["test"]] = e
    checks_ = [
        CheckOutcome(r["name"], r["description"], r["status"], r.get("message"), r.get("kind"))
        for r in results.values()
    ]
    result = ExerciseResult(
        exercise, ERROR, checks=checks_, output=_tail(run.output, 40, chars=20_000)
    )
    if run.tampered:
        result.message = (
            "the grading report was tampered with (it holds lines the grader did not write, or "
            "lacks some it did): nothing is graded. Does your code write to files or pipes it "
            "did not open?"
        )
        return result
    if run.timed_out:
        result.status = TIMEOUT
        started = [e for e in events_ if e.get("event") == "start"]
        running = started[-1] if started and started[-1]["test"] not in results else None
        if "import_start" in kinds and "import_ok" not in kinds and "import_error" not in kinds:
            result.message = (
                f"your file {display} did not finish loading within {_limit(timeout)}: is there an "
                "endless loop at the top level of the file (outside any function)?"
            )
        else:
            where = f" while checking: {running['description']}" if running else ""
            result.message = (
                f"stopped after {_limit(timeout)}{where}: your code did not finish. Look for an "
                "endless loop (a `while` whose condition never becomes false, a loop that never "
                "moves on) or code that is far too slow. `--timeout SECONDS` changes the limit."
            )
        return result
    import_errors = [e for e in events_ if e.get("event") == "import_error"]
    if import_errors:
        result.message = import_errors[0]["message"]
        return result
    collect_errors = [e for e in events_ if e.get("event") == "collect_error"]
    if collect_errors:
        result.message = (
            f"the graded tests of {exercise.id} could not be loaded (a problem with the "
            f"exercise itself, not your code): {collect_errors[0]['message']}"
        )
        return result
    collected = next((e for e in events_ if e.get("event") == "collected"), None)
    if collected is None or "finish" not in kinds:
        result.message = (
            f"the grading process stopped unexpectedly (exit code {run.returncode}); its last "
            f"output:\n{_tail(run.output)}"
        )
        return result
    if not collected["tests"]:
        result.message = f"no graded tests found for {exercise.id} in {exercise.tests_path}"
        return result
    missing = [t for t in collected["tests"] if t not in results]
    failing = [c for c in checks_ if c.status != PASS]
    if failing:
        first = failing[0]
        result.status = ERROR if first.status == ERROR else FAIL
        # "not done yet" says it all; other failures need the check's description.
        todo = first.kind == "todo"
        result.message = first.message if todo else f"{first.description}: {first.message}"
    elif missing:
        result.message = f"{len(missing)} graded check(s) did not report a result"
    elif run.returncode != 0:
        result.message = (
            f"every check reported a pass, but the grading process ended with exit code "
            f"{run.returncode}: not graded"
        )
    else:
        result.status = PASS
    return result


def broken_install(exercise: Exercise, exc: integrity.BrokenInstallError) -> ExerciseResult:
    """The result of an exercise that could not be graded because the install is broken."""
    return ExerciseResult(exercise, ERROR, message=str(exc))


def grade_exercise(
    workspace: Workspace,
    exercise: Exercise,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    seed: int | None = None,
    memory_mb: int | None = DEFAULT_MEMORY_MB,
    on_tick: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> ExerciseResult:
    """Grade one exercise of ``workspace`` (never raises for problems in the student's code).

    ``on_tick(elapsed)`` is called a few times a second while the checks run
    (a countdown); setting ``cancel`` stops them (``GradingCancelled``).
    """
    require_pytest()
    timeout = validate_timeout(timeout)
    display = workspace.display(exercise)
    if not workspace.path_of(exercise).is_file():
        return ExerciseResult(
            exercise,
            ERROR,
            message=(
                f"your file {display} is missing; `minigrad exercises init` copies the stub "
                f"again (it never overwrites your other files)"
            ),
        )
    start = time.perf_counter()
    seed = new_seed() if seed is None else seed
    try:
        integrity.verify()
        run = run_tests(
            exercise,
            workspace,
            timeout=timeout,
            seed=seed,
            memory_mb=memory_mb,
            on_tick=on_tick,
            cancel=cancel,
        )
        # The student's code ran meanwhile: the grader's files must still be the recorded ones.
        integrity.verify()
    except integrity.BrokenInstallError as exc:
        return broken_install(exercise, exc)
    result = interpret(exercise, run, timeout, display)
    result.duration = time.perf_counter() - start
    if run.dropped:
        result.output += f"\n({run.dropped:,} bytes of output were dropped)"
    return result


def grade(
    workspace: Workspace,
    exercises: Sequence[Exercise],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    seed: int | None = None,
    jobs: int = 1,
    memory_mb: int | None = DEFAULT_MEMORY_MB,
    on_result: Callable[[ExerciseResult], None] | None = None,
    on_progress: Callable[[Exercise, float], None] | None = None,
    grader: Callable[..., ExerciseResult] | None = None,
) -> list[ExerciseResult]:
    """Grade ``exercises`` (``jobs`` at a time), in their order; call ``on_result`` as each ends.

    ``on_progress(exercise, elapsed)`` is called while an exercise's checks
    run. ``grader`` replaces ``grade_exercise`` (same signature), e.g. in tests.
    """
    grader = grader if grader is not None else grade_exercise
    if grader is grade_exercise:
        require_pytest()
    timeout = validate_timeout(timeout)
    seed = new_seed() if seed is None else seed

    def one(exercise: Exercise) -> ExerciseResult:
        def tick(elapsed: float) -> None:
            if on_progress is not None:
                on_progress(exercise, elapsed)

        result = grader(
            workspace, exercise, timeout=timeout, seed=seed, memory_mb=memory_mb, on_tick=tick
        )
        if on_result is not None:
            on_result(result)
        return result

    if jobs <= 1 or len(exercises) <= 1:
        return [one(e) for e in exercises]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, exercises))


def default_jobs() -> int:
    """How many exercises to grade at once by default: the CPU count, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))
