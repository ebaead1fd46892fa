"""Graded tests of autograd.tanh_sigmoid: forward values, hand-written backward, stability."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.grader.checks import (
    StudentError,
    assert_close,
    assert_function_class,
    check,
    numerical_gradients,
    probe,
    seeds,
    student,
)

pytestmark = pytest.mark.exercise("autograd.tanh_sigmoid")


def numpy_sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))


CASES = {"Tanh": (np.tanh, lambda y: 1 - y**2), "Sigmoid": (numpy_sigmoid, lambda y: y * (1 - y))}


def apply(name: str, x: mg.Tensor, upstream: np.ndarray, **options):
    """``name.apply(x)`` in the student's process, and the gradient of x from ``upstream``."""
    assert_function_class(name)
    y, (grad,) = student(name).apply.with_grads(x, upstream=[upstream], **options)
    return y, grad


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("seed", seeds(2))
def test_forward_and_backward(name: str, seed: int) -> None:
    """Tanh and Sigmoid: forward values and the gradient from backward"""
    rng = np.random.default_rng(seed)
    shape = tuple(int(v) for v in rng.integers(1, 5, 2))
    a = rng.standard_normal(shape) * 3
    upstream = rng.standard_normal(shape)
    value, derivative = CASES[name]
    y, grad = apply(name, mg.tensor(a, requires_grad=True), upstream)
    assert_close(y, value(a), f"{name}.apply(x) for x of shape {shape}")
    check(grad is not None, f"{name}.backward gave no gradient")
    assert_close(
        grad, upstream * derivative(value(a)), f"the gradient of {name} for x of shape {shape}"
    )


@probe
def in_a_chain(name: str, a: np.ndarray) -> np.ndarray:
    """In the student's process: the gradient of sum(f(2x) * x) through the student's Function."""
    x = mg.tensor(a, requires_grad=True)
    (student(name).apply(x * 2.0) * x).sum().backward()
    return x.grad


@pytest.mark.parametrize("name", CASES)
def test_in_a_chain(name: str) -> None:
    """Tanh and Sigmoid inside a longer chain agree with finite differences"""
    assert_function_class(name)
    a = np.random.default_rng(3).standard_normal((2, 3))
    value = CASES[name][0]
    (expected,) = numerical_gradients(lambda x: value(2 * x) * x, [a], np.ones_like(a))
    got = in_a_chain(name, a)
    check(got is not None, f"{name}: no gradient reached x through {name}.apply(x * 2) * x")
    assert_close(
        got, expected, f"{name}: the gradient of sum({name}(2x) * x)", rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize("name", CASES)
def test_keeps_float32(name: str) -> None:
    """float32 in, float32 out (forward and backward)"""
    a = np.linspace(-2, 2, 6, dtype=np.float32)
    y, grad = apply(name, mg.tensor(a, requires_grad=True), np.ones(6, dtype=np.float32))
    check(y.dtype == np.float32, f"{name} of a float32 tensor gave dtype {y.dtype}, not float32")
    check(
        grad is not None and grad.dtype == np.float32,
        f"the gradient of {name} for float32 input should be float32, got "
        f"{getattr(grad, 'dtype', None)}",
    )


def test_sigmoid_is_stable() -> None:
    """Sigmoid does not overflow for large inputs like -1000 and 1000"""
    a = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    raise_all = {"over": "raise", "invalid": "raise", "divide": "raise"}
    try:
        y, grad = apply("Sigmoid", mg.tensor(a, requires_grad=True), np.ones(5), errstate=raise_all)
    except StudentError as exc:
        if exc.type != "FloatingPointError":
            raise
        raise AssertionError(
            f"Sigmoid overflowed for inputs like +-1000 ({exc.message}): exp(1000) does not fit "
            "in a float. Only ever compute exp of a number <= 0 (see the hints)"
        ) from None
    assert_close(y, numpy_sigmoid(a), "Sigmoid of [-1000, -50, 0, 50, 1000]")
    assert_close(grad, numpy_sigmoid(a) * (1 - numpy_sigmoid(a)), "its gradient")
