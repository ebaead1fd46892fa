"""Vanishing and exploding gradients, measured: the norm of dL_T/ds_k for k = T, ..., 1."""

from __future__ import annotations

import numpy as np

import minigrad as mg

NUM_CLASSES = 2


def unrolled_states(cell, x: np.ndarray) -> list:
    """Run ``cell`` over ``x`` ``[batch, T]`` step by step and keep every state s_1..s_T."""
    one_hot = mg.one_hot(mg.tensor(x, device=cell.device), NUM_CLASSES, dtype=cell.dtype)
    rnn_inputs = mg.unstack(one_hot, axis=1)
    state = cell.zero_state(x.shape[0])
    states = []
    for x_t in rnn_inputs:
        _, state = cell(x_t, state)
        states.append(state)
    return states


def state_gradient_norms(cell, W_out: mg.Tensor, x: np.ndarray, y: np.ndarray) -> list[float]:
    """``[|dL_T/ds_1|, ..., |dL_T/ds_T|]`` where L_T is the loss at the last step only.

    ``mg.grad`` returns gradients with respect to the intermediate states. For
    an LSTM the state is the pair (h_k, c_k): its norm is sqrt(|dh|^2 + |dc|^2).
    """
    states = unrolled_states(cell, x)
    parts = [s if isinstance(s, tuple) else (s,) for s in states]
    h_last = parts[-1][0]
    loss_T = mg.cross_entropy(h_last @ W_out, y[:, -1])
    grads = mg.grad(loss_T, [p for state in parts for p in state])
    width = len(parts[0])
    norms = []
    for k in range(len(states)):
        squares = 0.0
        for g in grads[k * width : (k + 1) * width]:
            if g is not None:
                squares += float(np.sum(mg.backend.to_numpy(g).astype(np.float64) ** 2))
        norms.append(squares**0.5)
    return norms
