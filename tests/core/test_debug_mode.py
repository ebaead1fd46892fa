"""Debug mode: the first NaN or Inf raises NumericalError naming the op, its input shapes and
the line of the caller's code, in forward and in backward."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's log(0) warning

THIS_FILE = Path(__file__).name


def _current_line() -> int:
    """The number of the caller's line, to predict where the op under test is called."""
    return sys._getframe(1).f_lineno


def test_log_of_zero_names_op_shapes_and_caller_line() -> None:
    mg.set_debug(True)
    x = mg.tensor([[1.0, 0.0, 2.0]])
    line = _current_line()
    with pytest.raises(mg.NumericalError) as info:
        mg.log(x)
    message = str(info.value)
    assert "'log'" in message and "(1, 3)" in message
    assert "1 Inf" in message and "output" in message
    assert f"{THIS_FILE}:{line + 2}" in message  # the mg.log line
    assert "test_log_of_zero_names_op_shapes_and_caller_line" in message


def test_zero_divided_by_zero_names_div_and_both_shapes() -> None:
    mg.set_debug(True)
    a = mg.tensor([0.0, 1.0])
    b = mg.tensor([[0.0, 1.0]])
    with pytest.raises(mg.NumericalError) as info:
        a / b  # noqa: B018 - evaluated for its error
    message = str(info.value)
    assert "'div'" in message and "(2,), (1, 2)" in message and "1 NaN" in message
    assert THIS_FILE in message


def test_nan_appearing_only_in_backward_is_caught() -> None:
    mg.set_debug(True)
    x = mg.tensor([0.0, 4.0], dtype=np.float64, requires_grad=True)
    # Forward is finite everywhere: sqrt(0) * 0 = 0. Backward computes 0 / (2 * sqrt(0)).
    loss = (mg.sqrt(x) * mg.tensor([0.0, 1.0], dtype=np.float64)).sum()
    assert np.isfinite(loss.item())
    line = _current_line()
    with pytest.raises(mg.NumericalError) as info:
        loss.backward()
    message = str(info.value)
    assert "'sqrt'" in message and "backward" in message and "(2,)" in message
    assert f"{THIS_FILE}:{line + 2}" in message  # the backward() line


def test_debug_off_lets_non_finite_values_through() -> None:
    mg.set_debug(False)
    assert not mg.is_debug()
    assert mg.log(mg.tensor([0.0])).tolist() == [-np.inf]
    x = mg.tensor([0.0], dtype=np.float64, requires_grad=True)
    (mg.sqrt(x) * 0.0).sum().backward()
    assert np.isnan(x.grad).all()


def test_debug_mode_context_restores_the_previous_setting() -> None:
    mg.set_debug(False)
    with mg.debug_mode():
        assert mg.is_debug()
        with pytest.raises(mg.NumericalError):
            mg.log(mg.tensor([0.0]))
    assert not mg.is_debug()
    assert mg.log(mg.tensor([0.0])).tolist() == [-np.inf]


def test_finite_values_and_integer_outputs_pass_in_debug_mode() -> None:
    mg.set_debug(True)
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x.log() * x).sum().backward()
    np.testing.assert_allclose(x.grad, np.log([1.0, 2.0]) + 1, rtol=1e-6)
    assert (mg.tensor([1, 2]) * 3).tolist() == [3, 6]


def _run_with_env(value: str) -> subprocess.CompletedProcess:
    code = (
        "import minigrad as mg, numpy as np\n"
        "np.seterr(all='ignore')\n"
        "print(mg.is_debug())\n"
        "mg.log(mg.tensor([0.0]))\n"
    )
    env = {**os.environ, "MINIGRAD_DEBUG": value}
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_minigrad_debug_environment_variable_turns_it_on_at_import() -> None:
    on = _run_with_env("1")
    assert on.returncode != 0
    assert on.stdout.strip() == "True"
    assert "NumericalError" in on.stderr and "'log'" in on.stderr and "<string>:4" in on.stderr
    off = _run_with_env("0")
    assert off.returncode == 0, off.stderr
    assert off.stdout.strip() == "False"
