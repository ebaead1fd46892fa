"""Exercise lesson1.bptt: backpropagation through time by hand, in NumPy, for lesson 1's RNN.

The model over one window of T steps (row vectors, batch first)::

    z_t      = [x_t, s_{t-1}]                 [B, I + H]
    s_t      = tanh(z_t @ W + b)              [B, H]
    logits_t = s_t @ W_out + b_out            [B, C]
    loss     = mean over the B*T (b, t) of  -log softmax(logits_t[b])[y[b, t]]

Forward: keep every z_t and s_t. Backward: go from t = T-1 down to 0 and carry
dloss/ds_t back in time; s_t receives gradient from its own logits *and* from
s_{t+1}. Through tanh: da = ds * (1 - s_t^2); then dW += z_t.T @ da,
db += da.sum(0), and dz = da @ W.T, whose last H columns are dloss/ds_{t-1}.
Every parameter is shared by all steps, so its gradient is a sum over t.
"""

from __future__ import annotations

import numpy as np


def rnn_forward_backward(
    x: np.ndarray,
    y: np.ndarray,
    s0: np.ndarray,
    W: np.ndarray,
    b: np.ndarray,
    W_out: np.ndarray,
    b_out: np.ndarray,
) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
    """Loss, gradients and final state of one window.

    ``x`` ``[B, T, I]`` float inputs (one-hot in lesson 1), ``y`` ``[B, T]``
    integer targets, ``s0`` ``[B, H]`` the initial state, ``W`` ``[I + H, H]``,
    ``b`` ``[H]``, ``W_out`` ``[H, C]``, ``b_out`` ``[C]``. Returns ``(loss,
    grads, s_T)`` with ``grads`` a dict with the keys "W", "b", "W_out",
    "b_out" and "s0", each the gradient of the loss, shaped like that array.
    """
    B, T, I = x.shape
    rows = np.arange(B)
    zs, states, probs = [], [s0], []
    for t in range(T):
        z = np.concatenate([x[:, t], states[-1]], axis=1)
        s = np.tanh(z @ W + b)
        logits = s @ W_out + b_out
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        zs.append(z)
        states.append(s)
        probs.append(e / e.sum(axis=1, keepdims=True))
    n = B * T
    loss = -sum(np.log(probs[t][rows, y[:, t]]).sum() for t in range(T)) / n

    grads = {name: np.zeros_like(a) for name, a in (("W", W), ("b", b), ("W_out", W_out))}
    grads["b_out"] = np.zeros_like(b_out)
    ds_next = np.zeros_like(s0)
    for t in reversed(range(T)):
        dlogits = probs[t].copy()
        dlogits[rows, y[:, t]] -= 1
        dlogits /= n
        s = states[t + 1]
        grads["W_out"] += s.T @ dlogits
        grads["b_out"] += dlogits.sum(axis=0)
        ds = dlogits @ W_out.T + ds_next
        da = ds * (1 - s * s)
        grads["W"] += zs[t].T @ da
        grads["b"] += da.sum(axis=0)
        ds_next = (da @ W.T)[:, I:]
    grads["s0"] = ds_next
    return float(loss), grads, states[-1]
