"""The exercise commands end to end: init, list, grade (--json), hint, solution, reset."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from minigrad.cli import exercises as cli
from minigrad.cli.main import main
from minigrad.lessons.grader.manifest import load_manifest
from minigrad.lessons.grader.progress import Progress

MANIFEST = load_manifest()
GRU = MANIFEST.get("cells.gru")


def output(console: Console) -> str:
    return console.export_text()


def test_init_list_and_the_default_folder(console: Console, tmp_path: Path) -> None:
    assert main(["exercises", "init"]) == 0
    text = output(console)
    ws = tmp_path / "minigrad-exercises"
    assert f"Created the exercise workspace {ws}" in text
    assert f"{len(MANIFEST)} stub(s) copied" in text
    (ws / GRU.file).write_text("# mine\n")
    assert main(["exercises", "init"]) == 0
    text = output(console)
    assert "Checked the exercise workspace" in text and "1 file(s) you changed were kept" in text
    assert (ws / GRU.file).read_text() == "# mine\n"
    assert main(["exercises", "list"]) == 0
    text = output(console)
    assert "lesson1.gen_batch" in text and "not graded" in text
    assert f"Score: 0/{MANIFEST.max_points} points" in text
    assert "Next: lesson1.gen_batch" in text


def test_grade_one_with_json(console: Console, tmp_path: Path) -> None:
    assert main(["exercises", "init", "ws"]) == 0
    shutil.copy(GRU.solution_path, tmp_path / "ws" / GRU.file)
    report = tmp_path / "out" / "result.json"
    report.parent.mkdir()
    assert main(["grade", "gru", "-w", "ws", "--json", str(report), "--seed", "4"]) == 0
    text = output(console)
    assert "cells.gru" in text and "✓ pass" in text and "8/8" in text
    data = json.loads(report.read_text())
    assert (data["version"], data["status"], data["points"], data["max_points"]) == (
        1,
        "pass",
        8,
        8,
    )
    assert data["seed"] == 4 and data["workspace"] == str((tmp_path / "ws").resolve())
    (entry,) = data["exercises"]
    assert entry["id"] == "cells.gru" and entry["status"] == "pass" and entry["message"] is None
    assert entry["tests"] and {t["status"] for t in entry["tests"]} == {"pass"}
    assert (
        Progress.load(tmp_path / "ws" / ".minigrad" / "progress.json").get("cells.gru").passed_once
    )


def test_grade_failure_exit_code_and_message(console: Console, tmp_path: Path) -> None:
    assert main(["exercises", "init", "ws"]) == 0
    assert main(["exercises", "grade", "cells.gru", "-w", "ws"]) == 1
    assert "not done yet: write gru_cell" in output(console)


def test_hints_one_at_a_time(console: Console) -> None:
    assert main(["exercises", "init", "ws"]) == 0
    output(console)
    assert main(["hint", "cells.gru", "-w", "ws"]) == 0
    text = output(console)
    assert f"Hint 1 of 3: {GRU.hints[0][:30]}" in text and "Hint 2" not in text
    assert main(["hint", "cells.gru", "-w", "ws"]) == 0
    assert "Hint 2 of 3" in output(console)
    assert main(["hint", "cells.gru", "-w", "ws"]) == 0
    assert main(["hint", "cells.gru", "-w", "ws"]) == 0
    text = output(console)
    assert "Hint 3 of 3" in text and "That was the last hint" in text


def test_solution_only_after_passing(console: Console, tmp_path: Path) -> None:
    assert main(["exercises", "init", "ws"]) == 0
    output(console)
    assert main(["solution", "cells.gru", "-w", "ws"]) == 1
    text = output(console)
    assert "unlocks once your code passes" in text and "def gru_cell" not in text
    shutil.copy(GRU.solution_path, tmp_path / "ws" / GRU.file)
    assert main(["grade", "cells.gru", "-w", "ws"]) == 0
    output(console)
    assert main(["solution", "cells.gru", "-w", "ws"]) == 0
    assert "Reference solution of cells.gru" in output(console)


def test_reset_asks_first(
    console: Console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["exercises", "init", "ws"]) == 0
    mine = tmp_path / "ws" / GRU.file
    mine.write_text("# mine\n")
    monkeypatch.setattr(cli, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(cli, "confirm", lambda console, question: False)
    assert main(["reset", "cells.gru", "-w", "ws"]) == 0
    assert mine.read_text() == "# mine\n" and "Nothing changed" in output(console)
    monkeypatch.setattr(cli, "confirm", lambda console, question: GRU.file in question)
    assert main(["reset", "cells.gru", "-w", "ws"]) == 0
    assert mine.read_bytes() == GRU.stub_path.read_bytes()
    assert "Your previous version was saved as .minigrad/backups/cells/gru.py." in output(console)


def test_reset_without_a_terminal_needs_yes(
    console: Console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    assert main(["exercises", "init", "ws"]) == 0
    mine = tmp_path / "ws" / GRU.file
    mine.write_text("# mine\n")
    monkeypatch.setattr(cli, "stdin_is_terminal", lambda: False)
    assert main(["reset", "cells.gru", "-w", "ws"]) == 2
    assert "add --yes" in capsys.readouterr().err
    assert mine.read_text() == "# mine\n"
    assert main(["reset", "cells.gru", "-w", "ws", "--yes"]) == 0
    assert mine.read_bytes() == GRU.stub_path.read_bytes()


def test_bad_input(console: Console, tmp_path: Path, capsys) -> None:
    assert main(["grade", "-w", "nowhere"]) == 2
    assert "the workspace nowhere does not exist" in capsys.readouterr().err
    (tmp_path / "plain").mkdir()
    assert main(["hint", "cells.gru", "-w", "plain"]) == 2
    assert "is not an exercise workspace" in capsys.readouterr().err
    assert main(["grade"]) == 2
    assert "no exercise workspace found" in capsys.readouterr().err
    assert main(["exercises", "init", "ws"]) == 0
    assert main(["grade", "cells.gruu", "-w", "ws"]) == 2
    err = capsys.readouterr().err
    assert "there is no exercise 'cells.gruu'" in err and "lesson1.gen_batch" in err
    assert main(["grade", "--timeout", "0", "-w", "ws"]) == 2
    assert "--timeout must be more than 0 seconds" in capsys.readouterr().err
    assert main(["exercises"]) == 2


def test_missing_pytest_is_explained(console: Console, monkeypatch: pytest.MonkeyPatch, capsys):
    from minigrad.lessons.grader import runner

    assert main(["exercises", "init", "ws"]) == 0
    monkeypatch.setattr(runner.importlib.util, "find_spec", lambda name: None)
    assert main(["grade", "cells.gru", "-w", "ws"]) == 2
    assert "pip install pytest" in capsys.readouterr().err
