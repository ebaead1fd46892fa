"""Functions that make new leaf tensors: zeros, ones, random values, ranges."""

from __future__ import annotations

from typing import Any

import numpy.typing as npt

from minigrad import backend
from minigrad.tensor import DEFAULT_FLOAT, Tensor

Shape = int | tuple[int, ...]


def _make(array: Any, requires_grad: bool) -> Tensor:
    return Tensor(array, requires_grad=requires_grad)


def zeros(
    shape: Shape,
    dtype: npt.DTypeLike = DEFAULT_FLOAT,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of zeros."""
    return _make(backend.array_module_for(device).zeros(shape, dtype=dtype), requires_grad)


def ones(
    shape: Shape,
    dtype: npt.DTypeLike = DEFAULT_FLOAT,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ones."""
    return _make(backend.array_module_for(device).ones(shape, dtype=dtype), requires_grad)


def full(
    shape: Shape,
    value: float,
    dtype: npt.DTypeLike = DEFAULT_FLOAT,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """A tensor filled with ``value``."""
    return _make(backend.array_module_for(device).full(shape, value, dtype=dtype), requires_grad)


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape, dtype and device of ``t``."""
    return zeros(t.shape, dtype=t.dtype, device=t.device, requires_grad=requires_grad)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    """Ones with the shape, dtype and device of ``t``."""
    return ones(t.shape, dtype=t.dtype, device=t.device, requires_grad=requires_grad)


def arange(stop: int, dtype: npt.DTypeLike | None = None, device: str = "cpu") -> Tensor:
    """0, 1, ..., stop - 1 (integers unless ``dtype`` says otherwise)."""
    return Tensor(backend.array_module_for(device).arange(stop, dtype=dtype))


def rand(
    shape: Shape,
    dtype: npt.DTypeLike = DEFAULT_FLOAT,
    device: str = "cpu",
    requires_grad: bool = False,
    rng: Any = None,
) -> Tensor:
    """Uniform samples in [0, 1) from ``rng`` (default: minigrad's seeded generator)."""
    gen = rng or backend.default_rng(device)
    return _make(gen.random(shape, dtype=dtype), requires_grad)


def randn(
    shape: Shape,
    dtype: npt.DTypeLike = DEFAULT_FLOAT,
    device: str = "cpu",
    requires_grad: bool = False,
    rng: Any = None,
) -> Tensor:
    """Standard normal samples from ``rng`` (default: minigrad's seeded generator)."""
    gen = rng or backend.default_rng(device)
    return _make(gen.standard_normal(shape, dtype=dtype), requires_grad)
