"""Graded tests of autograd.softmax_cross_entropy: the loss and its hand-written gradient."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.grader.checks import (
    assert_close,
    assert_function_class,
    assert_tensor,
    check,
    seeds,
    student,
)

pytestmark = pytest.mark.exercise("autograd.softmax_cross_entropy")


def numpy_loss_and_grad(z: np.ndarray, t: np.ndarray):
    n = len(t)
    m = z.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
    loss = np.mean(lse - z[np.arange(n), t])
    p = np.exp(z - lse[:, None])
    onehot = np.zeros_like(z)
    onehot[np.arange(n), t] = 1
    return loss, (p - onehot) / n


def run(z: np.ndarray, t: np.ndarray):
    assert_function_class("SoftmaxCrossEntropy")
    logits = mg.tensor(z, requires_grad=True)
    quiet = {"over": "ignore", "invalid": "ignore", "divide": "ignore"}
    loss, (grad,) = student("softmax_cross_entropy").with_grads(logits, t, errstate=quiet)
    assert_tensor(loss, "softmax_cross_entropy")
    check(loss.size == 1, f"the loss should be one number, got shape {loss.shape}")
    return loss, grad


@pytest.mark.parametrize("seed", seeds())
def test_loss_and_gradient(seed: int) -> None:
    """the mean loss over the rows, and (softmax - one_hot) / N as its gradient"""
    rng = np.random.default_rng(seed)
    N, C = int(rng.integers(1, 7)), int(rng.integers(2, 6))
    z = rng.standard_normal((N, C)) * 2
    t = rng.integers(0, C, N)
    loss, grad = run(z, t)
    expected_loss, expected_grad = numpy_loss_and_grad(z, t)
    assert_close(loss.numpy().reshape(()), expected_loss, f"the loss for N={N}, C={C}")
    check(grad is not None, "backward gave no gradient for the logits")
    assert_close(grad, expected_grad, f"the gradient of the logits for N={N}, C={C}")


def test_large_logits() -> None:
    """logits of size 1000 give finite, exact results (subtract the row maximum)"""
    z = np.array([[1000.0, 0.0, -1000.0], [500.0, 501.0, 499.0]])
    t = np.array([1, 1])
    loss, grad = run(z, t)
    expected_loss, expected_grad = numpy_loss_and_grad(z, t)
    assert_close(loss.numpy().reshape(()), expected_loss, "the loss for logits near 1000")
    assert_close(grad, expected_grad, "the gradient for logits near 1000")


def test_keeps_float32() -> None:
    """float32 logits give a float32 loss and gradient"""
    z = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    loss, grad = run(z, np.array([0, 3, 1]))
    check(loss.dtype == np.float32, f"the loss of float32 logits has dtype {loss.dtype}")
    check(
        grad is not None and grad.dtype == np.float32,
        f"the gradient of float32 logits has dtype {getattr(grad, 'dtype', None)}",
    )
