"""Exercise lesson1.train_step: one training step of lesson 1, with minigrad.

One window of ``T = num_steps`` steps: for each step t, the one-hot input
``x_t = one_hot(x[:, t], 2)``, the cell ``s_t = tanh([x_t, s_{t-1}] @ W + b)``
and the logits ``s_t @ W_out + b_out``; the loss is the mean cross-entropy
over all B*T steps (``mg.cross_entropy`` on the logits stacked to ``[B, T, 2]``).
Then: clear the old gradients, ``loss.backward()``, ``optimizer.step()``.
Return the loss as a float and the final state **detached**, so that the
next window starts from it without backpropagating into this one
(TensorFlow-style truncated backpropagation).

Grade it with ``minigrad grade lesson1.train_step``;
``minigrad hint lesson1.train_step`` shows one more hint each time you ask.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg


def train_step(
    params: dict[str, mg.Tensor],
    optimizer: Any,
    x: np.ndarray,
    y: np.ndarray,
    state: mg.Tensor,
) -> tuple[float, mg.Tensor]:
    """Train on one window; return ``(loss, final_state)``.

    ``params`` holds "W" ``[2 + H, H]``, "b" ``[H]``, "W_out" ``[H, 2]`` and
    "b_out" ``[2]`` (the Tensors ``optimizer`` updates); ``x`` and ``y`` are
    integer arrays ``[B, T]`` of 0s and 1s; ``state`` is ``[B, H]``.
    """
    raise NotImplementedError("lesson1.train_step: write train_step")
