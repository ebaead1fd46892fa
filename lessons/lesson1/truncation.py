"""Measure how far back each error of a window reaches (r2rt's "styles of truncated backprop")."""

from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad.lessons.lesson1.model import EchoRNN, one_hot_inputs


def gradient_reach(model: EchoRNN, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``reach[k, j]`` = norm of dL_k/dx_j: how much the error at step k sees input j.

    ``L_k`` is the cross-entropy at step k of one window; ``x_j`` the one-hot
    input at step j. With the graph cut at the window's first step, every
    entry with j > k (the future) and every input before the window is zero.
    """
    rnn_inputs = [x_t.requires_grad_() for x_t in one_hot_inputs(x, model.device)]
    rnn_outputs, _ = model.unroll(rnn_inputs, model.zero_state(x.shape[0]))
    logits = model.logits(rnn_outputs)
    steps = len(rnn_inputs)
    reach = np.zeros((steps, steps))
    for k in range(steps):
        loss_k = mg.cross_entropy(logits[k], y[:, k])
        grads = mg.grad(loss_k, rnn_inputs, retain_graph=True)
        for j, g in enumerate(grads):
            reach[k, j] = 0.0 if g is None else float(np.linalg.norm(mg.backend.to_numpy(g)))
    return reach


def share_that_sees(num_steps: int, lag: int) -> float:
    """Fraction of a window's errors whose gradient reaches an input ``lag`` steps back.

    The error at position k (1-based) of a window reaches the inputs at
    positions 1..k, so it sees a dependency ``lag`` steps back only if k > lag.
    """
    return max(0, num_steps - lag) / num_steps
