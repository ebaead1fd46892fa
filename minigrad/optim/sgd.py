"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minigrad.errors import OptionError
from minigrad.optim.optimizer import Optimizer
from minigrad.tensor import Tensor


class SGD(Optimizer):
    """Gradient descent on each parameter p with gradient g (PyTorch's formulas, dampening 0).

    Equations, applied in this order at every step::

        g <- g + weight_decay * p                 (L2 penalty, if weight_decay > 0)
        b <- g                                    (first step with momentum > 0)
        b <- momentum * b + g                     (later steps)
        d <- g + momentum * b   if nesterov  else  b      (d = g when momentum == 0)
        p <- p - lr * d

    The momentum buffer ``b`` is the per-parameter state (``"momentum_buffer"``).
    """

    hyperparameters = ("lr", "momentum", "nesterov", "weight_decay")

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not 0.0 <= momentum < 1.0:
            raise OptionError(f"SGD: momentum must be in [0, 1), got {momentum}")
        if nesterov and momentum == 0.0:
            raise OptionError("SGD: nesterov=True needs momentum > 0")
        if weight_decay < 0:
            raise OptionError(f"SGD: weight_decay must be >= 0, got {weight_decay}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.weight_decay = float(weight_decay)

    def update(self, p: Tensor, grad: Any, state: dict[str, Any]) -> None:
        """One SGD step for ``p`` (see the class docstring)."""
        d = grad
        if self.weight_decay:
            d = d + self.weight_decay * p.data
        if self.momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = d.copy()  # a copy: never alias p.grad
            else:
                buf *= self.momentum
                buf += d
            d = d + self.momentum * buf if self.nesterov else buf
        p.data -= self.lr * d
