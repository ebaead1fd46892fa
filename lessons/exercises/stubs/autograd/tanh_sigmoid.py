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

Grade it with ``minigrad grade autograd.tanh_sigmoid``;
``minigrad hint autograd.tanh_sigmoid`` shows one more hint each time you ask.
"""

from __future__ import annotations

from typing import Any

import minigrad as mg


class Tanh(mg.Function):
    """y = tanh(a), with dy/da = 1 - y^2."""

    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        """tanh of every element of the array ``a``."""
        raise NotImplementedError("autograd.tanh_sigmoid: write Tanh.forward")

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        """dL/da = dL/dy * (1 - y^2)."""
        raise NotImplementedError("autograd.tanh_sigmoid: write Tanh.backward")


class Sigmoid(mg.Function):
    """y = 1 / (1 + exp(-a)), with dy/da = y (1 - y)."""

    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        """The logistic sigmoid of every element of ``a``, without overflow."""
        raise NotImplementedError("autograd.tanh_sigmoid: write Sigmoid.forward")

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        """dL/da = dL/dy * y * (1 - y)."""
        raise NotImplementedError("autograd.tanh_sigmoid: write Sigmoid.backward")


def tanh(x: mg.Tensor) -> mg.Tensor:
    """``Tanh`` applied to the Tensor ``x``."""
    return Tanh.apply(x)


def sigmoid(x: mg.Tensor) -> mg.Tensor:
    """``Sigmoid`` applied to the Tensor ``x``."""
    return Sigmoid.apply(x)
