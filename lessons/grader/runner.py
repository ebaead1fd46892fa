"""Grading: run an exercise's graded tests in a subprocess, with a time limit.

Each exercise is graded by ``python -m pytest`` on its test file, in a fresh
process whose working folder is the workspace (also on ``PYTHONPATH``, so a
student may split their code into helper modules). A separate process means
that whatever the student's code does (an endless loop, ``sys.exit``, a crash,
a changed global) cannot hang or break the grader: after ``timeout`` seconds
the whole process group is killed and the exercise is reported as ``timeout``
with the check that was running. The pytest plugin
(``minigrad.lessons.grader.pytest_plugin``) reports each check as a JSON line.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from minigrad.lessons.grader import checks
from minigrad.lessons.grader.errors import GraderUnavailableError
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
PLUGIN = "minigrad.lessons.grader.pytest_plugin"
_RANK = {PASS: 0, "skip": 1, FAIL: 2, ERROR: 3}


def require_pytest() -> None:
    """Raise ``GraderUnavailableError`` unless pytest can be imported."""
    if importlib.util.find_spec("pytest") is None:
        raise GraderUnavailableError(
            "grading runs the graded tests with pytest, which is not installed: pip install pytest"
        )


def new_seed() -> int:
    """A fresh seed for the random checks of one grading run."""
    return random.SystemRandom().randrange(2**31)


def command(exercise: Exercise, workspace: Workspace, report: Path, ini: Path) -> list[str]:
    """The pytest command line that grades ``exercise`` (``ini``: an empty pytest.ini)."""
    return [
        sys.executable,
        "-m",
        "pytest",
        str(exercise.tests_path),
        "-p",
        PLUGIN,
        f"--minigrad-report={report}",
        f"--minigrad-exercise={exercise.id}",
        # An empty ini file and no cache: the run neither reads nor writes project settings.
        "-c",
        str(ini),
        f"--rootdir={workspace.root}",
        "-p",
        "no:cacheprovider",
        "--import-mode=importlib",
        "-q",
        "--no-header",
        "--tb=short",
        "-p",
        "no:warnings",
    ]


def environment(exercise: Exercise, workspace: Workspace, seed: int) -> dict[str, str]:
    """The subprocess environment: which files to grade, and no stray pytest plugins."""
    env = dict(os.environ)
    extra = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(workspace.root) + (os.pathsep + extra if extra else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Plugins installed for other projects (timeouts, random order...) stay out.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env[checks.ENV_ID] = exercise.id
    env[checks.ENV_FILE] = str(workspace.path_of(exercise))
    env[checks.ENV_DISPLAY] = workspace.display(exercise)
    env[checks.ENV_REFERENCE] = str(exercise.solution_path)
    env[checks.ENV_SEED] = str(seed)
    return env


def _kill(proc: subprocess.Popen) -> None:
    """Stop the grading process and anything it started."""
    if proc.poll() is not None:
        return
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # Windows: no process groups here
            proc.kill()
    except (ProcessLookupError, PermissionError):
        proc.kill()


def run_tests(
    exercise: Exercise, workspace: Workspace, *, timeout: float, seed: int
) -> tuple[list[dict[str, Any]], str, int | None, bool]:
    """Run the tests; return ``(events, output, exit code, timed out)``."""
    with tempfile.TemporaryDirectory(prefix="minigrad-grade-") as tmp:
        report = Path(tmp) / "events.jsonl"
        ini = Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        proc = subprocess.Popen(
            command(exercise, workspace, report, ini),
            cwd=workspace.root,
            env=environment(exercise, workspace, seed),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=hasattr(os, "killpg"),
        )
        timed_out = False
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(proc)
            output, _ = proc.communicate()
        except BaseException:  # Ctrl-C: the child is in its own session, stop it too
            _kill(proc)
            proc.communicate()
            raise
        events = read_events(report)
    text = output.decode("utf-8", errors="replace") if output else ""
    return events, text, proc.returncode, timed_out


def read_events(path: Path) -> list[dict[str, Any]]:
    """The JSON events the plugin wrote (a half-written last line is ignored)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    events = []
    for line in lines:
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def interpret(
    exercise: Exercise,
    events: list[dict[str, Any]],
    output: str,
    returncode: int | None,
    timed_out: bool,
    timeout: float,
    display: str,
) -> ExerciseResult:
    """Turn the events of one run into an ``ExerciseResult``."""
    kinds = {e.get("event") for e in events}
    results: dict[str, dict[str, Any]] = {}
    for e in events:
        if e.get("event") == "result":
            old = results.get(e["test"])
            if old is None or _RANK.get(e["status"], 3) > _RANK.get(old["status"], 3):
                results[e["test"]] = e
    checks_ = [
        CheckOutcome(r["name"], r["description"], r["status"], r.get("message"), r.get("kind"))
        for r in results.values()
    ]
    result = ExerciseResult(exercise, ERROR, checks=checks_, output=_tail(output, 40))
    if timed_out:
        result.status = TIMEOUT
        started = [e for e in events if e.get("event") == "start"]
        running = started[-1] if started and started[-1]["test"] not in results else None
        limit = f"{timeout:g} s"
        if "import_start" in kinds and "import_ok" not in kinds and "import_error" not in kinds:
            result.message = (
                f"your file {display} did not finish loading within {limit}: is there an endless "
                "loop at the top level of the file (outside any function)?"
            )
        else:
            where = f" while checking: {running['description']}" if running else ""
            result.message = (
                f"stopped after {limit}{where}: your code did not finish. Look for an endless "
                "loop (a `while` whose condition never becomes false, a loop that never moves "
                "on) or code that is far too slow. `--timeout SECONDS` changes the limit."
            )
        return result
    import_errors = [e for e in events if e.get("event") == "import_error"]
    if import_errors:
        result.message = import_errors[0]["message"]
        return result
    collect_errors = [e for e in events if e.get("event") == "collect_error"]
    if collect_errors:
        result.message = (
            f"the graded tests of {exercise.id} could not be loaded (a problem with the "
            f"exercise itself, not your code): {collect_errors[0]['message']}"
        )
        return result
    collected = next((e for e in events if e.get("event") == "collected"), None)
    if collected is None or "finish" not in kinds:
        result.message = (
            f"the grading process stopped unexpectedly (exit code {returncode}); its last "
            f"output:\n{_tail(output)}"
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
    else:
        result.status = PASS
    return result


def grade_exercise(
    workspace: Workspace,
    exercise: Exercise,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    seed: int | None = None,
) -> ExerciseResult:
    """Grade one exercise of ``workspace`` (never raises for problems in the student's code)."""
    require_pytest()
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
    events, output, code, timed_out = run_tests(exercise, workspace, timeout=timeout, seed=seed)
    result = interpret(exercise, events, output, code, timed_out, timeout, display)
    result.duration = time.perf_counter() - start
    return result


def grade(
    workspace: Workspace,
    exercises: Sequence[Exercise],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    seed: int | None = None,
    jobs: int = 1,
    on_result: Callable[[ExerciseResult], None] | None = None,
    grader: Callable[..., ExerciseResult] | None = None,
) -> list[ExerciseResult]:
    """Grade ``exercises`` (``jobs`` at a time), in their order; call ``on_result`` as each ends.

    ``grader`` replaces ``grade_exercise`` (same signature), e.g. in tests.
    """
    grader = grader if grader is not None else grade_exercise
    if grader is grade_exercise:
        require_pytest()
    seed = new_seed() if seed is None else seed

    def one(exercise: Exercise) -> ExerciseResult:
        result = grader(workspace, exercise, timeout=timeout, seed=seed)
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
