"""Graded tests of cells.gru: values against NumPy, gradients against finite differences."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.grader.checks import assert_close, numerical_gradients, seeds, student

pytestmark = pytest.mark.exercise("cells.gru")


def sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


def numpy_gru(x, h, U, W, b):
    H = h.shape[1]
    block = {name: slice(k * H, (k + 1) * H) for k, name in enumerate("rzn")}
    r = sigmoid(x @ U[:, block["r"]] + h @ W[:, block["r"]] + b[block["r"]])
    z = sigmoid(x @ U[:, block["z"]] + h @ W[:, block["z"]] + b[block["z"]])
    n = np.tanh(x @ U[:, block["n"]] + (r * h) @ W[:, block["n"]] + b[block["n"]])
    return z * h + (1 - z) * n


def case(seed: int):
    rng = np.random.default_rng(seed)
    B, I, H = (int(v) for v in rng.integers(1, 5, 3))
    shapes = ((B, I), (B, H), (I, 3 * H), (H, 3 * H), (3 * H,))
    return [rng.standard_normal(s) for s in shapes], f"B={B}, I={I}, H={H}"


@pytest.mark.parametrize("seed", seeds())
def test_forward(seed: int) -> None:
    """blocks r, z, n; the reset gate before W_n; h_t = z * h_(t-1) + (1 - z) * n"""
    arrays, sizes = case(seed)
    out = student("gru_cell")(*(mg.tensor(a) for a in arrays))
    assert_close(out, numpy_gru(*arrays), f"h_t ({sizes})")


@pytest.mark.parametrize("seed", seeds(2))
def test_gradients(seed: int) -> None:
    """gradients reach every input and parameter and agree with finite differences"""
    arrays, sizes = case(seed)
    upstream = np.random.default_rng(seed + 7).standard_normal(numpy_gru(*arrays).shape)
    tensors = [mg.tensor(a, requires_grad=True) for a in arrays]
    _, grads = student("gru_cell").with_grads(*tensors, upstream=[upstream])
    expected = numerical_gradients(numpy_gru, arrays, upstream)
    for name, got, want in zip(("x", "h", "U", "W", "b"), grads, expected):
        assert_close(got, want, f"the gradient of {name} ({sizes})", rtol=1e-5, atol=1e-7)
