"""``minigrad.gradcheck`` itself: it passes correct gradients and catches wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function


class _SquareWithWrongBackward(Function):
    """z = a^2 with the classic mistake: backward forgets the factor 2."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return grad * a


class _SoftmaxWithShiftedBackward(Function):
    """Softmax whose backward adds an error that vanishes when ``grad`` is constant per row.

    ``sum(softmax(x))`` seeds backward with ones, so a check based on it cannot see the bug.
    """

    @staticmethod
    def forward(ctx, a):
        e = np.exp(a - a.max(axis=-1, keepdims=True))
        p = e / e.sum(axis=-1, keepdims=True)
        ctx.save_for_backward(p)
        return p

    @staticmethod
    def backward(ctx, grad):
        (p,) = ctx.saved
        error = grad - grad.mean(axis=-1, keepdims=True)
        return p * (grad - (grad * p).sum(axis=-1, keepdims=True)) + error


def _x(shape=(2, 3), seed=0, dtype=np.float64):
    data = np.random.default_rng(seed).standard_normal(shape)
    return mg.tensor(data, dtype=dtype, requires_grad=True)


def test_correct_gradient_passes() -> None:
    assert mg.gradcheck(lambda a, b: (a * b).tanh(), _x(seed=1), _x(seed=2)) is True


def test_wrong_gradient_fails_with_a_precise_message() -> None:
    x = _x((2, 3))
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(_SquareWithWrongBackward.apply, x)
    message = str(info.value)
    assert "input 0" in message and "(2, 3)" in message
    assert "analytic" in message and "numeric" in message and "tolerance" in message


def test_names_the_failing_input_among_several() -> None:
    good, bad = _x(seed=3), _x(seed=4)
    with pytest.raises(mg.GradcheckError, match="input 1 "):
        mg.gradcheck(lambda a, b: a * 2.0 + _SquareWithWrongBackward.apply(b), good, bad)


def test_worst_index_and_values_are_reported() -> None:
    x = mg.tensor([[0.1, 0.2], [3.0, 0.3]], dtype=np.float64, requires_grad=True)
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(_SquareWithWrongBackward.apply, x)
    assert "index (1, 0)" in str(info.value)  # the largest |a| has the largest error


def test_random_direction_catches_errors_that_sum_would_hide() -> None:
    x = _x((2, 4))
    _SoftmaxWithShiftedBackward.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad, 0.0, atol=1e-12)  # what a sum-based check would see
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(_SoftmaxWithShiftedBackward.apply, _x((2, 4)))


def test_refuses_float32_inputs_and_says_why() -> None:
    with pytest.raises(mg.DTypeError, match="float64") as info:
        mg.gradcheck(lambda a: a * a, _x(dtype=np.float32))
    assert "input 0" in str(info.value) and "float32" in str(info.value)


def test_needs_an_input_that_requires_grad() -> None:
    constant = mg.tensor([1.0, 2.0], dtype=np.float64)
    with pytest.raises(mg.GradcheckError, match="requires_grad"):
        mg.gradcheck(lambda a: a * a, constant)


def test_fn_must_return_a_tensor() -> None:
    with pytest.raises(mg.GradcheckError, match="Tensor"):
        mg.gradcheck(lambda a: a.numpy(), _x())


def test_inputs_are_restored_and_grads_untouched() -> None:
    x = _x((3, 2))
    before = x.numpy().copy()
    mg.gradcheck(lambda a: (a * a).sum(), x)
    np.testing.assert_array_equal(x.numpy(), before)
    assert x.grad is None  # the check never accumulates into .grad


def test_inputs_are_restored_when_fn_raises() -> None:
    x = _x((2, 2))
    before = x.numpy().copy()
    calls = {"n": 0}

    def flaky(a):
        calls["n"] += 1
        if calls["n"] > 1:  # the first (analytic) call works, the numeric ones fail
            raise RuntimeError("boom")
        return a * a

    with pytest.raises(RuntimeError, match="boom"):
        mg.gradcheck(flaky, x)
    np.testing.assert_array_equal(x.numpy(), before)


def test_non_tensor_and_constant_inputs_pass_through() -> None:
    w = _x((3, 4))
    targets = np.array([0, 3, 1])
    scale = mg.tensor([2.0, 3.0, 4.0, 5.0], dtype=np.float64)  # not checked: no grad wanted
    assert mg.gradcheck(lambda w, t, s: mg.cross_entropy(w * s, t), w, targets, scale)


def test_output_unrelated_to_an_input_has_zero_gradient() -> None:
    a, b = _x(seed=5), _x(seed=6)
    assert mg.gradcheck(lambda a, b: a * 3.0, a, b)


def test_tolerances_are_respected() -> None:
    # A 1% error passes a 5% relative tolerance and fails the default one.
    class Scaled(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2.0

        @staticmethod
        def backward(ctx, grad):
            return grad * 2.02

    x = mg.tensor([1.0, -2.0], dtype=np.float64, requires_grad=True)
    assert mg.gradcheck(Scaled.apply, x, rtol=0.05)
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(Scaled.apply, x)
