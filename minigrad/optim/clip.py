"""Gradient clipping: keep one bad batch from throwing the weights far away.

Recurrent networks multiply by the same matrix at every step, so a gradient
can grow exponentially with the sequence length ("exploding gradients"): the
loss jumps or becomes NaN. Clipping the *norm* rescales all gradients together
and keeps their direction; clipping each *value* changes the direction too.
Call either between ``loss.backward()`` and ``optimizer.step()``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from minigrad import backend
from minigrad.errors import NumericalError, OptionError
from minigrad.tensor import Tensor


def _with_grads(params: Iterable[Tensor] | Tensor) -> list[Tensor]:
    if isinstance(params, Tensor):
        params = [params]
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(
    params: Iterable[Tensor] | Tensor, max_norm: float, error_if_nonfinite: bool = False
) -> float:
    """Rescale gradients so their joint L2 norm is at most ``max_norm``; return the norm before.

    total = sqrt(sum over every parameter's grad of sum(g ** 2)). When
    total > max_norm, every grad becomes g * max_norm / total (a new array:
    gradients may share memory, so they are never scaled in place). Parameters
    without a grad are ignored. Log the returned norm: a sudden spike is the
    signature of an exploding gradient.

    A NaN or infinite norm leaves the gradients unchanged (there is no useful
    rescaling) unless ``error_if_nonfinite=True``, which raises NumericalError.
    """
    if max_norm < 0:
        raise OptionError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}")
    grads = _with_grads(params)
    total_sq = 0.0
    for p in grads:
        xp = backend.get_array_module(p.grad)
        total_sq += float(xp.sum(xp.square(p.grad, dtype=np.float64)))
    total = math.sqrt(total_sq)
    if not math.isfinite(total):
        if error_if_nonfinite:
            raise NumericalError(
                f"clip_grad_norm_: the gradient norm is {total}; some gradient holds NaN or Inf "
                "(lower the learning rate, or find the op with minigrad.set_debug(True))"
            )
        return total
    if total > max_norm:
        scale = max_norm / total
        for p in grads:
            p.grad = p.grad * p.grad.dtype.type(scale)
    return total


def clip_grad_value_(params: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Limit every gradient element to [-clip_value, clip_value] (new arrays, not in place)."""
    if clip_value < 0:
        raise OptionError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for p in _with_grads(params):
        xp = backend.get_array_module(p.grad)
        p.grad = xp.clip(p.grad, -clip_value, clip_value)
