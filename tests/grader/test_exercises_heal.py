"""The workspace heals: untouched stubs score zero, each reference solution passes.

From a fresh workspace: grading everything gives 0 points (every exercise
fails as "not done yet"); dropping in the reference solutions one at a time
raises the score by exactly that exercise's points; at the end every exercise
passes and the JSON result file says so too. This runs every graded test file
in a subprocess, three times over (about 20-40 s).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from minigrad.cli import exercises as cli
from minigrad.cli.main import main
from minigrad.lessons.grader.manifest import load_manifest
from minigrad.lessons.grader.progress import summary

MANIFEST = load_manifest()


@pytest.fixture
def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Console:
    recording = Console(record=True, width=160)
    monkeypatch.setattr(cli, "make_console", lambda: recording)
    monkeypatch.setenv("MINIGRAD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MINIGRAD_EXERCISES", raising=False)
    return recording


def grade(workspace: Path, out: Path, *extra: str) -> tuple[int, dict]:
    code = main(["grade", *extra, "-w", str(workspace), "--json", str(out)])
    return code, json.loads(out.read_text())


@pytest.mark.slow
def test_stubs_score_zero_and_solutions_heal_the_workspace(console: Console, tmp_path: Path):
    ws = tmp_path / "ws"
    assert main(["exercises", "init", str(ws)]) == 0

    code, start = grade(ws, tmp_path / "start.json", "--seed", "11")
    assert code == 1
    assert (start["status"], start["points"], start["max_points"]) == (
        "fail",
        0,
        MANIFEST.max_points,
    )
    assert [e["id"] for e in start["exercises"]] == MANIFEST.ids
    for entry in start["exercises"]:
        assert entry["status"] == "fail" and entry["points"] == 0, entry
        assert entry["message"].startswith("not done yet"), entry
    assert summary(ws)["points"] == 0

    score = 0
    for exercise in MANIFEST:
        shutil.copy(exercise.solution_path, ws / exercise.file)
        code, one = grade(ws, tmp_path / "one.json", exercise.id, "--seed", "11")
        (entry,) = one["exercises"]
        assert code == 0 and entry["status"] == "pass", (exercise.id, entry["message"])
        assert one["points"] == entry["points"] == exercise.points
        score += exercise.points
        assert summary(ws)["points"] == score, exercise.id
    assert score == MANIFEST.max_points

    code, end = grade(ws, tmp_path / "end.json")  # and once more with a fresh random seed
    failing = [(e["id"], e["message"]) for e in end["exercises"] if e["status"] != "pass"]
    assert code == 0 and not failing, (end["seed"], failing)
    assert (end["status"], end["points"]) == ("pass", MANIFEST.max_points)
    assert sum(e["points"] for e in end["exercises"]) == end["max_points"] == MANIFEST.max_points
    text = console.export_text()
    assert f"Score: {MANIFEST.max_points}/{MANIFEST.max_points} points" in text
    assert "Every exercise passes" in text
