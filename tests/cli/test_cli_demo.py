"""The command line: ``minigrad demo`` trains for real, errors are one clean line."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad.cli import demo as demo_command
from minigrad.cli.main import SUBCOMMANDS, main
from minigrad.lessons import demo

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\s*(\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)%\s*$", re.M)


def logged_rows(text: str) -> list[tuple[int, float, float]]:
    """(step, loss, accuracy in %) for every progress line the demo printed."""
    return [(int(s), float(loss), float(acc)) for s, loss, acc in ROW.findall(text)]


def test_demo_loss_falls_well_below_its_start(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo", "--steps", "400", "--seed", "3", "--every", "40"])
    out = capsys.readouterr().out
    assert code == 0
    rows = logged_rows(out)
    assert [step for step, _, _ in rows] == list(range(0, 401, 40))
    first_loss, last_loss = rows[0][1], rows[-1][1]
    assert first_loss > 0.5  # an untrained 2-class model is near ln 2 = 0.693
    assert last_loss < 0.25 * first_loss
    assert rows[-1][2] >= 90.0


def test_demo_on_moons_also_learns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--data", "moons", "--steps", "150", "--lr", "0.05"]) == 0
    rows = logged_rows(capsys.readouterr().out)
    assert rows[-1][1] < 0.5 * rows[0][1]


def test_demo_is_reproducible_from_its_seed() -> None:
    first = demo.train(steps=30, every=10, seed=7)
    again = demo.train(steps=30, every=10, seed=7)
    other = demo.train(steps=30, every=10, seed=8)
    assert [r.loss for r in first] == [r.loss for r in again]
    assert [r.loss for r in first] != [r.loss for r in other]


def test_dataset_shapes_and_balance() -> None:
    for name in demo.DATASETS:
        points, labels = demo.make_dataset(name, 50, seed=0)
        assert points.shape == (100, 2) and points.dtype == np.float32
        assert labels.dtype == np.int64 and np.bincount(labels).tolist() == [50, 50]
    # The two spiral arms are the same curve turned by half a circle.
    points, _ = demo.make_dataset("spiral", 50, seed=0)
    assert np.allclose(points[:50], -points[50:], atol=0.3)


def test_bad_option_is_one_red_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo", "--steps", "0"])
    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: demo: --steps must be at least 1")


def test_minigrad_error_from_a_command_is_not_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(args: object) -> int:
        raise mg.ShapeError("matmul: shapes (2, 3) and [red](4, 5)[/red] do not fit" + " !" * 60)

    monkeypatch.setattr(demo_command, "run", broken)
    code = main(["demo"])
    err = capsys.readouterr().err
    assert code == 2
    # Printed literally (brackets are not rich markup) and on one line, however long.
    expected = "error: matmul: shapes (2, 3) and [red](4, 5)[/red] do not fit" + " !" * 60
    assert err.strip() == expected


def test_other_exceptions_are_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    def buggy(args: object) -> int:
        raise ZeroDivisionError("a bug, not a user error")

    monkeypatch.setattr(demo_command, "run", buggy)
    with pytest.raises(ZeroDivisionError):
        main(["demo"])


def test_usage_errors_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2  # no subcommand: help, and a usage error code
    assert "demo" in capsys.readouterr().out
    assert main(["--help"]) == 0
    assert main(["demo", "--no-such-option"]) == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_every_listed_subcommand_module_registers_itself() -> None:
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"minigrad.cli.{name}")
        assert callable(module.add_parser), name
    assert "demo" in SUBCOMMANDS and len(set(SUBCOMMANDS)) == len(SUBCOMMANDS)


def test_python_dash_m_minigrad_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "minigrad", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"minigrad {mg.__version__}"
