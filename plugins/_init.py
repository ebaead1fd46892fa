"""Shared by the built-in cells: allocate a Parameter with PyTorch's default RNN init.

Private to ``minigrad.plugins``; it uses only minigrad's public API, as a
third-party plugin would.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import minigrad as mg
from minigrad.nn import Parameter


def check_float_dtype(dtype: Any, cell: str) -> np.dtype:
    """``dtype`` as a NumPy floating dtype, or a ``DTypeError`` naming the cell."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise mg.DTypeError(f"{cell}: dtype {dtype!r} is not a NumPy dtype") from exc
    if dt.kind != "f":
        raise mg.DTypeError(
            f"{cell}: parameters must be floating point (float32 or float64), got dtype {dt}"
        )
    return dt


def uniform_parameter(
    shape: tuple[int, ...], hidden_size: int, *, dtype: Any, device: str, rng: Any
) -> Parameter:
    """A Parameter of ``shape`` drawn from U(-1/sqrt(H), 1/sqrt(H)), PyTorch's RNN default.

    Values are drawn in float64 and then rounded to ``dtype`` (what
    ``minigrad.nn.init.uniform_`` does), so one seed gives a float32 cell and a
    float64 cell with the same weights up to float32 rounding.
    """
    bound = 1.0 / math.sqrt(hidden_size)
    param = Parameter(mg.zeros(shape, dtype=dtype, device=device))
    return mg.nn.init.uniform_(param, -bound, bound, rng=rng)


def constant_parameter(
    shape: tuple[int, ...], value: float, *, dtype: Any, device: str
) -> Parameter:
    """A Parameter of ``shape`` filled with ``value`` (layer-norm gains and shifts)."""
    return Parameter(mg.full(shape, value, dtype=dtype, device=device))


def check_number(value: Any, option: str, cell: str) -> float:
    """A real number option (e.g. ``forget_bias``) as a float, or a ``CellError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise mg.CellError(f"{cell}: option {option} must be a number, got {value!r}")
    return float(value)
