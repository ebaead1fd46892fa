"""Arithmetic applied element by element, with NumPy broadcasting.

Each backward returns the gradient in the broadcast shape of the output; the
engine sums it back to each input's own shape (``autograd.engine.unbroadcast``).
"""

from __future__ import annotations

from typing import Any

import numpy.typing as npt

from minigrad.autograd.function import Function
from minigrad.backend import get_array_module
from minigrad.errors import ArgumentError
from minigrad.ops.convert import as_tensor
from minigrad.tensor import Tensor


class Add(Function):
    """z = a + b;  dz/da = 1, dz/db = 1."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    """z = a - b;  dz/da = 1, dz/db = -1."""

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, -grad


class Mul(Function):
    """z = a * b;  dz/da = b, dz/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(Function):
    """z = a / b;  dz/da = 1/b, dz/db = -a/b^2 = -z/b."""

    @staticmethod
    def forward(ctx, a, b):
        z = a / b
        ctx.save_for_backward(b, z)
        return z

    @staticmethod
    def backward(ctx, grad):
        b, z = ctx.saved
        ga = grad / b
        return ga, (-ga * z if ctx.needs_input_grad[1] else None)


class Neg(Function):
    """z = -a;  dz/da = -1."""

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Function):
    """z = a^p for a constant exponent p;  dz/da = p * a^(p-1)."""

    @staticmethod
    def forward(ctx, a, exponent):
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        return a**exponent

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        p = ctx.exponent
        if p == 0:  # a^0 is constant; p * a^(p-1) would be 0 * inf = NaN at a = 0
            return grad * 0
        return grad * (p * a ** (p - 1))


class Exp(Function):
    """z = e^a;  dz/da = e^a = z."""

    @staticmethod
    def forward(ctx, a):
        z = get_array_module(a).exp(a)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved
        return grad * z


class Log(Function):
    """z = ln a;  dz/da = 1/a."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return get_array_module(a).log(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return grad / a


class Sqrt(Function):
    """z = sqrt(a);  dz/da = 1 / (2 sqrt(a)) = 1 / (2z)."""

    @staticmethod
    def forward(ctx, a):
        z = get_array_module(a).sqrt(a)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved
        return grad / (2 * z)


class Abs(Function):
    """z = |a|;  dz/da = sign(a) (0 at a = 0)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return get_array_module(a).abs(a)  # the builtin ``abs`` is shadowed below

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return grad * get_array_module(a).sign(a)


class Clip(Function):
    """z = min(max(a, low), high);  dz/da = 1 where low <= a <= high, else 0."""

    @staticmethod
    def forward(ctx, a, low, high):
        xp = get_array_module(a)
        ctx.save_for_backward(a)
        ctx.low, ctx.high = low, high
        return xp.clip(a, low, high)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        inside = a == a  # all True, the right shape, and False for NaN
        if ctx.low is not None:
            inside &= a >= ctx.low
        if ctx.high is not None:
            inside &= a <= ctx.high
        return grad * inside


class AsType(Function):
    """z = a converted to another float dtype;  dz/da = 1 (converted back)."""

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.source = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(ctx.source)


def add(a: Tensor, b: Any) -> Tensor:
    """Elementwise a + b (broadcasting). d/da = 1, d/db = 1."""
    return Add.apply(a, as_tensor(b, a)) if isinstance(a, Tensor) else radd(b, a)


def radd(a: Tensor, b: Any) -> Tensor:
    """b + a where only ``a`` is a Tensor."""
    return Add.apply(as_tensor(b, a), a)


def sub(a: Tensor, b: Any) -> Tensor:
    """Elementwise a - b (broadcasting). d/da = 1, d/db = -1."""
    return Sub.apply(a, as_tensor(b, a)) if isinstance(a, Tensor) else rsub(b, a)


def rsub(a: Tensor, b: Any) -> Tensor:
    """b - a where only ``a`` is a Tensor."""
    return Sub.apply(as_tensor(b, a), a)


def mul(a: Tensor, b: Any) -> Tensor:
    """Elementwise a * b (broadcasting). d/da = b, d/db = a."""
    return Mul.apply(a, as_tensor(b, a)) if isinstance(a, Tensor) else rmul(b, a)


def rmul(a: Tensor, b: Any) -> Tensor:
    """b * a where only ``a`` is a Tensor."""
    return Mul.apply(as_tensor(b, a), a)


def div(a: Tensor, b: Any) -> Tensor:
    """Elementwise a / b (broadcasting). d/da = 1/b, d/db = -a/b^2."""
    return Div.apply(a, as_tensor(b, a)) if isinstance(a, Tensor) else rdiv(b, a)


def rdiv(a: Tensor, b: Any) -> Tensor:
    """b / a where only ``a`` is a Tensor."""
    return Div.apply(as_tensor(b, a), a)


def neg(a: Tensor) -> Tensor:
    """-a. d/da = -1."""
    return Neg.apply(a)


def pow(a: Tensor, exponent: float) -> Tensor:  # noqa: A001 - NumPy's name
    """a ** exponent for a constant (Python number) exponent. d/da = p a^(p-1)."""
    if isinstance(exponent, Tensor):
        raise ArgumentError(
            "pow: the exponent must be a Python number, not a Tensor; for a tensor exponent "
            "write exp(b * log(a))"
        )
    return Pow.apply(a, exponent=exponent)


def exp(a: Tensor) -> Tensor:
    """e ** a. d/da = e ** a."""
    return Exp.apply(a)


def log(a: Tensor) -> Tensor:
    """Natural logarithm. d/da = 1/a."""
    return Log.apply(a)


def sqrt(a: Tensor) -> Tensor:
    """Square root. d/da = 1 / (2 sqrt(a))."""
    return Sqrt.apply(a)


def abs(a: Tensor) -> Tensor:  # noqa: A001 - NumPy's name
    """|a|. d/da = sign(a)."""
    return Abs.apply(a)


def clip(a: Tensor, low: float | None = None, high: float | None = None) -> Tensor:
    """Limit values to [low, high] (either bound may be None). Gradient 1 inside, 0 outside."""
    return Clip.apply(a, low=low, high=high)


def astype(a: Tensor, dtype: npt.DTypeLike) -> Tensor:
    """The tensor converted to ``dtype``; gradients flow back converted to the old dtype."""
    if a.dtype == dtype:
        return a
    if get_array_module(a.data).dtype(dtype).kind not in "fc":
        # Integers and booleans carry no gradient: the result is a constant, cut from the graph.
        return Tensor(a.data.astype(dtype))
    return AsType.apply(a, dtype=dtype)
