"""Exercise autograd.tanh_sigmoid: tanh and sigmoid as minigrad Functions, forward and backward.

A ``minigrad.Function`` works on raw arrays (NumPy, or CuPy on a GPU), never on
Tensors: ``forward(ctx, a)`` returns the output array and may keep arrays for
later with ``ctx.save_for_backward(...)`` (read back as ``ctx.saved``);
``backward(ctx, grad)`` receives dL/d(output) and returns dL/da. ``Tanh.apply(x)``
runs it on a Tensor and records it in the graph.

    tanh:     y = tanh(a)               dy/da = 1 - y^2
    sigmoid:  y = 1 / (1 + exp(-a))     dy/da = y (1 - y)

Both derivatives are written with the output y, so keep y, not a. Keep the
input's dtype (float32 in, float32 out), and make sigmoid stable: no overflow
warning for inputs like -1000 (exp(1000) does not fit in a float).
"""

from __future__ import annotations

from typing import Any

import minigrad as mg


class Tanh(mg.Function):
    """y = tanh(a), with dy/da = 1 - y^2."""

    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        """tanh of every element of the array ``a``."""
        xp = mg.backend.get_array_module(a)
        y = xp.tanh(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        """dL/da = dL/dy * (1 - y^2)."""
        (y,) = ctx.saved
        return grad * (1 - y * y)


class Sigmoid(mg.Function):
    """y = 1 / (1 + exp(-a)), with dy/da = y (1 - y)."""

    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        """The logistic sigmoid of every element of ``a``, without overflow."""
        xp = mg.backend.get_array_module(a)
        e = xp.exp(-xp.abs(a))  # in (0, 1]: never overflows
        y = xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        """dL/da = dL/dy * y * (1 - y)."""
        (y,) = ctx.saved
        return grad * y * (1 - y)


def tanh(x: mg.Tensor) -> mg.Tensor:
    """``Tanh`` applied to the Tensor ``x``."""
    return Tanh.apply(x)


def sigmoid(x: mg.Tensor) -> mg.Tensor:
    """``Sigmoid`` applied to the Tensor ``x``."""
    return Sigmoid.apply(x)
