"""The conformance kit (``minigrad.cells.conformance``): passes every built-in cell, catches bugs.

Two halves:

* every built-in cell (and a few option variants) goes through every check,
  one pytest case per (cell, check), via ``parametrize_with_cell_checks``;
* deliberately broken cells show that each check fails for the bug it is
  meant to catch, and only for that bug (no false alarms elsewhere).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend
from minigrad.autograd import Function
from minigrad.cells import Cell, CellRegistry, SequenceModule
from minigrad.cells import conformance as testing
from minigrad.cells.conformance import (
    CellReport,
    check_cell,
    docstring_problems,
    make_subject,
    parametrize_with_cell_checks,
)
from minigrad.cells.conformance.checks import numerics
from minigrad.errors import CellError
from minigrad.nn import Parameter

BUILTIN_CASES = [
    "rnn",
    ("rnn", {"activation": "relu"}),
    "lstm",
    "peephole_lstm",
    "coupled_lstm",
    "gru",
    ("gru", {"reset_after": True}),
    "layernorm_lstm",
    "bidirectional",
    ("bidirectional", {"cell": "gru", "merge": "sum"}),
    # Greff et al.'s LSTM variants and Jozefowicz et al.'s MUT1-3 (plugins/greff_lstm.py,
    # plugins/jozefowicz.py); V and NP also composed, to check them against their fused ops.
    *(f"greff_{v}" for v in ("v", "nig", "nfg", "nog", "niaf", "noaf", "np", "cifg", "fgr")),
    ("greff_v", {"fused": False}),
    ("greff_np", {"fused": False}),
    "jozefowicz_mut1",
    "jozefowicz_mut2",
    "jozefowicz_mut3",
]


@parametrize_with_cell_checks(BUILTIN_CASES)
def test_builtin_cells_conform(cell: testing.CellSubject, check: Any) -> None:
    check(cell)


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["rnn", "lstm", "gru", "layernorm_lstm", "bidirectional"])
def test_builtin_cells_match_on_gpu(name: str) -> None:
    report = check_cell(name, checks=["gpu_parity"])
    assert [r.status for r in report.results] == ["pass"], report.results


# -------------------------------------------------------------- a good cell
class TanhCell(Cell):
    """A plain tanh RNN cell, the reference the broken cells below start from.

    Equations::

        h_t = tanh(x_t U + h_{t-1} W + b)

    Parameters: ``U`` [I, H], ``W`` [H, H], ``b`` [H]. State layout: ``h``.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        dtype: Any = np.float32,
        device: str = "cpu",
        rng: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, dtype=dtype, device=device)
        gen = rng if rng is not None else backend.default_rng(device)
        self.U = self.uniform(gen, input_size, hidden_size)
        self.W = self.uniform(gen, hidden_size, hidden_size)
        self.b = self.uniform(gen, hidden_size)

    def uniform(self, gen: Any, *shape: int) -> Parameter:
        """A parameter drawn from U(-1/sqrt(H), 1/sqrt(H))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        values = gen.uniform(-bound, bound, size=shape).astype(self.dtype)
        return Parameter(backend.to_device(values, self.device))

    def forward(self, x_t: mg.Tensor, state: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        """h_t = tanh(x_t U + h_{t-1} W + b)."""
        h = mg.tanh(x_t @ self.U + state @ self.W + self.b)
        return h, h


def failed(report: CellReport) -> set[str]:
    """The names of the checks that failed."""
    return {r.check for r in report.by_status("fail")}


def test_the_reference_cell_passes_every_check() -> None:
    report = check_cell(TanhCell)
    assert report.ok, report.results
    statuses = {r.check: r.status for r in report.results}
    assert list(statuses) == [testing.check_name(c) for c in testing.STEP_CHECKS]
    assert statuses["registration"] == "skip"  # a class, and no registry to look in
    assert statuses["gpu_parity"] == ("pass" if backend.gpu_available() else "skip")


# ------------------------------------------------------------ broken cells
class _WrongTanh(Function):
    """tanh with a wrong derivative: 1 - z instead of 1 - z^2."""

    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        z = np.tanh(a)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (z,) = ctx.saved
        return grad * (1 - z)


class WrongGradientCell(TanhCell):
    """A tanh cell whose backward is wrong.

    h_t = tanh(x_t U + h_{t-1} W + b)

    Parameters: ``U`` [I, H], ``W`` [H, H], ``b`` [H].
    """

    def forward(self, x_t: mg.Tensor, state: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        """As TanhCell, through the wrong tanh."""
        h = _WrongTanh.apply(x_t @ self.U + state @ self.W + self.b)
        return h, h


class FusedIgnoresLengthsCell(TanhCell):
    """A fused forward_sequence that forgets the lengths.

    h_t = tanh(x_t U + h_{t-1} W + b)

    Parameters: ``U`` [I, H], ``W`` [H, H], ``b`` [H].
    """

    def forward_sequence(self, inputs: mg.Tensor, state: mg.Tensor, lengths: Any) -> Any:
        """Every step of every example, padding included."""
        return mg.cells.unroll(self, inputs, state, None)


class FusedSkipsLastStepCell(TanhCell):
    """A fused forward_sequence that returns the state before the last step.

    h_t = tanh(x_t U + h_{t-1} W + b)

    Parameters: ``U`` [I, H], ``W`` [H, H], ``b`` [H].
    """

    def forward_sequence(self, inputs: mg.Tensor, state: mg.Tensor, lengths: Any) -> Any:
        """Off by one in the final state."""
        outputs, final = mg.cells.unroll(self, inputs, state, lengths)
        _, before_last = mg.cells.unroll(self, inputs[:, :-1], state, None)
        return outputs, before_last if lengths is None else final


class GlobalRandomCell(TanhCell):
    """Ignores its rng and draws from an unseeded generator.

    h_t = tanh(x_t U + h_{t-1} W + b)

    Parameters: ``U`` [I, H], ``W`` [H, H], ``b`` [H].
    """

    def __init__(self, input_size: int, hidden_size: int, **options: Any) -> None:
        options["rng"] = np.random.default_rng()
        super().__init__(input_size, hidden_size, **options)


class HiddenWeightCell(TanhCell):
    """Keeps W as a plain Tensor attribute, so state_dict misses it.

    h_t = tanh(x_t U + h_{t-1} W + b)

    Parameters: ``U`` [I, H], ``W`` [H, H], ``b`` [H].
    """

    def __init__(self, input_size: int, hidden_size: int, **options: Any) -> None:
        super().__init__(input_size, hidden_size, **options)
        hidden = mg.Tensor(self.W.data)
        del self.W
        object.__setattr__(self, "W", hidden)


class Float64ZeroStateCell(TanhCell):
    """Its zero state is float64 whatever the cell's dtype.

    h_t = tanh(x_t U + h_{t-1} W + b)

    Parameters: ``U`` [I, H], ``W`` [H, H], ``b`` [H].
    """

    def zero_state(self, batch_size: int) -> mg.Tensor:
        """Always float64 (the bug)."""
        return mg.zeros((batch_size, self.hidden_size), dtype=np.float64)


class NoChecksCell(TanhCell):
    """Skips the input validation that Cell.__call__ does.

    h_t = tanh(x_t U + h_{t-1} W + b)

    Parameters: ``U`` [I, H], ``W`` [H, H], ``b`` [H].
    """

    def __call__(self, x_t: mg.Tensor, state: Any = None) -> Any:
        if state is None:
            state = self.zero_state(x_t.shape[0])
        return self.forward(x_t, state[0] if isinstance(state, tuple) else state)


class NoOptionsCell(Cell):
    """A cell without dtype, device and rng options.

    h_t = tanh(x_t U + h_{t-1} W + b)

    Parameters: ``U`` [I, H], ``W`` [H, H], ``b`` [H].
    """

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__(input_size, hidden_size)
        gen = backend.default_rng()
        self.U = Parameter(gen.standard_normal((input_size, hidden_size)).astype(np.float32))
        self.W = Parameter(gen.standard_normal((hidden_size, hidden_size)).astype(np.float32))
        self.b = Parameter(np.zeros(hidden_size, np.float32))

    def forward(self, x_t: mg.Tensor, state: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        """h_t = tanh(x_t U + h_{t-1} W + b)."""
        h = mg.tanh(x_t @ self.U + state @ self.W + self.b)
        return h, h


class UndocumentedCell(TanhCell):
    pass


@pytest.mark.parametrize(
    ("cls", "expected"),
    [
        (WrongGradientCell, {"gradients"}),
        (FusedIgnoresLengthsCell, {"lengths"}),
        (FusedSkipsLastStepCell, {"static_vs_dynamic", "lengths"}),
        (GlobalRandomCell, {"determinism"}),
        (HiddenWeightCell, {"save_load"}),
        # float32 weights meet a float64 state: every float32 run is a DTypeError
        (Float64ZeroStateCell, {"zero_state", "shapes", "determinism", "save_load"}),
        (NoChecksCell, {"errors"}),
        (UndocumentedCell, {"docstring"}),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_each_check_catches_its_bug_and_only_it(cls: type, expected: set[str]) -> None:
    report = check_cell(cls)
    assert failed(report) == expected, report.results
    for result in report.by_status("fail"):
        assert result.message  # a failure always says why


def test_a_gradient_failure_names_the_input_and_the_driver() -> None:
    report = check_cell(WrongGradientCell, checks=["gradients"])
    (result,) = report.results
    assert result.status == "fail"
    assert "through static run" in result.message
    assert "analytic" in result.message and "numeric" in result.message
    assert "0=inputs x" in result.message and "parameter W" in result.message


def test_missing_options_fail_the_constructor_check_with_the_reason() -> None:
    report = check_cell(NoOptionsCell)
    assert {"constructor", "gradients", "static_vs_dynamic", "lengths"} <= failed(report)
    constructor = next(r for r in report.results if r.check == "constructor")
    assert "dtype, device, rng" in constructor.message
    gradients = next(r for r in report.results if r.check == "gradients")
    assert "no dtype option" in gradients.message


# --------------------------------------------------------------- the report
def test_the_kit_never_stops_at_the_first_failure() -> None:
    report = check_cell(NoOptionsCell)
    assert len(report.results) == len(testing.STEP_CHECKS)
    assert not report.ok
    assert report.summary() == (
        f"{len(report.by_status('pass'))} passed, {len(report.by_status('fail'))} failed, "
        f"{len(report.by_status('skip'))} skipped"
    )


def test_raise_if_failed_lists_every_failed_check() -> None:
    report = check_cell(NoOptionsCell)
    with pytest.raises(CellError) as info:
        report.raise_if_failed()
    message = str(info.value)
    assert message.startswith(f"NoOptionsCell (NoOptionsCell) fails {len(failed(report))} ")
    for name in failed(report):
        assert f"\n- {name}: " in message
    check_cell(TanhCell).raise_if_failed()  # passing (with skips): no exception


def test_the_report_is_json_ready() -> None:
    data = json.loads(json.dumps(check_cell("rnn", activation="relu").to_dict()))
    assert data["cell"] == "rnn[activation='relu']"
    assert data["options"] == {"activation": "relu"}
    assert data["kind"] == "step" and data["ok"] is True
    assert {r["check"] for r in data["results"]} == {
        testing.check_name(c) for c in testing.STEP_CHECKS
    }


def test_checks_can_be_selected_and_unknown_ones_are_refused() -> None:
    report = check_cell("rnn", checks=["lengths", "docstring"])
    assert [r.check for r in report.results] == ["lengths", "docstring"]
    with pytest.raises(CellError, match="no check named 'zero_state' for a sequence cell"):
        check_cell("bidirectional", checks=["zero_state"])


def test_bad_names_options_and_classes_are_clear_errors() -> None:
    with pytest.raises(CellError, match="Did you mean 'gru'"):
        check_cell("gruu")
    with pytest.raises(CellError, match="no option 'reset_afterr'.*reset_after=False"):
        check_cell("gru", reset_afterr=True)
    with pytest.raises(CellError, match="no option 'size'"):
        check_cell(TanhCell, size=3)
    with pytest.raises(CellError, match="neither a registered cell name nor a subclass"):
        check_cell(int)


def test_gpu_parity_is_a_skip_without_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(numerics, "gpu_available", lambda: False)
    (result,) = check_cell("gru", checks=["gpu_parity"]).results
    assert result.status == "skip" and "no usable CUDA GPU" in result.message


# ------------------------------------------------------------ registration
def test_registration_by_name_reports_the_plugin() -> None:
    (result,) = check_cell("lstm", checks=["registration"]).results
    assert result.status == "pass"
    assert "'lstm'" in result.message and "minigrad.plugins.lstm" in result.message


def test_registration_of_a_class_looks_in_the_given_registry() -> None:
    @mg.hookimpl
    def minigrad_register_cells(register: Any) -> None:
        register("tanh_cell", TanhCell)

    plugin = type(
        "TanhPlugin", (), {"minigrad_register_cells": staticmethod(minigrad_register_cells)}
    )
    with_it = CellRegistry.load(builtins=(), entry_points=False, extra_plugins=(plugin,))
    without = CellRegistry.load(builtins=(), entry_points=False)
    (found,) = check_cell(TanhCell, registry=with_it, checks=["registration"]).results
    assert (found.status, found.message) == ("pass", "registered as tanh_cell")
    (missing,) = check_cell(TanhCell, registry=without, checks=["registration"]).results
    assert missing.status == "fail" and "not registered" in missing.message
    assert check_cell("tanh_cell", registry=with_it).ok


# --------------------------------------------------------------- docstrings
def doc_class(doc: str | None, base: type = TanhCell) -> type:
    """A subclass of ``base`` whose own docstring is ``doc``."""
    return type("DocCell", (base,), {"__doc__": doc})


def test_a_complete_docstring_has_no_problems() -> None:
    assert docstring_problems(TanhCell) == []
    assert docstring_problems(mg.cells.get("lstm").cls) == []
    assert docstring_problems(mg.cells.get("bidirectional").cls) == []


def test_an_inherited_docstring_does_not_count() -> None:
    (problem,) = docstring_problems(doc_class(None))
    assert "no docstring of its own" in problem


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        (
            "Tanh cell.\n\nh_t = tanh(U + h_{t-1} W + b)\n\nU [I, H], W [H, H], b [H]",
            "no equation line mentions the input x_t",
        ),
        (
            "Tanh cell.\n\nnew = tanh(x_t U + W + b)\n\nU [I, H], W [H, H], b [H]",
            "the state part 'h'",
        ),
        (
            "Tanh cell: h_t is tanh(x_t U + h_{t-1} W + b).\n\nU [I, H], W [H, H], b [H]",
            "no equation line",
        ),
        (
            "Tanh cell.\n\nh_t == tanh(x_t U + h_{t-1} W + b)\n\nU [I, H], W [H, H], b [H]",
            "no equation line",
        ),
        (
            "Tanh cell.\n\nh_t = tanh(x_t U + h_{t-1} W + b)\n\nU [I, H], W [H, H],\nand b.",
            "parameter 'b' is not named next to its shape",
        ),
        (
            "Tanh cell.\n\nh_t = tanh(x_t U + h_{t-1} W + b)\n\nU [I, H], W [H, H].",
            "parameter 'b'",
        ),
    ],
    ids=["no-x_t", "no-state-part", "no-equation", "only-comparison", "no-shape", "unnamed"],
)
def test_the_docstring_rule_names_what_is_missing(doc: str, problem: str) -> None:
    problems = docstring_problems(doc_class(doc))
    assert len(problems) == 1 and problem in problems[0], problems


def test_the_sequence_docstring_rule() -> None:
    birnn = mg.cells.get("bidirectional").cls
    good = "Both ways.\n\ny_t = merge(fw(x_t), bw(x_t)) for inputs [B, T, I]"
    assert docstring_problems(doc_class(good, birnn)) == []
    no_shape = docstring_problems(doc_class("Both ways.\n\ny_t = merge(fw, bw)", birnn))
    assert no_shape == ["the batch-first input shape '[B, T, ...]' is not shown"]
    no_bw = docstring_problems(doc_class("Both ways.\n\ny_t = fw(x_t) on [B, T, I]", birnn))
    assert no_bw == ["sub-module or parameter 'bw' is not named"]


# -------------------------------------------------------- sequence modules
class LeakySequence(SequenceModule):
    """Runs a tanh cell but forgets to zero the padded outputs.

    y_t = tanh(x_t U + h_{t-1} W + b) over inputs [B, T, I]; uses ``cell``.
    """

    def __init__(self, input_size: int, hidden_size: int, **options: Any) -> None:
        super().__init__(input_size, hidden_size)
        self.cell = TanhCell(input_size, hidden_size, **options)

    def zero_state(self, batch_size: int) -> mg.Tensor:
        """The inner cell's zero state."""
        return self.cell.zero_state(batch_size)

    def forward(self, inputs: mg.Tensor, initial_state: Any = None, lengths: Any = None) -> Any:
        """Every step of every example, but the final state honours lengths."""
        _, final = mg.cells.dynamic_rnn(self.cell, inputs, initial_state, lengths)
        outputs, _ = mg.cells.dynamic_rnn(self.cell, inputs, initial_state)
        return outputs, final


