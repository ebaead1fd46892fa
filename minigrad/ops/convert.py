"""Turning the non-Tensor operands of an op (Python numbers, arrays) into Tensors."""

from __future__ import annotations

from typing import Any

from minigrad.backend import get_array_module
from minigrad.errors import DTypeError
from minigrad.tensor import Tensor


def as_tensor(value: Any, like: Tensor) -> Tensor:
    """``value`` as a constant Tensor with the dtype and device of ``like``.

    ``x * 2`` multiplies by a constant: it gets ``x``'s dtype (so float32 stays
    float32) and ``x``'s device, and never requires a gradient.
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, float) and like.data.dtype.kind in "iub":
        # Casting to the tensor's dtype would silently truncate 0.5 to 0.
        raise DTypeError(
            f"cannot combine a {like.data.dtype} tensor with the float {value!r} without "
            "truncating it; convert the tensor first, e.g. .astype('float32')"
        )
    dtype = getattr(value, "dtype", None)
    if dtype is not None and dtype.kind == "f" and dtype != like.data.dtype:
        raise DTypeError(
            f"cannot combine a {like.data.dtype} tensor with a {dtype} array: minigrad never "
            f"mixes float dtypes silently; convert the array with .astype('{like.data.dtype}')"
        )
    xp = get_array_module(like.data)
    return Tensor(xp.asarray(value, dtype=like.data.dtype))


def as_array(value: Any) -> Any:
    """The raw array behind a Tensor, or the value itself (indices, masks)."""
    return value.data if isinstance(value, Tensor) else value
