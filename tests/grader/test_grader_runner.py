"""Grading in a subprocess: every way a student's file can go wrong gets a clear message.

Each test grades one real exercise of the manifest in a real subprocess (about
half a second each); the timeouts use a 2-second limit.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from minigrad.lessons.grader import messages
from minigrad.lessons.grader.checks import StudentImportError
from minigrad.lessons.grader.manifest import load_manifest
from minigrad.lessons.grader.runner import Run, grade, grade_exercise, interpret
from minigrad.lessons.grader.workspace import Workspace

MANIFEST = load_manifest()
GRU = MANIFEST.get("cells.gru")


def write(workspace: Workspace, text: str, exercise=GRU) -> None:
    workspace.path_of(exercise).write_text(text)


def test_untouched_stub_fails_as_not_done(workspace: Workspace) -> None:
    result = grade_exercise(workspace, GRU, seed=1)
    lines = GRU.stub_path.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "raise NotImplementedError" in text)
    assert result.status == "fail" and result.points == 0
    assert result.message == f"not done yet: write gru_cell (cells/gru.py, line {line})"
    assert result.checks and all(c.kind == "todo" for c in result.checks)


def test_solution_passes_with_every_check(workspace: Workspace) -> None:
    shutil.copy(GRU.solution_path, workspace.path_of(GRU))
    result = grade_exercise(workspace, GRU, seed=2)
    assert result.status == "pass" and result.points == GRU.points and result.message is None
    assert len(result.checks) >= 4 and result.checks_passed == len(result.checks)
    assert {c.name for c in result.checks} >= {"test_forward[0]", "test_forward[2]"}


def test_a_wrong_answer_names_the_check_and_the_first_wrong_value(workspace: Workspace) -> None:
    text = GRU.solution_path.read_text().replace(
        "return z * h + (1 - z) * n", "return (1 - z) * h + z * n"
    )
    write(workspace, text)
    result = grade_exercise(workspace, GRU, seed=3)
    assert result.status == "fail"
    assert result.message.startswith("blocks r, z, n; the reset gate before W_n")
    assert "h_t (B=" in result.message and "first wrong value" in result.message


@pytest.mark.slow
def test_syntax_error_points_at_the_students_line(workspace: Workspace) -> None:
    write(workspace, "import numpy as np\n\n\ndef gru_cell(x, h, U, W, b):\n    return x @@ U\n")
    result = grade_exercise(workspace, GRU, seed=0)
    assert result.status == "error"
    assert result.message.startswith("your file cells/gru.py does not load: SyntaxError at line 5")
    assert "return x @@ U" in result.message
    assert "Traceback" not in result.message and "pytest" not in result.message


@pytest.mark.slow
def test_import_error_points_at_the_students_line(workspace: Workspace) -> None:
    write(workspace, "import numpy as np\nimport no_such_module_here\n")
    result = grade_exercise(workspace, GRU, seed=0)
    assert result.status == "error"
    assert "ModuleNotFoundError: No module named 'no_such_module_here'" in result.message
    assert "cells/gru.py, line 2" in result.message


def test_a_crash_in_student_code_shows_their_line(workspace: Workspace) -> None:
    write(workspace, "def gru_cell(x, h, U, W, b):\n    return x.no_such_method()\n")
    result = grade_exercise(workspace, GRU, seed=0)
    assert result.status == "fail"
    assert "AttributeError" in result.message
    assert "cells/gru.py, line 2, in gru_cell: `return x.no_such_method()`" in result.message


def test_a_missing_function_is_named(workspace: Workspace) -> None:
    write(workspace, "def gru(x):\n    return x\n")
    result = grade_exercise(workspace, GRU, seed=0)
    assert result.status == "fail"
    assert "your file cells/gru.py has no `gru_cell`" in result.message


@pytest.mark.slow
def test_an_endless_loop_times_out_naming_the_check(workspace: Workspace) -> None:
    write(workspace, "def gru_cell(x, h, U, W, b):\n    while True:\n        pass\n")
    start = time.perf_counter()
    result = grade_exercise(workspace, GRU, timeout=6, seed=0)
    assert time.perf_counter() - start < 20
    assert result.status == "timeout" and result.points == 0
    assert result.message.startswith("stopped after 6 s while checking: blocks r, z, n")
    assert "endless loop" in result.message and "--timeout" in result.message


@pytest.mark.slow
def test_an_endless_loop_at_the_top_level_times_out_while_loading(workspace: Workspace) -> None:
    write(workspace, "while True:\n    pass\n")
    result = grade_exercise(workspace, GRU, timeout=2, seed=0)
    assert result.status == "timeout"
    assert result.message.startswith("your file cells/gru.py did not finish loading within 2 s")


def test_a_missing_file_is_an_error_not_a_crash(workspace: Workspace) -> None:
    workspace.path_of(GRU).unlink()
    result = grade_exercise(workspace, GRU, seed=0)
    assert result.status == "error" and "cells/gru.py is missing" in result.message
    assert "minigrad exercises init" in result.message


def test_sys_exit_in_student_code_does_not_stop_the_grader(workspace: Workspace) -> None:
    write(workspace, "import sys\n\n\ndef gru_cell(x, h, U, W, b):\n    sys.exit(3)\n")
    result = grade_exercise(workspace, GRU, seed=0)
    assert result.status == "fail" and result.checks


@pytest.mark.slow
def test_grading_several_at_once_keeps_the_manifest_order(workspace: Workspace) -> None:
    exercises = [MANIFEST.get("lesson3.vocab"), GRU, MANIFEST.get("lesson3.batches")]
    shutil.copy(GRU.solution_path, workspace.path_of(GRU))
    seen = []
    results = grade(workspace, exercises, seed=5, jobs=3, on_result=seen.append)
    assert [r.exercise.id for r in results] == [e.id for e in exercises]
    assert [r.status for r in results] == ["fail", "pass", "fail"]
    assert sorted(r.exercise.id for r in seen) == sorted(e.id for e in exercises)


def test_interpret_reports_a_dead_grader_and_a_bad_test_file() -> None:
    dead = interpret(
        GRU, Run([{"event": "import_start"}, {"event": "import_ok"}], "boom", -9), 60, "f"
    )
    assert dead.status == "error" and "stopped unexpectedly (exit code -9)" in dead.message
    events = [{"event": "collect_error", "message": "SyntaxError in the test"}]
    broken = interpret(GRU, Run(events, "", 2), 60, "f")
    assert broken.status == "error" and "a problem with the exercise itself" in broken.message
    empty = interpret(
        GRU,
        Run([{"event": "collected", "tests": [], "unmarked": []}, {"event": "finish"}]),
        60,
        "f",
    )
    assert empty.status == "error" and "no graded tests found" in empty.message
    passed = [
        {"event": "collected", "tests": ["t"], "unmarked": []},
        {"event": "result", "test": "t", "name": "t", "description": "d", "status": "pass"},
        {"event": "finish"},
    ]
    assert interpret(GRU, Run(passed, "", 0), 60, "f").status == "pass"
    # Every check passed but the grading process did not end well: never a pass.
    late = interpret(GRU, Run(passed, "", -9), 60, "f")
    assert late.status == "error" and "not graded" in late.message
    tampered = interpret(GRU, Run(passed, "", 0, tampered=True), 60, "f")
    assert tampered.status == "error" and "tampered with" in tampered.message


def test_messages_for_students(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text("x = 1\ny = (\n")
    try:
        compile(path.read_text(), str(path), "exec")
    except SyntaxError as exc:
        text = messages.format_import_error(exc, path, "mine.py")
    assert text.startswith("your file mine.py does not load: SyntaxError at line 2")
    kind, text = messages.describe_exception(StudentImportError("nope"), path, "mine.py")
    assert (kind, text) == (messages.IMPORT, "nope")
    kind, text = messages.describe_exception(AssertionError("msg\nassert 1 == 2"), path, "mine.py")
    assert (kind, text) == (messages.CHECK, "msg")
    try:
        raise ValueError("bad") from NotImplementedError("lesson9.x: write f")
    except ValueError as exc:
        kind, text = messages.describe_exception(exc, path, "mine.py")
    assert kind == messages.TODO and text.startswith("not done yet: lesson9.x: write f")
    assert messages.shorten("a" * 1000, 20) == "a" * 19 + "…"


def test_a_wrong_backward_names_the_shape_once(workspace: Workspace) -> None:
    """Issue 11 item 7: the message read "the gradient of Tanh ((4, 3))"."""
    tanh = MANIFEST.get("autograd.tanh_sigmoid")
    wrong = tanh.solution_path.read_text().replace("grad * (1 - y * y)", "grad * (1 + y * y)")
    workspace.path_of(tanh).write_text(wrong)
    result = grade_exercise(workspace, tanh, seed=0)
    assert result.status == "fail"
    assert "the gradient of Tanh for x of shape (" in result.message, result.message
    assert "((" not in result.message
