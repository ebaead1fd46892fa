"""Graded tests of cells.lstm: values against NumPy, gradients against finite differences."""

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

pytestmark = pytest.mark.exercise("cells.lstm")


def sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


def numpy_lstm(x, h, c, U, W, b):
    H = h.shape[1]
    a = x @ U + h @ W + b
    i, f, g, o = (
        sigmoid(a[:, :H]),
        sigmoid(a[:, H : 2 * H]),
        np.tanh(a[:, 2 * H : 3 * H]),
        sigmoid(a[:, 3 * H :]),
    )
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def case(seed: int):
    rng = np.random.default_rng(seed)
    B, I, H = (int(v) for v in rng.integers(1, 5, 3))
    shapes = ((B, I), (B, H), (B, H), (I, 4 * H), (H, 4 * H), (4 * H,))
    return [rng.standard_normal(s) for s in shapes], f"B={B}, I={I}, H={H}"


def outputs(arrays):
    out = student("lstm_cell")(*(mg.tensor(a) for a in arrays))
    check(isinstance(out, tuple) and len(out) == 2, "lstm_cell should return the pair (h_t, c_t)")
    return out


@pytest.mark.parametrize("seed", seeds())
def test_forward(seed: int) -> None:
    """h_t and c_t with the gate blocks in the order i, f, g, o"""
    arrays, sizes = case(seed)
    h, c = outputs(arrays)
    want_h, want_c = numpy_lstm(*arrays)
    assert_close(c, want_c, f"c_t ({sizes})")
    assert_close(h, want_h, f"h_t ({sizes})")


def both(*arrays):
    """h_t and c_t side by side, [B, 2H]."""
    return np.concatenate(numpy_lstm(*arrays), axis=1)


@pytest.mark.parametrize("seed", seeds(2))
def test_gradients(seed: int) -> None:
    """gradients reach every input and parameter and agree with finite differences"""
    arrays, sizes = case(seed)
    rng = np.random.default_rng(seed + 7)
    h, c = numpy_lstm(*arrays)
    upstream = [rng.standard_normal(h.shape), rng.standard_normal(c.shape)]
    tensors = [mg.tensor(a, requires_grad=True) for a in arrays]
    _, grads = student("lstm_cell").with_grads(*tensors, upstream=upstream)
    expected = numerical_gradients(both, arrays, np.concatenate(upstream, axis=1))
    for name, got, want in zip(("x", "h", "c", "U", "W", "b"), grads, expected):
        assert_close(got, want, f"the gradient of {name} ({sizes})", rtol=1e-5, atol=1e-7)
