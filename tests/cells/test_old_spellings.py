"""Every public spelling from before the layout change still works, as the same objects.

The modules moved (``minigrad/_moved.py`` lists them); code written against the old
docs must run unchanged. ``tests/cells/test_example_plugin.py`` installs the example
plugin package, which is kept as it was written against those docs, and checks it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad._moved import MOVED


def _run(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (so no module is imported yet)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True
    )


@pytest.mark.parametrize("old,new", sorted(MOVED.items()))
def test_each_old_module_name_is_the_new_module(old: str, new: str) -> None:
    result = _run(
        f"""
        import importlib, sys
        old = importlib.import_module({old!r})
        new = importlib.import_module({new!r})
        assert old is new, (old, new)
        assert sys.modules[{old!r}] is new
        # the module still knows its real name and file
        assert new.__name__ == {new!r} and new.__spec__.name == {new!r}, new.__spec__
        print("ok")
        """
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_old_from_imports_work_in_a_fresh_interpreter() -> None:
    result = _run(
        """
        from minigrad.rnn import dynamic_rnn, static_rnn, bidirectional_rnn, detach_state
        from minigrad.recurrent import RNN
        from minigrad.hookspecs import hookimpl, hookspec, minigrad_register_cells
        from minigrad.testing import check_cell, parametrize_with_cell_checks, CellReport
        from minigrad.cells.base import Cell, SequenceModule
        from minigrad.fused.rnn import rnn_sequence
        from minigrad.plugins.rnn import BasicRNNCell
        import minigrad as mg
        assert dynamic_rnn is mg.cells.dynamic_rnn and RNN is mg.nn.RNN
        assert hookimpl is mg.hookimpl and Cell is mg.cells.Cell
        assert check_cell is mg.testing.check_cell
        assert BasicRNNCell is mg.cells.get("rnn").cls
        print("ok")
        """
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_old_attribute_spellings() -> None:
    assert mg.rnn.dynamic_rnn is mg.cells.dynamic_rnn
    assert mg.rnn.static_rnn is mg.cells.static_rnn
    assert mg.rnn.MERGE_MODES == mg.cells.MERGE_MODES
    assert mg.nn.RNN is mg.cells.layer.RNN
    assert mg.hookimpl is mg.cells.hookspecs.hookimpl
    assert mg.testing.check_cell("rnn").ok
    assert callable(mg.testing.parametrize_with_cell_checks)


def test_an_unknown_module_under_minigrad_is_still_an_import_error() -> None:
    with pytest.raises(ModuleNotFoundError):
        __import__("minigrad.no_such_module")


def test_a_plugin_written_with_every_old_spelling_registers_and_conforms(tmp_path: Any) -> None:
    (tmp_path / "old_style_plugin.py").write_text(
        textwrap.dedent(
            '''
            import numpy as np
            import minigrad
            from minigrad.cells.base import Cell
            from minigrad.hookspecs import hookimpl


            class OldStyleCell(Cell):
                """Old style: s_t = tanh(x_t @ U + s_{t-1} @ W).

                Parameters: ``U`` [I, H], ``W`` [H, H].
                """

                state_layout = ("s",)

                def __init__(self, input_size, hidden_size, *, dtype=np.float32,
                             device="cpu", rng=None):
                    super().__init__(input_size, hidden_size, dtype=dtype, device=device)
                    gen = rng if rng is not None else minigrad.backend.default_rng(device)
                    shape = lambda *s: minigrad.nn.Parameter(minigrad.zeros(s, dtype=dtype))
                    self.U = minigrad.nn.init.uniform_(shape(input_size, hidden_size), rng=gen)
                    self.W = minigrad.nn.init.uniform_(shape(hidden_size, hidden_size), rng=gen)

                def forward(self, x_t, state):
                    s = minigrad.tanh(x_t @ self.U + state @ self.W)
                    return s, s


            @hookimpl
            def minigrad_register_cells(register):
                register("old_style", OldStyleCell)
            '''
        )
    )
    sys.path.insert(0, str(tmp_path))
    try:
        import old_style_plugin

        from minigrad.testing import check_cell

        registry = mg.cells.CellRegistry.load(
            builtins=(), entry_points=False, extra_plugins=(old_style_plugin,)
        )
        report = check_cell("old_style", registry=registry)
        assert report.ok, report.to_dict()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("old_style_plugin", None)


class ForwardingCell(mg.cells.Cell):
    """A cell that forwards its options: s_t = tanh(x_t @ U + s_{t-1} @ W).

    Parameters: ``U`` [I, H], ``W`` [H, H].
    """

    state_layout = ("s",)

    def __init__(self, input_size: int, hidden_size: int, **options: Any) -> None:
        super().__init__(input_size, hidden_size, **options)
        init = mg.nn.init.uniform_
        make = lambda *s: mg.nn.Parameter(mg.zeros(s, dtype=self.dtype, device=self.device))  # noqa: E731
        self.U = init(make(input_size, hidden_size), rng=self.rng)
        self.W = init(make(hidden_size, hidden_size), rng=self.rng)

    def forward(self, x_t: mg.Tensor, state: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        """One step."""
        s = mg.tanh(x_t @ self.U + state @ self.W)
        return s, s


def test_cell_init_takes_dtype_device_and_rng_so_forwarding_options_works() -> None:
    a = ForwardingCell(3, 4, dtype=np.float64, rng=np.random.default_rng(5))
    b = ForwardingCell(3, 4, dtype=np.float64, rng=np.random.default_rng(5))
    assert a.U.dtype == np.float64 and a.device == "cpu"
    assert np.array_equal(a.U.numpy(), b.U.numpy())
    report = mg.testing.check_cell(ForwardingCell)
    assert report.ok, report.to_dict()


def test_cell_init_rejects_a_non_float_dtype_naming_the_cell() -> None:
    with pytest.raises(mg.DTypeError, match="ForwardingCell.*floating point"):
        ForwardingCell(3, 4, dtype=np.int32)


def test_the_kit_says_which_options_every_cell_must_accept() -> None:
    class NoOptionsCell(mg.cells.Cell):
        """s_t = x_t @ U + s_{t-1}; ``U`` [I, H]."""

        def __init__(self, input_size: int, hidden_size: int) -> None:
            super().__init__(input_size, hidden_size)
            self.U = mg.nn.Parameter(mg.zeros((input_size, hidden_size)))

        def forward(self, x_t: mg.Tensor, state: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
            s = x_t @ self.U + state
            return s, s

    report = mg.testing.check_cell(NoOptionsCell)
    failed = {r.check: r.message for r in report.results if r.status == "fail"}
    assert "constructor" in failed and "gradients" in failed  # gradients need float64
    for message in (failed["constructor"], failed["gradients"]):
        assert "dtype, device, rng" in message, message
        assert "**options" in message and "super().__init__" in message, message
