"""Adagrad: a per-coordinate step size that shrinks with the sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minigrad import backend
from minigrad.errors import OptionError
from minigrad.optim.optimizer import Optimizer
from minigrad.tensor import Tensor


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011), with PyTorch's formulas::

        s <- s + g * g                         (s starts at initial_accumulator_value)
        p <- p - lr * g / (sqrt(s) + eps)

    Coordinates that have seen large gradients take small steps from then on.
    The accumulator ``s`` is the per-parameter state (``"sum"``).

    Note on r2rt's lesson 1: TensorFlow 1's ``AdagradOptimizer`` starts its
    accumulator at 0.1 and has no eps (p <- p - lr * g / sqrt(s)). To follow it,
    use ``Adagrad(params, lr=0.1, initial_accumulator_value=0.1, eps=0.0)``.
    PyTorch's default, used here, starts at 0, which makes the very first step
    about lr * sign(g), larger than TensorFlow's.
    """

    hyperparameters = ("lr", "eps", "initial_accumulator_value")

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 0.01,
        eps: float = 1e-10,
        initial_accumulator_value: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if eps < 0:
            raise OptionError(f"Adagrad: eps must be >= 0, got {eps}")
        if initial_accumulator_value < 0:
            raise OptionError(
                f"Adagrad: initial_accumulator_value must be >= 0, got {initial_accumulator_value}"
            )
        self.eps = float(eps)
        self.initial_accumulator_value = float(initial_accumulator_value)

    def update(self, p: Tensor, grad: Any, state: dict[str, Any]) -> None:
        """One Adagrad step for ``p`` (see the class docstring)."""
        xp = backend.get_array_module(p.data)
        s = state.get("sum")
        if s is None:
            s = state["sum"] = xp.full_like(p.data, self.initial_accumulator_value)
        s += grad * grad
        p.data -= self.lr * (grad / (xp.sqrt(s) + self.eps))
