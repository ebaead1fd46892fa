"""Graded tests of cells.peephole_lstm: values against NumPy, gradients by finite differences."""

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

pytestmark = pytest.mark.exercise("cells.peephole_lstm")


def sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


def numpy_peephole(x, h, c, U, W, b, p_i, p_f, p_o):
    H = h.shape[1]
    a = x @ U + h @ W + b
    i = sigmoid(a[:, :H] + p_i * c)
    f = sigmoid(a[:, H : 2 * H] + p_f * c)
    c_new = f * c + i * np.tanh(a[:, 2 * H : 3 * H])
    o = sigmoid(a[:, 3 * H :] + p_o * c_new)
    return o * np.tanh(c_new), c_new


def case(seed: int):
    rng = np.random.default_rng(seed)
    B, I, H = (int(v) for v in rng.integers(1, 5, 3))
    shapes = ((B, I), (B, H), (B, H), (I, 4 * H), (H, 4 * H), (4 * H,), (H,), (H,), (H,))
    arrays = [rng.standard_normal(s) for s in shapes]
    arrays[2] *= 2  # a larger old cell state makes the peepholes matter
    return arrays, f"B={B}, I={I}, H={H}"


@pytest.mark.parametrize("seed", seeds())
def test_forward(seed: int) -> None:
    """i and f peek at c_(t-1), o peeks at the new c_t"""
    arrays, sizes = case(seed)
    out = student("peephole_lstm_cell")(*(mg.tensor(a) for a in arrays))
    check(isinstance(out, tuple) and len(out) == 2, "peephole_lstm_cell should return (h_t, c_t)")
    want_h, want_c = numpy_peephole(*arrays)
    assert_close(out[1], want_c, f"c_t ({sizes})")
    assert_close(out[0], want_h, f"h_t ({sizes}); does o look at the NEW c_t?")


def both(*arrays):
    """h_t and c_t side by side, [B, 2H]."""
    return np.concatenate(numpy_peephole(*arrays), axis=1)


@pytest.mark.parametrize("seed", seeds(2))
def test_gradients(seed: int) -> None:
    """gradients reach every input and parameter and agree with finite differences"""
    arrays, sizes = case(seed)
    rng = np.random.default_rng(seed + 7)
    h, c = numpy_peephole(*arrays)
    upstream = [rng.standard_normal(h.shape), rng.standard_normal(c.shape)]
    tensors = [mg.tensor(a, requires_grad=True) for a in arrays]
    _, grads = student("peephole_lstm_cell").with_grads(*tensors, upstream=upstream)
    expected = numerical_gradients(both, arrays, np.concatenate(upstream, axis=1))
    for name, got, want in zip(
        ("x", "h", "c", "U", "W", "b", "p_i", "p_f", "p_o"), grads, expected
    ):
        assert_close(got, want, f"the gradient of {name} ({sizes})", rtol=1e-5, atol=1e-7)
