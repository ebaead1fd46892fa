"""Nonlinearities: tanh, sigmoid, relu, softmax and log-softmax.

All of them stay finite for inputs as large as +-1000: sigmoid only
exponentiates -|a|, and softmax subtracts the row maximum before exponentiating.
"""

from __future__ import annotations

from minigrad.autograd.function import Function
from minigrad.backend import get_array_module
from minigrad.tensor import Tensor


class Tanh(Function):
    """z = tanh(a);  dz/da = 1 - z^2."""

    @staticmethod
    def forward(ctx, a):
        z = get_array_module(a).tanh(a)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved
        return grad * (1 - z * z)


class Sigmoid(Function):
    """z = 1 / (1 + e^-a);  dz/da = z (1 - z).

    The textbook formula evaluates e^1000 = inf for a = -1000. Here e is only
    ever raised to -|a| <= 0, so nothing overflows, and each branch keeps full
    relative precision in its tail (sigmoid(-17) is 4.1e-8, not 0)::

        a >= 0:  1 / (1 + e^-a)        a < 0:  e^a / (1 + e^a)
    """

    @staticmethod
    def forward(ctx, a):
        xp = get_array_module(a)
        e = xp.exp(-xp.abs(a))
        z = xp.where(a >= 0, 1, e) / (1 + e)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved
        return grad * (z * (1 - z))


class Relu(Function):
    """z = max(a, 0);  dz/da = 1 where a > 0, else 0."""

    @staticmethod
    def forward(ctx, a):
        z = get_array_module(a).maximum(a, 0)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved
        return grad * (z > 0)


class Softmax(Function):
    """p = e^a / sum(e^a) along ``axis``;  dL/da = p * (g - sum(g * p)).

    The Jacobian is diag(p) - p p^T; multiplying it by the incoming gradient g
    gives the formula above without ever building the matrix.
    """

    @staticmethod
    def forward(ctx, a, axis):
        xp = get_array_module(a)
        e = xp.exp(a - a.max(axis=axis, keepdims=True))
        p = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(p)
        ctx.axis = axis
        return p

    @staticmethod
    def backward(ctx, grad):
        (p,) = ctx.saved
        return p * (grad - (grad * p).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """y = a - logsumexp(a) along ``axis``;  dL/da = g - softmax(a) * sum(g)."""

    @staticmethod
    def forward(ctx, a, axis):
        xp = get_array_module(a)
        shifted = a - a.max(axis=axis, keepdims=True)
        y = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        xp = get_array_module(y)
        return grad - xp.exp(y) * grad.sum(axis=ctx.axis, keepdims=True)


def tanh(a: Tensor) -> Tensor:
    """Hyperbolic tangent. d/da = 1 - tanh(a)^2."""
    return Tanh.apply(a)


def sigmoid(a: Tensor) -> Tensor:
    """Logistic sigmoid 1/(1+e^-a), finite for any input. d/da = s(1-s)."""
    return Sigmoid.apply(a)


def relu(a: Tensor) -> Tensor:
    """max(a, 0). d/da = 1 where a > 0, else 0."""
    return Relu.apply(a)


def softmax(a: Tensor, axis: int = -1) -> Tensor:
    """Softmax along ``axis`` (probabilities summing to 1); stable for large inputs."""
    return Softmax.apply(a, axis=axis)


def log_softmax(a: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(a)) along ``axis``, computed stably as a - logsumexp(a)."""
    return LogSoftmax.apply(a, axis=axis)
