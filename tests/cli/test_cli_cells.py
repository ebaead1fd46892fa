"""``minigrad cells`` and ``minigrad check-cell``: what they print and their exit codes."""

from __future__ import annotations

import importlib.metadata
import json
import types
from typing import Any

import pytest

import minigrad as mg
from minigrad import cells
from minigrad.cells import CellRegistry
from minigrad.cli.check_cell import parse_options
from minigrad.cli.main import SUBCOMMANDS, main
from minigrad.errors import CellError
from minigrad.plugins.basic_rnn import BasicRNNCell

BUILTIN_NAMES = {"rnn", "lstm", "peephole_lstm", "coupled_lstm", "gru", "layernorm_lstm"}


class QuietRNNCell(BasicRNNCell):
    pass  # no docstring of its own: fails the kit's docstring check


def _plugin(name: str, hook: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.minigrad_register_cells = mg.hookimpl(hook)
    return module


def _quiet_hook(register: Any) -> None:
    register("quiet_rnn", QuietRNNCell, aliases=("hush",))


def _raising_hook(register: Any) -> None:
    raise RuntimeError("cannot find libfoo.so")


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> CellRegistry:
    """The process-wide registry replaced by rnn, quiet_rnn and one failing plugin."""
    reg = CellRegistry.load(
        builtins=("minigrad.plugins.basic_rnn",),
        entry_points=False,
        extra_plugins=(_plugin("quiet_plugin", _quiet_hook), _plugin("bad_plugin", _raising_hook)),
    )
    monkeypatch.setattr(cells, "_registry", reg)
    return reg


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal wide enough that rich does not wrap table cells."""
    monkeypatch.setenv("COLUMNS", "250")


def test_both_commands_are_registered() -> None:
    assert "cells" in SUBCOMMANDS and "check_cell" in SUBCOMMANDS


# ---------------------------------------------------------------- cells
def test_cells_json_lists_cells_and_failures(
    registry: CellRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cells", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in data["cells"]] == ["quiet_rnn", "rnn"]
    rnn = data["cells"][1]
    options = rnn.pop("options")
    assert (
        options.items()
        >= {
            "activation": "tanh",
            "dtype": "float32",
            "device": "cpu",
            "rng": None,
        }.items()
    )
    assert rnn == {
        "name": "rnn",
        "aliases": ["basic_rnn"],
        "plugin": "minigrad.plugins.basic_rnn",
        "distribution": "minigrad",
        "version": importlib.metadata.version("minigrad"),
        "kind": "step",
        "state_layout": ["s"],
        "summary": BasicRNNCell.__doc__.strip().splitlines()[0],
        "class": "minigrad.plugins.basic_rnn.BasicRNNCell",
    }
    quiet = data["cells"][0]
    assert (quiet["plugin"], quiet["distribution"], quiet["aliases"]) == (
        "quiet_plugin",
        "(registered in code)",
        ["hush"],
    )
    (failure,) = data["failures"]
    trace = failure.pop("traceback")
    assert failure == {
        "plugin": "bad_plugin",
        "distribution": "(registered in code)",
        "version": "",
        "error": "RuntimeError: cannot find libfoo.so",
    }
    assert trace.startswith("Traceback") and "in _raising_hook" in trace
    assert trace.rstrip().endswith("RuntimeError: cannot find libfoo.so")


def test_cells_table_shows_every_column_and_the_failures(
    registry: CellRegistry, wide: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cells"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(line for line in lines if "name" in line and "plugin" in line)
    for column in ("distribution", "kind", "state", "summary"):
        assert column in header
    row = next(line for line in lines if " rnn " in line)
    version = importlib.metadata.version("minigrad")
    for value in (
        "minigrad.plugins.basic_rnn",
        f"minigrad {version}",
        "step",
        " s ",
        "Basic RNN cell",
    ):
        assert value in row, (value, row)
    assert any("basic_rnn" in line for line in lines)  # the alias, under the name
    assert "plugins that failed to load" in out
    failure = next(line for line in lines if "bad_plugin" in line)
    assert "RuntimeError: cannot find libfoo.so" in failure
    assert "MINIGRAD_STRICT_PLUGINS=1" in out


def test_cells_without_failures_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reg = CellRegistry.load(builtins=("minigrad.plugins.basic_rnn",), entry_points=False)
    monkeypatch.setattr(cells, "_registry", reg)
    assert main(["cells"]) == 0
    out = capsys.readouterr().out
    assert "Every plugin loaded." in out and "failed" not in out


def test_cells_lists_every_builtin_from_the_real_registry(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cells, "_registry", None)
    assert main(["cells", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_name = {c["name"]: c for c in data["cells"]}
    assert BUILTIN_NAMES | {"bidirectional"} <= set(by_name)
    assert all(by_name[n]["distribution"] == "minigrad" for n in BUILTIN_NAMES)
    assert by_name["lstm"]["state_layout"] == ["h", "c"]
    assert by_name["bidirectional"]["kind"] == "sequence"


def test_a_strict_plugin_failure_is_an_error_line_then_the_plugins_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def strict_registry() -> CellRegistry:
        return CellRegistry.load(
            builtins=(),
            entry_points=False,
            extra_plugins=(_plugin("bad_plugin", _raising_hook),),
            strict=True,
        )

    monkeypatch.setattr("minigrad.cli.cells.registry", strict_registry)
    assert main(["cells"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: plugin bad_plugin") and "cannot find libfoo.so" in err
    assert "the plugin's traceback:\nTraceback (most recent call last)" in err
    assert "in _raising_hook" in err  # the plugin's own frame


# ----------------------------------------------------------- check-cell
def test_check_cell_passes_a_good_cell(wide: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-cell", "rnn"]) == 0
    out = capsys.readouterr().out
    for check in ("shapes", "zero_state", "gradients", "lengths", "save_load", "docstring"):
        row = next(line for line in out.splitlines() if f" {check} " in line)
        assert " pass " in row, row
    gpu = next(line for line in out.splitlines() if " gpu_parity " in line)
    assert (" skip " in gpu) != mg.gpu_available()
    assert "rnn conforms:" in out


def test_check_cell_fails_a_bad_cell_with_exit_code_1(
    registry: CellRegistry, wide: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-cell", "hush"]) == 1
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if " docstring " in line)
    assert " fail " in row and "no docstring of its own" in row
    assert "quiet_rnn does NOT conform: " in out
    assert "1 failed" in out


def test_check_cell_passes_options_to_the_cell(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["check-cell", "gru", "--option", "reset_after=True", "--check", "gradients", "--json"]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cell"] == "gru[reset_after=True]"
    assert data["options"] == {"reset_after": True}
    assert [(r["check"], r["status"]) for r in data["results"]] == [("gradients", "pass")]
    assert "parameters" in data["results"][0]["message"]


def test_check_cell_json_reports_failures(
    registry: CellRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-cell", "quiet_rnn", "--check", "docstring", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["results"][0]["status"] == "fail"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check-cell", "lstn"], "unknown cell 'lstn'. Did you mean 'lstm'"),
        (["check-cell", "rnn", "--option", "activaton=relu"], "no option 'activaton'"),
        (["check-cell", "rnn", "--option", "relu"], "--option expects KEY=VALUE"),
        (["check-cell", "rnn", "--check", "speed"], "no check named 'speed'"),
    ],
    ids=["unknown-name", "unknown-option", "malformed-option", "unknown-check"],
)
def test_check_cell_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_parse_options_reads_literals_and_falls_back_to_strings() -> None:
    assert parse_options(
        ["reset_after=True", "forget_bias=0.5", "activation=relu", "cell=gru", "n=3", "x="]
    ) == {
        "reset_after": True,
        "forget_bias": 0.5,
        "activation": "relu",
        "cell": "gru",
        "n": 3,
        "x": "",
    }
    for bad in ("noequals", "=3", "two words=1"):
        with pytest.raises(CellError, match="KEY=VALUE"):
            parse_options([bad])
