"""Graded tests of lesson1.rnn_cell: values against NumPy, gradients against the chain rule."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.grader.checks import assert_close, assert_tensor, seeds, student

pytestmark = pytest.mark.exercise("lesson1.rnn_cell")


def case(seed: int):
    rng = np.random.default_rng(seed)
    B, I, H = (int(v) for v in rng.integers(1, 6, 3))
    arrays = [rng.standard_normal(s) for s in ((B, I), (B, H), (I + H, H), (H,))]
    return arrays, (B, I, H)


@pytest.mark.parametrize("seed", seeds())
def test_forward(seed: int) -> None:
    """rnn_cell computes tanh(concat([x, s]) @ W + b)"""
    (x, s, W, b), (B, I, H) = case(seed)
    out = student("rnn_cell")(*(mg.tensor(a) for a in (x, s, W, b)))
    assert_tensor(out, "rnn_cell")
    expected = np.tanh(np.concatenate([x, s], axis=1) @ W + b)
    assert_close(out, expected, f"rnn_cell with B={B}, I={I}, H={H}")


@pytest.mark.parametrize("seed", seeds())
def test_gradients_flow(seed: int) -> None:
    """gradients reach x, s, W and b (built from minigrad operations)"""
    (x, s, W, b), (B, I, H) = case(seed)
    tensors = [mg.tensor(a, requires_grad=True) for a in (x, s, W, b)]
    upstream = np.random.default_rng(seed + 100).standard_normal((B, H))
    out, grads = student("rnn_cell").with_grads(*tensors, upstream=[upstream])
    assert_tensor(out, "rnn_cell")
    y = np.tanh(np.concatenate([x, s], axis=1) @ W + b)
    da = upstream * (1 - y**2)
    expected = {
        "x": da @ W[:I].T,
        "s": da @ W[I:].T,
        "W": np.concatenate([x, s], axis=1).T @ da,
        "b": da.sum(axis=0),
    }
    for (name, want), grad in zip(expected.items(), grads):
        assert_close(grad, want, f"the gradient of {name} through rnn_cell (B={B}, I={I}, H={H})")
