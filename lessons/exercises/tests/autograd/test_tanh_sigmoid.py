"""Graded tests of autograd.tanh_sigmoid: forward values, hand-written backward, stability."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.grader.checks import assert_close, check, seeds, student

pytestmark = pytest.mark.exercise("autograd.tanh_sigmoid")


def numpy_sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))


CASES = {"Tanh": (np.tanh, lambda y: 1 - y**2), "Sigmoid": (numpy_sigmoid, lambda y: y * (1 - y))}


def function(name: str):
    cls = student(name)
    check(
        isinstance(cls, type) and issubclass(cls, mg.Function),
        f"{name} should be a class that subclasses minigrad.Function",
    )
    return cls


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("seed", seeds(2))
def test_forward_and_backward(name: str, seed: int) -> None:
    """Tanh and Sigmoid: forward values and the gradient from backward"""
    rng = np.random.default_rng(seed)
    shape = tuple(int(v) for v in rng.integers(1, 5, 2))
    a = rng.standard_normal(shape) * 3
    value, derivative = CASES[name]
    x = mg.tensor(a, requires_grad=True)
    y = function(name).apply(x)
    assert_close(y, value(a), f"{name}.apply(x) for x of shape {shape}")
    upstream = rng.standard_normal(shape)
    (y * mg.tensor(upstream)).sum().backward()
    check(x.grad is not None, f"{name}.backward gave no gradient")
    assert_close(x.grad, upstream * derivative(value(a)), f"the gradient of {name} ({shape})")


@pytest.mark.parametrize("name", CASES)
def test_gradcheck(name: str) -> None:
    """Tanh and Sigmoid inside a longer chain agree with finite differences"""
    cls = function(name)
    x = mg.tensor(np.random.default_rng(3).standard_normal((2, 3)), requires_grad=True)
    try:
        mg.gradcheck(lambda t: cls.apply(t * 2.0) * t, x)
    except mg.GradcheckError as exc:
        raise AssertionError(
            f"{name}: the gradient disagrees with finite differences: {exc}"
        ) from None


@pytest.mark.parametrize("name", CASES)
def test_keeps_float32(name: str) -> None:
    """float32 in, float32 out (forward and backward)"""
    x = mg.tensor(np.linspace(-2, 2, 6, dtype=np.float32), requires_grad=True)
    y = function(name).apply(x)
    check(y.dtype == np.float32, f"{name} of a float32 tensor gave dtype {y.dtype}, not float32")
    y.sum().backward()
    check(
        x.grad is not None and x.grad.dtype == np.float32,
        f"the gradient of {name} for float32 input should be float32, got "
        f"{getattr(x.grad, 'dtype', None)}",
    )


def test_sigmoid_is_stable() -> None:
    """Sigmoid does not overflow for large inputs like -1000 and 1000"""
    a = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    x = mg.tensor(a, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            y = function("Sigmoid").apply(x)
            y.sum().backward()
        except FloatingPointError as exc:
            raise AssertionError(
                f"Sigmoid overflowed for inputs like +-1000 ({exc}): exp(1000) does not fit in a "
                "float. Only ever compute exp of a number <= 0 (see the hints)"
            ) from None
    assert_close(y, numpy_sigmoid(a), "Sigmoid of [-1000, -50, 0, 50, 1000]")
    assert_close(x.grad, numpy_sigmoid(a) * (1 - numpy_sigmoid(a)), "its gradient")
