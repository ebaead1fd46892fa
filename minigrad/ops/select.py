"""Choosing elements: ``where`` masks, one-hot encoding and embedding lookup."""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.backend import get_array_module
from minigrad.errors import DTypeError, ShapeError
from minigrad.ops.convert import as_array, as_tensor
from minigrad.tensor import Tensor


class Where(Function):
    """z = a where cond else b;  dL/da = G where cond, dL/db = G where not cond."""

    @staticmethod
    def forward(ctx, a, b, cond):
        ctx.cond = cond
        return get_array_module(a).where(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        zero = grad.dtype.type(0)
        xp = get_array_module(grad)
        return xp.where(ctx.cond, grad, zero), xp.where(ctx.cond, zero, grad)


class Embedding(Function):
    """z[..., :] = W[idx[...], :];  dL/dW[v] = sum of G over every position where idx == v.

    A character that appears twice in a batch receives both gradients: the
    backward scatter-*adds*, it does not overwrite.
    """

    @staticmethod
    def forward(ctx, weight, indices):
        ctx.indices, ctx.shape = indices, weight.shape
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        xp = get_array_module(grad)
        g = xp.zeros(ctx.shape, dtype=grad.dtype)
        backend.scatter_add(g, ctx.indices, grad)
        return g


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Elementwise choice: ``a`` where ``cond`` is true, else ``b`` (both may broadcast)."""
    like = a if isinstance(a, Tensor) else b
    if not isinstance(like, Tensor):
        raise DTypeError("where: at least one of a and b must be a Tensor")
    cond = as_array(cond)
    xp = get_array_module(like.data)
    cond = xp.asarray(cond).astype(bool, copy=False)
    return Where.apply(as_tensor(a, like), as_tensor(b, like), cond=cond)


def _integer_indices(indices: Any, what: str) -> Any:
    arr = as_array(indices)
    if not hasattr(arr, "dtype"):
        arr = np.asarray(arr)
    if arr.dtype.kind not in "iu":
        raise DTypeError(f"{what}: indices must be integers, got dtype {arr.dtype}")
    return arr


def one_hot(indices: Any, num_classes: int, dtype: Any = np.float32) -> Tensor:
    """Encode integer ``indices`` of any shape as a ``[..., num_classes]`` float tensor."""
    idx = _integer_indices(indices, "one_hot")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num_classes):
        raise ShapeError(
            f"one_hot: indices must be in [0, {num_classes}), got range "
            f"[{int(idx.min())}, {int(idx.max())}]"
        )
    xp = get_array_module(idx)
    return Tensor(xp.eye(num_classes, dtype=dtype)[idx])


def embedding(weight: Tensor, indices: Any) -> Tensor:
    """Rows of ``weight`` ``[vocab, dim]`` picked by integer ``indices`` -> ``[..., dim]``."""
    idx = _integer_indices(indices, "embedding")
    vocab = weight.shape[0]
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= vocab):
        bad = int(idx.max()) if int(idx.max()) >= vocab else int(idx.min())
        raise ShapeError(
            f"embedding: index {bad} is out of range for a table of {vocab} rows "
            f"(valid: 0..{vocab - 1}); check the vocabulary size"
        )
    if backend.device_of(idx) != weight.device:
        idx = backend.to_device(idx, weight.device)
    return Embedding.apply(weight, indices=idx)
