"""``minigrad watch``: grade an exercise each time its file is saved, as rustlings does.

Saving is noticed by polling the files' modification times and sizes (no
extra dependency, works on every file system and editor). Polling can miss a
save on some network or virtual-machine folders, so a key does it by hand:

    r + Enter (or just Enter)   grade the current exercise again
    a + Enter                   grade every exercise
    h + Enter                   the next hint of the current exercise
    l + Enter                   the list of exercises and your progress
    q + Enter (or Ctrl-C)       quit

The current exercise is the one saved last, or, once it passes, the first
that does not pass yet. Grading runs in the background while the files are
still watched: saving the file again before its grade is in stops that grading
and grades the new version (a fix never waits for the old file's endless loop).
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.text import Text

from minigrad.lessons.grader import report
from minigrad.lessons.grader.hints import reveal_next_hint
from minigrad.lessons.grader.manifest import Exercise, Manifest
from minigrad.lessons.grader.progress import Progress, summary
from minigrad.lessons.grader.results import ExerciseResult
from minigrad.lessons.grader.runner import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
    GradingCancelled,
    default_jobs,
    grade_exercise,
)
from minigrad.lessons.grader.runner import grade as grade_many
from minigrad.lessons.grader.workspace import Workspace

KEYS = (
    "[bold]r[/]+Enter grade again · [bold]a[/] grade all · [bold]h[/] hint · "
    "[bold]l[/] list · [bold]q[/] quit"
)

Stamp = tuple[int, int] | None


class Watcher:
    """Watch a workspace and grade what changes (see the module docstring)."""

    def __init__(
        self,
        workspace: Workspace,
        manifest: Manifest,
        console: Console,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        interval: float = 0.5,
        seed: int | None = None,
        memory_mb: int | None = DEFAULT_MEMORY_MB,
        grade_fn: Callable[..., ExerciseResult] = grade_exercise,
    ) -> None:
        self.workspace = workspace
        self.manifest = manifest
        self.console = console
        self.timeout = timeout
        self.interval = interval
        self.seed = seed
        self.memory_mb = memory_mb
        self.grade_fn = grade_fn
        self.stamps = {e.id: self._stamp(e) for e in manifest}
        self.focus: Exercise | None = None

    # --------------------------------------------------------------- files
    def _stamp(self, exercise: Exercise) -> Stamp:
        try:
            st = self.workspace.path_of(exercise).stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def changed(self) -> list[Exercise]:
        """The exercises whose files changed since the last look (in manifest order)."""
        found = []
        for e in self.manifest:
            stamp = self._stamp(e)
            if stamp != self.stamps.get(e.id):
                self.stamps[e.id] = stamp
                found.append(e)
        return found

    # ------------------------------------------------------------- grading
    def progress(self) -> Progress:
        """The workspace's progress file, read fresh (another command may have changed it)."""
        return Progress.load(self.workspace.progress_path)

    def current(self) -> Exercise | None:
        """The exercise ``r`` re-grades (see the module docstring)."""
        progress = self.progress()
        if self.focus is not None and progress.get(self.focus.id).status != "pass":
            return self.focus
        return report.next_exercise(self.manifest, progress)

    def grade(self, exercise: Exercise) -> ExerciseResult:
        """Grade one exercise, record it, and show the result and what comes next.

        If its file is saved again while it is being graded, that grading is
        stopped and the new version graded instead.
        """
        while True:
            result = self._grade_in_background(exercise)
            if result is not None:
                break
            self.console.print(
                f"{exercise.file} changed while it was being graded: grading the new version",
                style="dim",
                highlight=False,
            )
        progress = self.progress()
        progress.record(result)
        progress.save()
        self.focus = exercise
        self.console.print(report.result_panel(result))
        self.console.print(report.score_text(summary(self.workspace, self.manifest)))
        if result.passed:
            self.console.print(report.next_text(self.manifest, progress))
        return result

    def _grade_in_background(self, exercise: Exercise) -> ExerciseResult | None:
        """Grade in a thread while watching the file; None if it changed meanwhile."""
        cancel = threading.Event()
        outcome: dict[str, Any] = {}
        elapsed = [0.0]

        def work() -> None:
            try:
                outcome["result"] = self.grade_fn(
                    self.workspace,
                    exercise,
                    timeout=self.timeout,
                    seed=self.seed,
                    memory_mb=self.memory_mb,
                    on_tick=lambda seconds: elapsed.__setitem__(0, seconds),
                    cancel=cancel,
                )
            except GradingCancelled:
                outcome["cancelled"] = True
            except BaseException as exc:  # noqa: BLE001 - shown in the main thread
                outcome["error"] = exc

        thread = threading.Thread(target=work, name="minigrad-watch-grade", daemon=True)
        with self.console.status(f"grading {exercise.id} …") as status:
            thread.start()
            try:
                while thread.is_alive():
                    thread.join(min(self.interval, 0.25))
                    stamp = self._stamp(exercise)
                    if stamp != self.stamps.get(exercise.id):
                        self.stamps[exercise.id] = stamp
                        cancel.set()
                    status.update(
                        f"grading {exercise.id} · {report.countdown(elapsed[0], self.timeout)}"
                    )
            except BaseException:  # Ctrl-C: stop the grading processes too
                cancel.set()
                thread.join()
                raise
        if "error" in outcome:
            raise outcome["error"]
        if cancel.is_set():
            return None
        result: ExerciseResult = outcome["result"]
        return result

    def grade_all(self) -> list[ExerciseResult]:
        """Grade every exercise and show the table."""
        with self.console.status(f"grading {len(self.manifest)} exercises …"):
            results = grade_many(
                self.workspace,
                list(self.manifest),
                timeout=self.timeout,
                seed=self.seed,
                jobs=default_jobs(),
                memory_mb=self.memory_mb,
                grader=self.grade_fn,
            )
        progress = self.progress()
        for result in results:
            progress.record(result)
        progress.save()
        self.console.print(report.Grades(results))
        self.console.print(report.score_text(summary(self.workspace, self.manifest)))
        self.console.print(report.next_text(self.manifest, progress))
        return results

    # ----------------------------------------------------------- the loop
    def tick(self) -> list[ExerciseResult]:
        """Grade every exercise whose file changed since the last tick."""
        return [self.grade(e) for e in self.changed()]

    def handle(self, command: str) -> bool:
        """Act on one line typed by the student; False means quit."""
        key = command.strip().lower()[:1]
        if key == "q":
            return False
        if key in ("", "r"):
            target = self.current()
            if target is None:
                self.console.print(Text("Every exercise passes. Well done!", style="bold green"))
            else:
                self.grade(target)
        elif key == "a":
            self.grade_all()
        elif key == "h":
            target = self.current()
            if target is not None:
                shown, new = reveal_next_hint(self.progress(), target)
                self.console.print(report.hints_panel(target, shown, new))
        elif key == "l":
            self.console.print(report.ExerciseList(self.manifest, self.progress()))
        else:
            self.console.print(f"unknown key {command.strip()!r}. {KEYS}")
        return True

    def banner(self) -> None:
        """What is watched and which keys do what."""
        self.console.print(
            f"Watching {len(self.manifest)} exercise files in [bold]{self.workspace.root}[/]: "
            "save a file to grade it."
        )
        self.console.print(KEYS)

    def run(self, lines: queue.Queue | None = None, max_idle_ticks: int | None = None) -> int:
        """Watch until ``q`` (or Ctrl-C). ``lines`` holds typed lines (stdin by default).

        ``max_idle_ticks`` stops after that many polls without input (for tests).
        """
        if lines is None:
            lines = stdin_lines()
        self.banner()
        start = self.current()
        if start is not None:
            self.grade(start)
        idle = 0
        while True:
            try:
                line = lines.get(timeout=self.interval)
            except queue.Empty:
                self.tick()
                idle += 1
                if max_idle_ticks is not None and idle >= max_idle_ticks:
                    return 0
                continue
            idle = 0
            if not self.handle(line):
                return 0
            self.tick()


def stdin_lines(stream: Any = None) -> queue.Queue:
    """A queue filled with the lines typed on ``stream`` (stdin) by a background thread.

    At the end of input (a pipe that closed) the thread stops quietly: the
    watcher keeps watching files until Ctrl-C.
    """
    stream = stream if stream is not None else sys.stdin
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        try:
            for line in stream:
                lines.put(line)
        except (OSError, ValueError):
            return

    threading.Thread(target=read, name="minigrad-watch-keys", daemon=True).start()
    return lines
