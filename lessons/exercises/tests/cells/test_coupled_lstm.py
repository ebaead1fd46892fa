"""Graded tests of cells.coupled_lstm: values against NumPy, gradients by finite differences."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.grader.checks import (
    assert_close,
    check,
    numerical_gradients,
    seeds,
    student,
)

pytestmark = pytest.mark.exercise("cells.coupled_lstm")


def sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


def numpy_coupled(x, h, c, U, W, b):
    H = h.shape[1]
    a = x @ U + h @ W + b
    f, g, o = sigmoid(a[:, :H]), np.tanh(a[:, H : 2 * H]), sigmoid(a[:, 2 * H :])
    c_new = f * c + (1 - f) * g
    return o * np.tanh(c_new), c_new


def case(seed: int):
    rng = np.random.default_rng(seed)
    B, I, H = (int(v) for v in rng.integers(1, 5, 3))
    shapes = ((B, I), (B, H), (B, H), (I, 3 * H), (H, 3 * H), (3 * H,))
    return [rng.standard_normal(s) for s in shapes], f"B={B}, I={I}, H={H}"


@pytest.mark.parametrize("seed", seeds())
def test_forward(seed: int) -> None:
    """blocks f, g, o; c_t = f * c_(t-1) + (1 - f) * g"""
    arrays, sizes = case(seed)
    out = student("coupled_lstm_cell")(*(mg.tensor(a) for a in arrays))
    check(isinstance(out, tuple) and len(out) == 2, "coupled_lstm_cell should return (h_t, c_t)")
    want_h, want_c = numpy_coupled(*arrays)
    assert_close(out[1], want_c, f"c_t ({sizes})")
    assert_close(out[0], want_h, f"h_t ({sizes})")


def both(*arrays):
    """h_t and c_t side by side, [B, 2H]."""
    return np.concatenate(numpy_coupled(*arrays), axis=1)


@pytest.mark.parametrize("seed", seeds(2))
def test_gradients(seed: int) -> None:
    """gradients reach every input and parameter and agree with finite differences"""
    arrays, sizes = case(seed)
    rng = np.random.default_rng(seed + 7)
    h, c = numpy_coupled(*arrays)
    upstream = [rng.standard_normal(h.shape), rng.standard_normal(c.shape)]
    tensors = [mg.tensor(a, requires_grad=True) for a in arrays]
    _, grads = student("coupled_lstm_cell").with_grads(*tensors, upstream=upstream)
    expected = numerical_gradients(both, arrays, np.concatenate(upstream, axis=1))
    for name, got, want in zip(("x", "h", "c", "U", "W", "b"), grads, expected):
        assert_close(got, want, f"the gradient of {name} ({sizes})", rtol=1e-5, atol=1e-7)
