"""Optimizers and gradient clipping.

Each optimizer updates ``p.data`` in place from ``p.grad`` with the rule in
its docstring; ``clip_grad_norm_`` / ``clip_grad_value_`` tame gradients
between ``backward()`` and ``step()``.
"""

from minigrad.optim.adagrad import Adagrad
from minigrad.optim.adam import Adam
from minigrad.optim.clip import clip_grad_norm_, clip_grad_value_
from minigrad.optim.optimizer import Optimizer
from minigrad.optim.rmsprop import RMSprop
from minigrad.optim.sgd import SGD

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "Optimizer",
    "RMSprop",
    "clip_grad_norm_",
    "clip_grad_value_",
]
