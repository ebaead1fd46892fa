"""Adam: momentum on the gradient and on its square, with bias correction."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from minigrad import backend
from minigrad.errors import OptionError
from minigrad.optim.optimizer import Optimizer
from minigrad.tensor import Tensor


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), with PyTorch's formulas. At step t = 1, 2, ...::

        g <- g + weight_decay * p                  (L2 penalty, if weight_decay > 0)
        m <- beta1 * m + (1 - beta1) * g           (m, v start at 0)
        v <- beta2 * v + (1 - beta2) * g * g
        p <- p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    The divisions by ``1 - beta^t`` undo the pull towards 0 of moments that
    start at 0. ``weight_decay`` here is the L2 penalty added to the gradient
    (PyTorch's ``Adam``), not the decoupled decay of ``AdamW``. State:
    ``"step"`` (t), ``"exp_avg"`` (m) and ``"exp_avg_sq"`` (v).
    """

    hyperparameters = ("lr", "betas", "eps", "weight_decay")

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        beta1, beta2 = betas
        if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
            raise OptionError(f"Adam: betas must be in [0, 1), got {tuple(betas)}")
        if eps < 0:
            raise OptionError(f"Adam: eps must be >= 0, got {eps}")
        if weight_decay < 0:
            raise OptionError(f"Adam: weight_decay must be >= 0, got {weight_decay}")
        self.betas = (float(beta1), float(beta2))
        self.eps = float(eps)
        self.weight_decay = float(weight_decay)

    def update(self, p: Tensor, grad: Any, state: dict[str, Any]) -> None:
        """One Adam step for ``p`` (see the class docstring)."""
        xp = backend.get_array_module(p.data)
        beta1, beta2 = self.betas
        if "step" not in state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p.data)
            state["exp_avg_sq"] = xp.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        g = grad + self.weight_decay * p.data if self.weight_decay else grad
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * (g * g)
        step_size = self.lr / (1.0 - beta1**t)
        denom = xp.sqrt(v) / math.sqrt(1.0 - beta2**t) + self.eps
        p.data -= step_size * (m / denom)
