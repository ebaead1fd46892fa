"""The compiled CPU steps (optional, numba) compute what the NumPy steps compute.

The NumPy steps are the reference (tests/cells/test_fused_cells.py proves them
equal to the composed cells in float64). Here the same fused ops run in float32
once with the compiled steps and once without, and every output, final state
and gradient must agree to float32 rounding, for full and ragged lengths.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad.fused import compiled

pytestmark = pytest.mark.skipif(
    not compiled.available(), reason="numba is not installed (the optional extra 'fast')"
)

B, T, I, H = 4, 7, 5, 6
LENGTHS = np.array([7, 2, 5, 1])


@pytest.fixture(autouse=True)
def _restore():
    before = compiled.enabled()
    yield
    compiled.set_enabled(before)


def run(cell: str, use_compiled: bool, lengths, dtype=np.float32, seed: int = 1):
    """Outputs, final state and every gradient of one fused op, as NumPy arrays."""
    compiled.set_enabled(use_compiled)
    rng = np.random.default_rng(seed)
    G = 4 if cell == "lstm" else 3

    def t(*shape: int, scale: float = 0.6) -> mg.Tensor:
        return mg.tensor((rng.standard_normal(shape) * scale).astype(dtype), requires_grad=True)

    x, h0, c0 = t(B, T, I, scale=1.5), t(B, H), t(B, H)
    U, W, b, b_hn = t(I, G * H), t(H, G * H), t(G * H), t(H)
    if cell == "lstm":
        out, h, c = mg.fused.lstm_sequence(x, h0, c0, U, W, b, lengths=lengths)
        finals, params = [h, c], [x, h0, c0, U, W, b]
    else:
        out, h = mg.fused.gru_sequence(x, h0, U, W, b, b_hn, lengths, reset_after=True)
        finals, params = [h], [x, h0, U, W, b, b_hn]
    weights = np.random.default_rng(seed + 1)
    loss = None
    for y in (out, *finals):
        part = (y * mg.tensor(weights.standard_normal(y.shape).astype(dtype))).sum()
        loss = part if loss is None else loss + part
    loss.backward()
    return [out.numpy(), *(f.numpy() for f in finals), *(p.grad for p in params)]


@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "ragged"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_compiled_steps_equal_the_numpy_steps(cell, lengths):
    fast = run(cell, True, lengths)
    reference = run(cell, False, lengths)
    for got, want in zip(fast, reference):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_compiled_kernels_run_for_float32_only(cell, monkeypatch):
    calls = []
    for name in compiled.STEPS:
        kernel = compiled.kernel(name)

        def counting(*args, _kernel=kernel, _name=name):
            calls.append(_name)
            return _kernel(*args)

        monkeypatch.setitem(compiled.KERNELS, name, counting)
    run(cell, True, LENGTHS)
    kind = "lstm" if cell == "lstm" else "gru_after"
    assert calls == [f"{kind}_forward"] * T + [f"{kind}_backward"] * T
    calls.clear()
    run(cell, True, LENGTHS, dtype=np.float64)  # gradient checks keep the NumPy steps
    assert calls == []
    run(cell, False, LENGTHS)
    assert calls == []


def test_tanh_and_sigmoid_approximations_are_float32_accurate():
    compiled.kernel("lstm_forward")  # compiles the helpers too
    x = np.concatenate([np.linspace(-12, 12, 200_001), [0.0, -0.0, 1e-30, 88.0, -88.0]])
    x = x.astype(np.float32)
    tanh = np.array([compiled._tanh(v) for v in x[::50]], dtype=np.float64)
    exact = np.tanh(x[::50].astype(np.float64))
    assert np.abs(tanh - exact).max() < 4e-7
    sigmoid = np.array([compiled._sigmoid(v) for v in x[::50]], dtype=np.float64)
    assert np.abs(sigmoid - 1 / (1 + np.exp(-x[::50].astype(np.float64)))).max() < 4e-7
    assert np.isnan(compiled._tanh(np.float32("nan")))  # a diverging run shows NaN, as NumPy does
    assert abs(compiled._tanh(np.float32("inf")) - 1) < 1e-7  # saturates, within an ulp
    assert abs(compiled._tanh(np.float32("-inf")) + 1) < 1e-7


def test_the_environment_variable_turns_the_compiled_steps_off():
    code = (
        "import sys; from minigrad.fused import compiled; "
        "print(compiled.enabled(), compiled.available(), 'numba' in sys.modules)"
    )
    env = {**os.environ, compiled.ENV_VAR: "0"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    # importing minigrad never imports numba: only a compiled step's first use does
    assert result.stdout.split() == ["False", "True", "False"]
