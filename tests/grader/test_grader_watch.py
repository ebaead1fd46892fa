"""``minigrad watch``: saving a file grades it; keys work as a fallback; q quits."""

from __future__ import annotations

import io
import os
import queue
import shutil
from pathlib import Path

from rich.console import Console

from minigrad.lessons.grader.manifest import load_manifest
from minigrad.lessons.grader.progress import Progress
from minigrad.lessons.grader.results import ExerciseResult
from minigrad.lessons.grader.watch import Watcher, stdin_lines
from minigrad.lessons.grader.workspace import Workspace

MANIFEST = load_manifest()
FIRST = MANIFEST.exercises[0]
GRU = MANIFEST.get("cells.gru")


class FakeGrader:
    """Grades instantly: an exercise passes when its file differs from the stub."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, workspace: Workspace, exercise, timeout: float, seed, **_) -> ExerciseResult:
        self.calls.append(exercise.id)
        status = "fail" if workspace.is_stub(exercise) else "pass"
        return ExerciseResult(exercise, status, message=None if status == "pass" else "not yet")


def make(workspace: Workspace, grader=None) -> tuple[Watcher, Console]:
    console = Console(record=True, width=120)
    watcher = Watcher(workspace, MANIFEST, console, interval=0.01, grade_fn=grader or FakeGrader())
    return watcher, console


def touch(path: Path, text: str) -> None:
    path.write_text(text)
    stat = path.stat()  # a later mtime even on file systems with coarse timestamps
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_a_saved_file_is_graded_and_progress_saved(workspace: Workspace) -> None:
    grader = FakeGrader()
    watcher, console = make(workspace, grader)
    assert watcher.tick() == []  # nothing changed yet
    touch(workspace.path_of(GRU), "# my gru\n")
    (result,) = watcher.tick()
    assert grader.calls == ["cells.gru"] and result.passed
    assert Progress.load(workspace.progress_path).get("cells.gru").status == "pass"
    text = console.export_text()
    assert "cells.gru" in text and "+8 points" in text and "Score: 8/" in text
    assert "Next: lesson1.gen_batch" in text
    assert watcher.tick() == []  # graded once per save


def test_keys(workspace: Workspace) -> None:
    grader = FakeGrader()
    watcher, console = make(workspace, grader)
    assert watcher.current() == FIRST  # nothing graded: the first exercise
    assert watcher.handle("r\n") is True and grader.calls == [FIRST.id]
    assert watcher.handle("") is True and grader.calls == [FIRST.id] * 2  # Enter alone
    assert watcher.handle("h\n")
    assert f"Hint 1 of {len(FIRST.hints)}" in console.export_text()
    assert Progress.load(workspace.progress_path).get(FIRST.id).hints_shown == 1
    assert watcher.handle("l\n") and "minigrad exercises" in console.export_text()
    assert watcher.handle("x\n") and "unknown key 'x'" in console.export_text()
    assert watcher.handle("a\n") and set(grader.calls) == set(MANIFEST.ids)
    assert "Grades" in console.export_text()
    assert watcher.handle("q\n") is False


def test_current_follows_the_last_save_until_it_passes(workspace: Workspace) -> None:
    watcher, _ = make(workspace)
    touch(workspace.path_of(GRU), "# first try\n")
    watcher.tick()
    assert watcher.current() == FIRST  # gru passed (fake grader): back to the first open one
    shutil.copy(GRU.stub_path, workspace.path_of(GRU))
    os.utime(workspace.path_of(GRU), ns=(0, 10**18))
    watcher.tick()  # the stub again: gru fails and stays current
    assert watcher.current() == GRU


def test_run_grades_the_current_exercise_then_quits_on_q(workspace: Workspace) -> None:
    grader = FakeGrader()
    watcher, console = make(workspace, grader)
    lines: queue.Queue = queue.Queue()
    lines.put("q\n")
    assert watcher.run(lines) == 0
    assert grader.calls == [FIRST.id]
    text = console.export_text()
    assert "Watching" in text and "q quit" in text


def test_run_keeps_polling_without_input(workspace: Workspace) -> None:
    watcher, _ = make(workspace)
    assert watcher.run(queue.Queue(), max_idle_ticks=3) == 0


def test_stdin_lines_reads_in_the_background() -> None:
    lines = stdin_lines(io.StringIO("r\nq\n"))
    assert lines.get(timeout=5) == "r\n" and lines.get(timeout=5) == "q\n"


def test_real_grading_on_save(workspace: Workspace) -> None:
    watcher = Watcher(workspace, MANIFEST, Console(record=True, width=120), interval=0.01, seed=1)
    shutil.copy(GRU.solution_path, workspace.path_of(GRU))
    os.utime(workspace.path_of(GRU), ns=(0, 10**18))
    (result,) = watcher.tick()
    assert result.status == "pass"
    assert Progress.load(workspace.progress_path).get(GRU.id).status == "pass"


def test_saving_a_fix_stops_grading_the_old_file(workspace: Workspace) -> None:
    """Issue 11 item 7: the old file's endless loop no longer runs out its time limit first."""
    import threading
    import time

    console = Console(record=True, width=120)
    watcher = Watcher(workspace, MANIFEST, console, interval=0.05, seed=1, timeout=60)
    touch(workspace.path_of(GRU), "def gru_cell(x, h, U, W, b):\n    while True:\n        pass\n")
    watcher.changed()  # the loop is the version being graded

    def fix_it() -> None:
        time.sleep(3)
        shutil.copy(GRU.solution_path, workspace.path_of(GRU))
        stat = workspace.path_of(GRU).stat()
        os.utime(workspace.path_of(GRU), ns=(stat.st_atime_ns, stat.st_mtime_ns + 4_000_000_000))

    saver = threading.Thread(target=fix_it)
    saver.start()
    start = time.monotonic()
    result = watcher.grade(GRU)
    saver.join()
    assert result.status == "pass", result.message
    assert time.monotonic() - start < 40  # the loop's 60 s limit never ran out
    assert "changed while it was being graded: grading the new version" in console.export_text()
    assert Progress.load(workspace.progress_path).get(GRU.id).status == "pass"
