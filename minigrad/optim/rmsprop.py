"""RMSprop: divide each step by a running root-mean-square of recent gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minigrad import backend
from minigrad.errors import OptionError
from minigrad.optim.optimizer import Optimizer
from minigrad.tensor import Tensor


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), with PyTorch's formulas (not centred)::

        v <- alpha * v + (1 - alpha) * g * g          (v starts at 0)
        u <- g / (sqrt(v) + eps)
        p <- p - lr * u                                 if momentum == 0
        b <- momentum * b + u;  p <- p - lr * b         otherwise (b starts at 0)

    Unlike Adagrad, old gradients are forgotten at rate ``1 - alpha``, so the
    step size does not shrink for ever. State: ``"square_avg"`` and, with
    momentum, ``"momentum_buffer"``.
    """

    hyperparameters = ("lr", "alpha", "eps", "momentum")

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        momentum: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not 0.0 <= alpha <= 1.0:
            raise OptionError(f"RMSprop: alpha must be in [0, 1], got {alpha}")
        if eps < 0:
            raise OptionError(f"RMSprop: eps must be >= 0, got {eps}")
        if not 0.0 <= momentum < 1.0:
            raise OptionError(f"RMSprop: momentum must be in [0, 1), got {momentum}")
        self.alpha = float(alpha)
        self.eps = float(eps)
        self.momentum = float(momentum)

    def update(self, p: Tensor, grad: Any, state: dict[str, Any]) -> None:
        """One RMSprop step for ``p`` (see the class docstring)."""
        xp = backend.get_array_module(p.data)
        v = state.get("square_avg")
        if v is None:
            v = state["square_avg"] = xp.zeros_like(p.data)
        v *= self.alpha
        v += (1.0 - self.alpha) * (grad * grad)
        u = grad / (xp.sqrt(v) + self.eps)
        if self.momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = xp.zeros_like(p.data)
            buf *= self.momentum
            buf += u
            u = buf
        p.data -= self.lr * u
