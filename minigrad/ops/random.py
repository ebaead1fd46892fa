"""Random ops: dropout."""

from __future__ import annotations

from typing import Any

from minigrad import backend
from minigrad.autograd.function import Function
from minigrad.errors import OptionError
from minigrad.tensor import Tensor


class Dropout(Function):
    """z = a * m / (1 - p) with m ~ Bernoulli(1 - p);  dL/da = G * m / (1 - p).

    Scaling by 1/(1-p) while training ("inverted dropout") keeps the expected
    activation the same, so nothing changes at evaluation time.
    """

    @staticmethod
    def forward(ctx, a, p, rng):
        keep = rng.random(a.shape, dtype=a.dtype) >= p
        scale = a.dtype.type(1.0 / (1.0 - p))
        mask = keep * scale
        ctx.save_for_backward(mask)
        return a * mask

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved
        return grad * mask


def dropout(a: Tensor, p: float = 0.5, training: bool = True, rng: Any = None) -> Tensor:
    """Zero each element with probability ``p`` while training; identity otherwise.

    ``rng`` is a NumPy/CuPy ``Generator``; by default minigrad's shared one
    (seeded with ``minigrad.manual_seed``).
    """
    if not 0.0 <= p < 1.0:
        raise OptionError(f"dropout: p must be in [0, 1), got {p}")
    if not training or p == 0.0:
        return a
    return Dropout.apply(a, p=p, rng=rng or backend.default_rng(a.device))
