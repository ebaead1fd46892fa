"""How layers allocate their parameters: one place for dtype, device and rng handling."""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad import backend
from minigrad.errors import DTypeError, OptionError
from minigrad.nn.module import Parameter
from minigrad.tensor import DEFAULT_FLOAT


def float_dtype(dtype: Any, layer: str) -> np.dtype:
    """``dtype`` as a NumPy floating dtype (default float32), or a DTypeError naming ``layer``."""
    dt = np.dtype(DEFAULT_FLOAT if dtype is None else dtype)
    if dt.kind != "f":
        raise DTypeError(f"{layer}: parameters must be floating point, got dtype {dt}")
    return dt


def empty_parameter(shape: tuple[int, ...], dtype: Any, device: str, layer: str) -> Parameter:
    """An uninitialised Parameter of ``shape`` on ``device``; an initialiser fills it next."""
    xp = backend.array_module_for(device)
    return Parameter(xp.zeros(shape, dtype=float_dtype(dtype, layer)))


def check_size(value: Any, name: str, layer: str) -> int:
    """A positive integer size, or a ValueError naming the layer and argument."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise OptionError(f"{layer}: {name} must be a positive integer, got {value!r}")
    return int(value)
