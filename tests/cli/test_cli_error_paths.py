"""The command line's error paths: closed pipes, option values, plugins that exit or fail.

Most run the real ``minigrad`` command in a subprocess, because what is tested
is what a shell sees: the exit code, and whether stderr holds a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import minigrad as mg
from minigrad import cells
from minigrad.cells import Cell, CellRegistry
from minigrad.cli.main import main
from minigrad.lessons.charlm.data import toy_text

EXITING_PLUGIN = "import sys\nsys.exit(0)\n"
RAISING_PLUGIN = "def helper():\n    raise RuntimeError('cannot find libfoo.so')\n\nhelper()\n"


def fake_distribution(site: Path, name: str, module: str, source: str) -> Path:
    """A pip-installed-looking distribution ``name`` whose entry point is ``module``."""
    info = site / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[minigrad]\n{name} = {module}\n")
    (site / f"{module}.py").write_text(source)
    return site


def minigrad_cli(
    *args: str, site: Path | None = None, stdout: Any = subprocess.PIPE, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m minigrad ARGS`` with ``site`` on its path and ``env`` added."""
    environment = {**os.environ, **env}
    if site is not None:
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
    return subprocess.run(
        [sys.executable, "-m", "minigrad", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        timeout=300,
    )


# ------------------------------------------------------------ a closed pipe
@pytest.mark.parametrize(
    "args",
    [
        ["cells", "--json"],
        ["cells"],
        ["check-cell", "rnn", "--check", "shapes", "--json"],
        ["check-cell", "rnn", "--check", "shapes"],
        ["--help"],
    ],
    ids=["cells-json", "cells-table", "check-cell-json", "check-cell-table", "help"],
)
def test_a_reader_that_goes_away_stops_the_command_quietly(args: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # as `| head` does once it has its lines: every write now fails
    try:
        result = minigrad_cli(*args, stdout=write_end)
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr
    assert "Exception ignored" not in result.stderr
    assert result.returncode == (0 if args == ["--help"] else 1)


# ---------------------------------------------------------- check-cell options
def test_an_option_value_the_cell_refuses_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check-cell", "rnn", "--option", "activation=bogus"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no "does NOT conform" table for the user's typo
    assert "--option activation='bogus'" in captured.err
    assert "activation must be one of tanh, relu, sigmoid" in captured.err


def test_only_the_refused_option_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["check-cell", "gru", "--option", "reset_after=True", "--option", "dtype='int8'"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "dtype='int8'" in err and "reset_after" not in err


class NeverBuildsCell(Cell):
    """A broken cell: h_t = x_t, but its constructor always fails."""

    def __init__(self, input_size: int, hidden_size: int, scale: float = 1.0, **options: Any):
        raise RuntimeError("a bug in the cell")

    def forward(self, x_t: mg.Tensor, state: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        """Return the input."""
        return x_t, x_t


def test_a_cell_that_never_builds_is_a_conformance_failure_not_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reg = CellRegistry.load(builtins=(), entry_points=False)
    reg.add("never", NeverBuildsCell)
    monkeypatch.setattr(cells, "_registry", reg)
    assert main(["check-cell", "never", "--option", "scale=2.0", "--check", "shapes"]) == 1
    assert "a bug in the cell" in capsys.readouterr().out


# ------------------------------------------------------ plugins that exit or fail
@pytest.fixture
def exiting_site(tmp_path: Path) -> Path:
    return fake_distribution(tmp_path / "site", "exitcells", "clitest_exiter", EXITING_PLUGIN)


def test_cells_lists_the_cells_and_the_plugin_that_exited(exiting_site: Path) -> None:
    result = minigrad_cli("cells", "--json", site=exiting_site)
    assert result.returncode == 0, result.stderr
    assert '"name": "lstm"' in result.stdout
    assert '"plugin": "exitcells"' in result.stdout
    assert "SystemExit: 0 (it called sys.exit)" in result.stdout


def test_check_cell_still_checks_a_cell_when_a_plugin_exited(exiting_site: Path) -> None:
    result = minigrad_cli("check-cell", "rnn", "--check", "shapes", site=exiting_site)
    assert result.returncode == 0, result.stderr
    assert "rnn conforms: 1 passed" in result.stdout


def test_the_cell_of_a_plugin_that_exited_is_unknown_naming_the_failure(
    exiting_site: Path,
) -> None:
    result = minigrad_cli("check-cell", "mgu", site=exiting_site)
    assert result.returncode == 2
    assert "unknown cell 'mgu'" in result.stderr
    assert "exitcells (exitcells): SystemExit: 0" in result.stderr


def test_available_does_not_end_the_interpreter(exiting_site: Path) -> None:
    code = "import minigrad as mg; print(mg.cells.available()); print('still here')"
    env = {**os.environ, "PYTHONPATH": str(exiting_site)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "'lstm'" in result.stdout and "still here" in result.stdout


def test_lesson_3_runs_when_a_plugin_exits(exiting_site: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "toy.txt"
    corpus.write_text(toy_text(15_000, seed=7), encoding="utf-8")
    result = minigrad_cli(
        *("lesson", "3", "--auto", "--preset", "tiny", "--corpus", str(corpus)),
        *("--max-steps", "2", "--hidden-size", "8", "--embedding-size", "4"),
        *("--gen-length", "5", "--checkpoint", str(tmp_path / "c.npz")),
        site=exiting_site,
        MINIGRAD_HOME=str(tmp_path / "home"),
        COLUMNS="100",
    )
    assert result.returncode == 0, result.stderr
    assert "Lesson 3 complete" in result.stdout


def test_strict_mode_prints_the_plugins_traceback(tmp_path: Path) -> None:
    site = fake_distribution(tmp_path / "site", "badcells", "clitest_raiser", RAISING_PLUGIN)
    result = minigrad_cli("cells", site=site, MINIGRAD_STRICT_PLUGINS="1")
    assert result.returncode == 2
    err = result.stderr
    assert "error: plugin entry point 'badcells'" in err and "cannot find libfoo.so" in err
    assert "Traceback (most recent call last)" in err
    assert "clitest_raiser.py" in err and "in helper" in err  # the plugin's own frames
    without = minigrad_cli("cells", site=site)
    assert without.returncode == 0 and "Traceback" not in without.stderr
    assert "MINIGRAD_STRICT_PLUGINS=1" in without.stdout  # the footer that promises it