def test_a_sequence_module_is_checked_at_the_sequence_level() -> None:
    report = check_cell(LeakySequence)
    assert report.kind == "sequence"
    assert [r.check for r in report.results] == [
        testing.check_name(c) for c in testing.SEQUENCE_CHECKS
    ]
    assert failed(report) == {"lengths"}
    lengths = next(r for r in report.results if r.check == "lengths")
    assert "example 1 (length 2): outputs at steps 2..4 are not zero" in lengths.message


# ------------------------------------------------------------ pytest helper
def test_parametrize_makes_one_case_per_cell_and_check() -> None:
    mark = parametrize_with_cell_checks(["rnn", ("gru", {"reset_after": True}), TanhCell])
    argnames, params = mark.args
    assert argnames == ("cell", "check")
    ids = [p.id for p in params]
    n_step = len(testing.STEP_CHECKS)
    assert len(ids) == 3 * n_step
    assert ids[0] == "rnn-constructor"
    assert "gru[reset_after=True]-lengths" in ids
    assert f"TanhCell-{testing.check_name(testing.STEP_CHECKS[-1])}" == ids[-1]
    subject, check = params[n_step].values
    assert subject.name == "gru" and subject.options == {"reset_after": True}
    assert repr(check) == "constructor"


def test_a_parametrized_check_fails_or_skips_the_pytest_case() -> None:
    mark = parametrize_with_cell_checks([WrongGradientCell])
    cases = {p.id.split("-", 1)[1]: p.values for p in mark.args[1]}
    subject, check = cases["gradients"]
    with pytest.raises(pytest.fail.Exception, match="check gradients failed"):
        check(subject)
    subject, check = cases["registration"]
    with pytest.raises(pytest.skip.Exception, match="given a class"):
        check(subject)
    subject, check = cases["shapes"]
    check(subject)  # passes quietly


def test_make_subject_builds_seeded_instances() -> None:
    subject = make_subject("rnn", {"activation": "sigmoid"})
    a, b = subject.build(seed=3), subject.build(seed=3)
    assert a.activation == "sigmoid"
    assert all(np.array_equal(a.state_dict()[k], v) for k, v in b.state_dict().items())
    wide = subject.build(dtype=np.float64, sizes=(2, 5))
    assert (wide.input_size, wide.hidden_size, wide.U.dtype) == (2, 5, np.float64)
