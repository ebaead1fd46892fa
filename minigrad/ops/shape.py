"""Ops that move elements around without changing them: reshape, transpose,
indexing, concatenation, stacking, splitting, and moving between devices."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.backend import get_array_module
from minigrad.errors import ShapeError
from minigrad.ops.convert import as_array
from minigrad.tensor import Tensor


class Reshape(Function):
    """z = a viewed with another shape;  dL/da = G reshaped back."""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot view {a.shape} ({a.size} elements) as {shape}"
            ) from None

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape)


class Transpose(Function):
    """z = a with axes permuted;  dL/da = G with the inverse permutation."""

    @staticmethod
    def forward(ctx, a, axes):
        ctx.axes = axes
        return a.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        if ctx.axes is None:
            return grad.transpose()
        inverse = [0] * len(ctx.axes)
        for i, a in enumerate(ctx.axes):
            inverse[a] = i
        return grad.transpose(inverse)


class GetItem(Function):
    """z = a[index];  dL/da = zeros with G added at ``index``.

    Integer-array (fancy) indices may repeat an element; ``scatter_add``
    accumulates each repeat, where ``g[index] += G`` would keep only one.
    """

    @staticmethod
    def forward(ctx, a, index):
        ctx.in_shape, ctx.index, ctx.dtype = a.shape, index, a.dtype
        try:
            return a[index]
        except IndexError as exc:
            raise ShapeError(
                f"getitem: index {index!r} does not fit shape {a.shape}: {exc}"
            ) from exc

    @staticmethod
    def backward(ctx, grad):
        xp = get_array_module(grad)
        g = xp.zeros(ctx.in_shape, dtype=ctx.dtype)
        if _is_basic_index(ctx.index):
            g[ctx.index] = grad  # basic slices never repeat an element
        else:
            backend.scatter_add(g, ctx.index, grad)
        return g


def _is_basic_index(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return builtins.all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items)


class Concat(Function):
    """z = concatenation of inputs along ``axis``;  dL/d(input k) = the k-th slice of G."""

    @staticmethod
    def forward(ctx, *arrays, axis):
        xp = get_array_module(arrays[0])
        ctx.axis = axis
        ctx.sizes = [a.shape[axis] for a in arrays]
        return xp.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        xp = get_array_module(grad)
        bounds = []
        total = 0
        for n in ctx.sizes[:-1]:
            total += n
            bounds.append(total)
        return tuple(xp.split(grad, bounds, axis=ctx.axis))


class Stack(Function):
    """z = inputs stacked along a new ``axis``;  dL/d(input k) = G taken at k on that axis."""

    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        return get_array_module(arrays[0]).stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        xp = get_array_module(grad)
        n = grad.shape[ctx.axis]
        return tuple(xp.take(grad, k, axis=ctx.axis) for k in range(n))


class Split(Function):
    """Pieces of ``a`` cut along ``axis`` at ``bounds``;  dL/da = the pieces' gradients joined.

    One op with several outputs: its backward receives every piece's gradient
    at once and concatenates them, instead of each piece scattering into its
    own full-size zero array.
    """

    @staticmethod
    def forward(ctx, a, bounds, axis):
        ctx.axis = axis
        return tuple(get_array_module(a).split(a, bounds, axis=axis))

    @staticmethod
    def backward(ctx, grads):
        # With a single piece the engine passes its gradient alone, not in a tuple.
        grads = grads if type(grads) is tuple else (grads,)
        return get_array_module(grads[0]).concatenate(grads, axis=ctx.axis)


class Unstack(Function):
    """The slices of ``a`` along ``axis`` (that axis removed);  dL/da = their gradients stacked.

    ``unstack(x, axis=1)`` turns a ``[B, T, F]`` sequence into T tensors of
    ``[B, F]``, the inputs of each time step, in one op.
    """

    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        index = (slice(None),) * (axis % a.ndim)
        return tuple(a[index + (k,)] for k in range(a.shape[axis]))

    @staticmethod
    def backward(ctx, grads):
        # With a single piece the engine passes its gradient alone, not in a tuple.
        grads = grads if type(grads) is tuple else (grads,)
        return get_array_module(grads[0]).stack(grads, axis=ctx.axis)


class ToDevice(Function):
    """z = a copied to another device;  dL/da = G copied back."""

    @staticmethod
    def forward(ctx, a, device):
        ctx.source = backend.device_of(a)
        return backend.to_device(a, device)

    @staticmethod
    def backward(ctx, grad):
        return backend.to_device(grad, ctx.source)


def reshape(a: Tensor, *shape: int | Sequence[int]) -> Tensor:
    """The same elements with a new shape (one entry may be -1). Gradient reshaped back."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Reshape.apply(a, shape=shape)


def transpose(a: Tensor, *axes: int | Sequence[int]) -> Tensor:
    """Permute axes (reverse them if none are given). Gradient permuted back."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return Transpose.apply(a, axes=axes or None)


def swapaxes(a: Tensor, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes, e.g. ``[B, T, F] -> [T, B, F]`` with (0, 1)."""
    axes = list(range(a.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return Transpose.apply(a, axes=tuple(axes))


def getitem(a: Tensor, index: Any) -> Tensor:
    """``a[index]`` with slices, integers, masks or integer arrays; differentiable."""
    if isinstance(index, tuple):
        index = tuple(as_array(i) for i in index)
    else:
        index = as_array(index)
    return GetItem.apply(a, index=index)


def concat(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (NumPy's ``concatenate``)."""
    _check_same_shape("concat", tensors, skip_axis=axis)
    return Concat.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join equally shaped tensors along a new axis."""
    _check_same_shape("stack", tensors, skip_axis=None)
    return Stack.apply(*tensors, axis=axis)


def split(a: Tensor, sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """Split into equal ``sections`` (an int) or at the given indices, like ``numpy.split``."""
    n = a.shape[axis]
    if isinstance(sections, int):
        if sections <= 0 or n % sections:
            raise ShapeError(f"split: axis {axis} of length {n} does not split into {sections}")
        bounds = [k * (n // sections) for k in range(1, sections)]
    else:
        bounds = list(sections)
    return list(Split.apply_multi(a, bounds=bounds, axis=axis))


def unstack(a: Tensor, axis: int = 0) -> list[Tensor]:
    """The slices of ``a`` along ``axis``, e.g. the T time steps of a ``[B, T, F]`` batch."""
    if a.shape[axis] == 0:
        return []
    return list(Unstack.apply_multi(a, axis=axis))


def to_device(a: Tensor, device: str) -> Tensor:
    """A copy of ``a`` on ``device`` ("cpu" or "cuda"); the gradient travels back."""
    if backend.check_device(device) == a.device:
        return a
    return ToDevice.apply(a, device=device)


def _check_same_shape(op: str, tensors: Sequence[Tensor], skip_axis: int | None) -> None:
    if not tensors:
        raise ShapeError(f"{op}: needs at least one tensor")
    first = tensors[0].shape
    for k, t in enumerate(tensors[1:], start=1):
        a, b = list(first), list(t.shape)
        if skip_axis is not None and len(a) == len(b):
            a.pop(skip_axis % len(a))
            b.pop(skip_axis % len(b))
        if a != b:
            raise ShapeError(
                f"{op}: tensor 0 has shape {first} but tensor {k} has shape {t.shape}"
                + (
                    f" (they may differ only along axis {skip_axis})"
                    if skip_axis is not None
                    else ""
                )
            )
