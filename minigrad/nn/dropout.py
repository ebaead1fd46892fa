"""``Dropout``: randomly zero activations while training."""

from __future__ import annotations

from typing import Any

from minigrad.errors import OptionError
from minigrad.nn.module import Module
from minigrad.ops import dropout
from minigrad.tensor import Tensor


class Dropout(Module):
    """While ``self.training``: z = x * m / (1 - p), m ~ Bernoulli(1 - p). In eval mode: z = x.

    Call ``model.eval()`` before evaluating or generating text and
    ``model.train()`` to resume training. The mask comes from ``rng`` if given,
    else from minigrad's generator for the input's device (seeded by
    ``minigrad.manual_seed``).
    """

    def __init__(self, p: float = 0.5, rng: Any = None) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise OptionError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = float(p)
        self.rng = rng

    def forward(self, x: Tensor) -> Tensor:
        """``x`` with each element zeroed with probability ``p`` (training mode only)."""
        return dropout(x, self.p, training=self.training, rng=self.rng)

    def extra_repr(self) -> str:
        """``p=...``."""
        return f"p={self.p}"
