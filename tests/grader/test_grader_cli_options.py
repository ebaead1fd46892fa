"""``minigrad grade``'s options: --timeout (inf too), --memory-limit, --json (- and bad paths).

Issue 12 item 7 and issue 11 items 7 and 8: ``--timeout inf`` ended in an
OverflowError, ``--json -`` wrote a file named ``-``, and ``--json
/nonexistent/dir/x.json`` created folders silently, after grading.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from minigrad.cli import exercises as cli
from minigrad.cli.main import main
from minigrad.lessons.grader import integrity, report
from minigrad.lessons.grader.manifest import load_manifest
from minigrad.lessons.grader.progress import Progress
from minigrad.lessons.grader.runner import grade

MANIFEST = load_manifest()
GRU = MANIFEST.get("cells.gru")


@pytest.fixture
def ws(console: Console, tmp_path: Path) -> Path:
    """A workspace whose cells.gru is the reference solution; the current folder is tmp_path."""
    assert main(["exercises", "init", "ws"]) == 0
    shutil.copy(GRU.solution_path, tmp_path / "ws" / GRU.file)
    return tmp_path / "ws"


def test_timeout_inf_grades_without_a_limit(ws: Path, capsys) -> None:
    assert main(["grade", "cells.gru", "-w", str(ws), "--timeout", "inf", "--seed", "1"]) == 0
    assert main(["grade", "cells.gru", "-w", str(ws), "--timeout", "none", "--seed", "1"]) == 0
    assert main(["grade", "cells.gru", "-w", str(ws), "--timeout", "1e308", "--seed", "1"]) == 0


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("nan", "more than 0 seconds"),
        ("-1", "more than 0 seconds"),
        ("0", "more than 0 seconds"),
        ("abc", "a number of seconds"),
    ],
)
def test_bad_timeouts_are_refused_before_grading(ws: Path, capsys, value: str, why: str) -> None:
    assert main(["grade", "cells.gru", "-w", str(ws), "--timeout", value]) == 2
    err = capsys.readouterr().err
    assert "--timeout" in err and why in err
    assert Progress.load(ws / ".minigrad" / "progress.json").get(GRU.id).status == "not graded"


@pytest.mark.parametrize(("value", "why"), [("32", "at least 64 MB"), ("lots", "whole number")])
def test_bad_memory_limits_are_refused(ws: Path, capsys, value: str, why: str) -> None:
    assert main(["grade", "cells.gru", "-w", str(ws), "--memory-limit", value]) == 2
    assert why in capsys.readouterr().err


def test_json_dash_writes_the_document_to_stdout_alone(ws: Path, capsys) -> None:
    assert main(["grade", "cells.gru", "-w", str(ws), "--json", "-", "--seed", "3"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["status"] == "pass" and document["seed"] == 3
    assert "Grades" in captured.err  # the tables went to stderr
    assert not (ws.parent / "-").exists()


def test_a_json_path_in_a_missing_folder_is_refused_before_grading(ws: Path, capsys) -> None:
    target = ws.parent / "nonexistent" / "dir" / "x.json"
    assert main(["grade", "cells.gru", "-w", str(ws), "--json", str(target)]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "create it first" in err
    assert not target.parent.parent.exists()  # nothing created
    assert Progress.load(ws / ".minigrad" / "progress.json").get(GRU.id).status == "not graded"
    assert main(["grade", "cells.gru", "-w", str(ws), "--json", str(ws)]) == 2
    assert "that is a folder" in capsys.readouterr().err
    plain = ws.parent / "plain"
    plain.write_text("a file, not a folder")
    assert main(["grade", "cells.gru", "-w", str(ws), "--json", str(plain / "x.json")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_the_table_says_points_are_all_or_nothing(ws: Path) -> None:
    assert main(["grade", "cells.gru", "-w", str(ws), "--seed", "1"]) == 0
    assert "all or nothing" in cli.make_console().export_text()


def test_a_broken_install_is_not_graded(
    ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    copy = tmp_path / "lessons"
    for folder in ("exercises", "grader"):
        shutil.copytree(integrity.LESSONS / folder, copy / folder)
    (copy / "exercises" / "tests" / "cells" / "conftest.py").write_text("# an added file\n")
    monkeypatch.setattr(integrity, "LESSONS", copy)
    assert main(["grade", "cells.gru", "-w", str(ws)]) == 2
    err = capsys.readouterr().err
    assert "broken install" in err and "exercises/tests/cells/conftest.py" in err
    assert Progress.load(ws / ".minigrad" / "progress.json").get(GRU.id).status == "not graded"


def test_the_countdown_while_an_endless_loop_runs(ws: Path) -> None:
    (ws / GRU.file).write_text("def gru_cell(x, h, U, W, b):\n    while True:\n        pass\n")
    from minigrad.lessons.grader.workspace import Workspace

    ticks: list[float] = []
    status = cli.GradingStatus(1, 3.0)

    def seen(exercise, elapsed: float) -> None:
        ticks.append(elapsed)
        status.tick(exercise.id, elapsed)

    (result,) = grade(Workspace.open(ws), [GRU], timeout=3, seed=0, on_progress=seen)
    assert result.status == "timeout"
    assert len(ticks) > 5 and ticks == sorted(ticks) and ticks[-1] > 2
    assert status.text() == "grading · cells.gru: 0 s left"


def test_countdown_texts() -> None:
    assert report.countdown(3.2, 60) == "57 s left"
    assert report.countdown(12.4, math.inf) == "12 s, no time limit"
    status = cli.GradingStatus(18, 60)
    status.tick("cells.gru", 3)
    status.done("lesson1.gen_batch")
    assert status.text() == "graded 1 of 18 · cells.gru: 57 s left"
    status.done("cells.gru")
    assert status.text() == "graded 2 of 18 …"


def test_init_says_how_to_start_grading(console: Console, tmp_path: Path) -> None:
    """Issue 11 item 1: the panel after `exercises init` says how to start grading."""
    assert main(["exercises", "init", "fresh"]) == 0
    text = " ".join(console.export_text().split())
    first = MANIFEST.exercises[0]
    assert "Start grading:" in text and f"cd {tmp_path / 'fresh'}" in text
    assert f"edit {first.file}: replace its `raise NotImplementedError`" in text
    assert f"minigrad grade {first.id}" in text
