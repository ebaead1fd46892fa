"""``minigrad grade``, ``exercises list`` and ``hint`` at 80x24, through a real pseudo-terminal.

Each command runs in a pty of 80 columns and 24 rows (pexpect), so rich
measures the terminal as a student's default one; the output is read back
with a terminal emulator (pyte). Issue 11 item 2: the grades table's "first
failing check" column was 6 characters wide and wrapped letter by letter.
The checks: no line is wider than the terminal, and every word of the
messages is on the screen whole (wrapped between words, never inside one).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect
import pyte
import pytest

from minigrad.lessons.grader.manifest import load_manifest

MANIFEST = load_manifest()
GRU = MANIFEST.get("cells.gru")
COLUMNS, ROWS = 80, 24
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def in_terminal(args: list[str], cwd: Path, home: Path) -> tuple[list[str], list[str]]:
    """Run ``python -m minigrad ARGS`` in an 80x24 pty: (raw lines, screen lines)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.update(TERM="xterm-256color", MINIGRAD_HOME=str(home))
    child = pexpect.spawn(
        sys.executable,
        ["-m", "minigrad", *args],
        cwd=str(cwd),
        env=env,
        dimensions=(ROWS, COLUMNS),
        encoding="utf-8",
        codec_errors="replace",
        timeout=180,
    )
    text = child.read()
    child.close()
    screen = pyte.Screen(COLUMNS, 2000)
    pyte.Stream(screen).feed(text.replace("\r\n", "\n").replace("\n", "\r\n"))
    shown = [line.rstrip() for line in screen.display]
    while shown and not shown[-1]:
        shown.pop()
    return raw_lines(text), shown


def raw_lines(text: str) -> list[str]:
    """What the program wrote, line by line (a carriage return starts a line over)."""
    return [ANSI.sub("", part) for line in text.split("\n") for part in line.split("\r")]


def words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s│┃]+", text) if w]


def assert_fits(raw: list[str], shown: list[str], *messages: str) -> None:
    too_wide = [line for line in raw if len(line) > COLUMNS]
    assert not too_wide, too_wide[:3]
    on_screen = set(words("\n".join(shown)))
    for message in messages:
        broken = [w for w in words(message) if w not in on_screen]
        assert not broken, (broken[:5], "\n".join(shown))


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    from minigrad.cli.main import main

    os.environ["MINIGRAD_HOME"] = str(tmp_path / "home")
    try:
        assert main(["exercises", "init", str(tmp_path / "ws")]) == 0
    finally:
        del os.environ["MINIGRAD_HOME"]
    return tmp_path / "ws"


def test_grade_at_80_columns(ws: Path, tmp_path: Path) -> None:
    wrong = GRU.solution_path.read_text().replace(
        "return z * h + (1 - z) * n", "return (1 - z) * h + z * n"
    )
    (ws / GRU.file).write_text(wrong)
    raw, shown = in_terminal(["grade", "cells.gru", "-w", str(ws)], tmp_path, tmp_path / "home")
    text = "\n".join(shown)
    assert "cells.gru" in text and "0/8" in text and "✗ fail · 0/5 checks" in text
    message = text.split("0/5 checks", 1)[1].split("Points are all or nothing")[0]
    assert "first wrong value at index" in " ".join(message.split())
    assert_fits(raw, shown, "blocks r, z, n; the reset gate before W_n; h_t = z * h_(t-1)")
    assert "all or nothing" in text
    assert len(shown) <= ROWS
    assert any(re.search(r"grading · cells\.gru: \d+ s left", line) for line in raw)


def test_every_exercise_in_the_grades_at_80_columns(tmp_path: Path) -> None:
    """The whole table (every id, the longest messages) rendered by the real command's code."""
    script = """
from minigrad.lessons.grader import report
from minigrad.lessons.grader.manifest import load_manifest
from minigrad.lessons.grader.results import CheckOutcome, ExerciseResult
from rich.console import Console
rows = []
for e in load_manifest():
    check = CheckOutcome("t", "d", "fail", None)
    message = f"not done yet: write something ({e.file}, line 31) " + "because " * 12
    rows.append(ExerciseResult(e, "fail", message=message, checks=[check]))
Console().print(report.Grades(rows))
"""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    child = pexpect.spawn(
        sys.executable,
        ["-c", script],
        env=dict(env, TERM="xterm-256color"),
        dimensions=(ROWS, COLUMNS),
        encoding="utf-8",
        timeout=120,
    )
    text = child.read()
    raw = raw_lines(text)
    screen = pyte.Screen(COLUMNS, 500)
    pyte.Stream(screen).feed(text)
    shown = [line.rstrip() for line in screen.display]
    assert_fits(raw, shown, *[f"{e.id} not done yet: write something ({e.file}," for e in MANIFEST])


def test_exercise_list_at_80_columns(ws: Path, tmp_path: Path) -> None:
    raw, shown = in_terminal(["exercises", "list", "-w", str(ws)], tmp_path, tmp_path / "home")
    assert_fits(raw, shown, *(f"{e.id} {e.points}" for e in MANIFEST))
    rows = [line for line in shown if "not graded" in line]
    assert len(rows) == len(MANIFEST)  # one line per exercise, titles left out at this width
    # A header, a rule, the rows, the note, the score and "Next": 24 rows for 18 exercises.
    assert len(shown) <= len(MANIFEST) + 6, "\n".join(shown)
    assert "Next: lesson1.gen_batch" in "\n".join(shown)


def test_hint_at_80_columns(ws: Path, tmp_path: Path) -> None:
    longest = max(MANIFEST, key=lambda e: len(e.id) + len(e.title))
    raw, shown = in_terminal(["hint", longest.id, "-w", str(ws)], tmp_path, tmp_path / "home")
    assert_fits(raw, shown, longest.title, longest.hints[0])
    assert len(shown) <= ROWS
