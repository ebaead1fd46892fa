"""Turning the non-Tensor operands of an op (Python numbers, arrays) into Tensors."""

from __future__ import annotations

from typing import Any

from minigrad.backend import get_array_module
from minigrad.tensor import Tensor


def as_tensor(value: Any, like: Tensor) -> Tensor:
    """``value`` as a constant Tensor with the dtype and device of ``like``.

    ``x * 2`` multiplies by a constant: it gets ``x``'s dtype (so float32 stays
    float32) and ``x``'s device, and never requires a gradient.
    """
    if isinstance(value, Tensor):
        return value
    xp = get_array_module(like.data)
    return Tensor(xp.asarray(value, dtype=like.data.dtype))


def as_array(value: Any) -> Any:
    """The raw array behind a Tensor, or the value itself (indices, masks)."""
    return value.data if isinstance(value, Tensor) else value
