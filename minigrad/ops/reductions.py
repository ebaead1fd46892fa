"""Reductions over axes: sum, mean, max (with ``axis`` and ``keepdims`` as in NumPy)."""

from __future__ import annotations

import builtins
from typing import Any

from minigrad.autograd.function import Function
from minigrad.backend import get_array_module
from minigrad.tensor import Axis, Tensor


def _normalise_axis(axis: Axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim if ndim else 0 for a in axes)


def _expand(grad: Any, in_shape: tuple[int, ...], axis: Axis, keepdims: bool) -> Any:
    """Reshape a reduced gradient so it broadcasts back over the reduced axes."""
    if not keepdims and in_shape:
        shape = list(in_shape)
        for a in _normalise_axis(axis, len(in_shape)):
            shape[a] = 1
        grad = grad.reshape(shape)
    return grad


class Sum(Function):
    """z = sum of a over ``axis``;  dz/da = 1 for every summed element."""

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        ctx.in_shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        return a.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        xp = get_array_module(grad)
        g = _expand(grad, ctx.in_shape, ctx.axis, ctx.keepdims)
        return xp.broadcast_to(g, ctx.in_shape)


class Mean(Function):
    """z = mean of a over ``axis`` (n elements);  dz/da = 1/n."""

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        z = a.mean(axis=axis, keepdims=keepdims)
        ctx.in_shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        ctx.n = a.size // builtins.max(z.size, 1) if a.size else 1  # ``max`` is shadowed
        return z

    @staticmethod
    def backward(ctx, grad):
        xp = get_array_module(grad)
        g = _expand(grad, ctx.in_shape, ctx.axis, ctx.keepdims) / ctx.n
        return xp.broadcast_to(g, ctx.in_shape)


class Max(Function):
    """z = max of a over ``axis``;  dz/da = 1 at the maximum, 0 elsewhere.

    Ties share the gradient equally, so it stays a valid subgradient and the
    total gradient does not depend on how many elements tie.
    """

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        z = a.max(axis=axis, keepdims=True)
        ctx.save_for_backward(a, z)
        ctx.in_shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        return z if keepdims else z.squeeze(axis=_normalise_axis(axis, a.ndim))

    @staticmethod
    def backward(ctx, grad):
        a, z = ctx.saved
        mask = a == z
        # Counted in the gradient's dtype: an integer count would promote float32 to float64.
        counts = mask.sum(axis=ctx.axis, keepdims=True, dtype=grad.dtype)
        g = _expand(grad, ctx.in_shape, ctx.axis, ctx.keepdims)
        return mask * (g / counts)


def sum(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (all axes by default). d/da = 1, broadcast back."""
    return Sum.apply(a, axis=axis, keepdims=keepdims)


def mean(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (all axes by default). d/da = 1/n."""
    return Mean.apply(a, axis=axis, keepdims=keepdims)


def max(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over ``axis``. The gradient goes to the maximal element(s), split on ties."""
    return Max.apply(a, axis=axis, keepdims=keepdims)
