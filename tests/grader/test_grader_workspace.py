"""The exercise workspace: init never overwrites, commands find it, progress persists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minigrad.lessons.grader.errors import WorkspaceError
from minigrad.lessons.grader.hints import reveal_next_hint
from minigrad.lessons.grader.manifest import load_manifest
from minigrad.lessons.grader.progress import NOT_GRADED, Progress, safe_summary, summary
from minigrad.lessons.grader.results import ExerciseResult
from minigrad.lessons.grader.workspace import (
    CREATED,
    DEFAULT_DIR_NAME,
    ENV_VAR,
    KEPT,
    UNCHANGED,
    Workspace,
    last_workspace,
)

MANIFEST = load_manifest()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh state folder and current folder, and no workspace in the environment."""
    monkeypatch.setenv("MINIGRAD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(ENV_VAR, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def test_init_copies_every_stub_and_creates_progress(home: Path) -> None:
    done = Workspace.init(home / "ws", MANIFEST)
    ws = done.workspace
    assert done.new and done.count(CREATED) == len(MANIFEST)
    for exercise in MANIFEST:
        assert ws.path_of(exercise).read_bytes() == exercise.stub_path.read_bytes()
        assert ws.is_stub(exercise)
    assert json.loads(ws.progress_path.read_text())["exercises"] == {}
    assert (ws.root / "README.md").is_file()
    assert last_workspace() == ws.root


def test_init_never_overwrites_and_restores_missing_files(home: Path) -> None:
    ws = Workspace.init(home / "ws", MANIFEST).workspace
    first, second = MANIFEST.exercises[:2]
    ws.path_of(first).write_text("# my work\n")
    ws.path_of(second).unlink()
    progress = Progress.load(ws.progress_path)
    progress.get(first.id).hints_shown = 2
    progress.save()
    again = Workspace.init(ws.root, MANIFEST)
    actions = dict((e.id, a) for e, a in again.actions)
    assert not again.new
    assert actions[first.id] == KEPT and actions[second.id] == CREATED
    assert again.count(UNCHANGED) == len(MANIFEST) - 2
    assert ws.path_of(first).read_text() == "# my work\n"
    assert ws.is_stub(second)
    assert Progress.load(ws.progress_path).get(first.id).hints_shown == 2  # progress kept


def test_init_refuses_a_file_as_folder(home: Path) -> None:
    (home / "file").write_text("x")
    with pytest.raises(WorkspaceError, match="is not a folder"):
        Workspace.init(home / "file", MANIFEST)


def test_default_folder_name(home: Path) -> None:
    done = Workspace.init(None, MANIFEST)
    assert done.workspace.root == (home / DEFAULT_DIR_NAME).resolve()
    assert Workspace.find().root == done.workspace.root


def test_missing_and_uninitialised_workspaces(home: Path) -> None:
    with pytest.raises(
        WorkspaceError, match=r"does not exist; create it with `minigrad exercises init"
    ):
        Workspace.open(home / "nope")
    (home / "plain").mkdir()
    with pytest.raises(WorkspaceError, match=r"is not an exercise workspace .*exercises init"):
        Workspace.open(home / "plain")
    with pytest.raises(WorkspaceError, match="no exercise workspace found"):
        Workspace.find()


def test_find_order(home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    a = Workspace.init(home / "a", MANIFEST).workspace
    b = Workspace.init(tmp_path / "b", MANIFEST).workspace  # remembered last
    assert Workspace.find().root == b.root  # nothing else: the last init
    (home / "a" / "lesson1").mkdir(exist_ok=True)
    monkeypatch.chdir(home / "a" / "lesson1")
    assert Workspace.find().root == a.root  # inside a workspace
    monkeypatch.setenv(ENV_VAR, str(b.root))
    assert Workspace.find().root == b.root  # the environment wins
    assert Workspace.find(a.root).root == a.root  # --workspace wins over everything
    monkeypatch.setenv(ENV_VAR, str(home / "missing"))
    with pytest.raises(WorkspaceError, match="does not exist"):
        Workspace.find()


def test_restore_stub_backs_up_the_students_file(home: Path) -> None:
    ws = Workspace.init(home / "ws", MANIFEST).workspace
    exercise = MANIFEST.exercises[0]
    ws.path_of(exercise).write_text("mine\n")
    backup = ws.restore_stub(exercise)
    assert ws.is_stub(exercise)
    assert backup is not None and backup.read_text() == "mine\n"
    assert ws.state_dir in backup.parents
    assert ws.restore_stub(exercise) is None  # nothing to back up the second time


def _result(exercise_id: str, status: str) -> ExerciseResult:
    return ExerciseResult(MANIFEST.get(exercise_id), status, message=f"{status} message")


def test_progress_records_grades_and_unlocks(home: Path) -> None:
    ws = Workspace.init(home / "ws", MANIFEST).workspace
    progress = Progress.load(ws.progress_path)
    progress.record(_result("cells.gru", "fail"))
    assert progress.get("cells.gru").passed_at is None
    progress.record(_result("cells.gru", "pass"))
    progress.record(_result("lesson1.gen_batch", "timeout"))
    progress.save()
    again = Progress.load(ws.progress_path)
    gru = again.get("cells.gru")
    assert (gru.status, gru.points, gru.passed_once) == ("pass", 8, True)
    again.record(_result("cells.gru", "fail"))  # breaking it later keeps the solution unlocked
    assert again.get("cells.gru").passed_once
    again.reset("cells.gru")
    assert again.get("cells.gru").status == NOT_GRADED and again.get("cells.gru").passed_once


def test_summary(home: Path) -> None:
    empty = summary()
    assert not empty["initialised"] and empty["workspace"] is None
    assert empty["points"] == 0 and empty["max_points"] == MANIFEST.max_points
    assert {e["status"] for e in empty["exercises"].values()} == {NOT_GRADED}
    ws = Workspace.init(home / "ws", MANIFEST).workspace
    progress = Progress.load(ws.progress_path)
    progress.record(_result("cells.gru", "pass"))
    progress.record(_result("lesson1.gen_batch", "fail"))
    progress.save()
    s = summary(ws.root)
    assert s["initialised"] and s["workspace"] == str(ws.root)
    assert (s["points"], s["passed"], s["total"]) == (8, 1, len(MANIFEST))
    assert s["exercises"]["cells.gru"] | {"hints_total": 3} == {
        "title": "The GRU cell, forward",
        "status": "pass",
        "points": 8,
        "max_points": 8,
        "lesson": 2,
        "step": "gradients",
        "hints_shown": 0,
        "hints_total": 3,
    }
    assert s["exercises"]["lesson1.gen_batch"]["points"] == 0
    per_lesson = s["lessons"]
    assert per_lesson[2]["points"] == 8 and per_lesson[2]["passed"] == 1
    assert sum(v["max_points"] for v in per_lesson.values()) == MANIFEST.max_points
    assert safe_summary(ws.root)["points"] == 8
    assert summary()["initialised"]  # found as the last init


def test_a_corrupt_progress_file_is_explained(home: Path) -> None:
    ws = Workspace.init(home / "ws", MANIFEST).workspace
    ws.progress_path.write_text("{not json")
    with pytest.raises(WorkspaceError, match="not a readable progress file"):
        Progress.load(ws.progress_path)
    ws.progress_path.write_text(
        '{"exercises": {"cells.gru": {"status": "weird", "hints_shown": -3}}}'
    )
    entry = Progress.load(ws.progress_path).get("cells.gru")
    assert (entry.status, entry.hints_shown) == (NOT_GRADED, 0)


def test_hints_are_revealed_one_at_a_time_and_remembered(home: Path) -> None:
    ws = Workspace.init(home / "ws", MANIFEST).workspace
    exercise = MANIFEST.get("cells.gru")
    seen = []
    for _ in range(len(exercise.hints) + 2):
        seen.append(reveal_next_hint(Progress.load(ws.progress_path), exercise))
    total = len(exercise.hints)
    assert seen == [(k, True) for k in range(1, total + 1)] + [(total, False)] * 2
    assert Progress.load(ws.progress_path).get(exercise.id).hints_shown == total
