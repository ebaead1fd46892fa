"""Exercise cells.gru: one step of a GRU cell (Cho et al. 2014), forward, with minigrad ops.

Three blocks of width H in the order r, z, n. The reset gate r is applied to
the state BEFORE its matrix product (Cho et al., TensorFlow 1's GRUCell, the
seminar; PyTorch applies it after, which is a different cell), and z keeps
the OLD state::

    r   = sigmoid(x_t @ U_r + h_{t-1} @ W_r + b_r)
    z   = sigmoid(x_t @ U_z + h_{t-1} @ W_z + b_z)
    n   = tanh(x_t @ U_n + (r * h_{t-1}) @ W_n + b_n)
    h_t = z * h_{t-1} + (1 - z) * n

``U`` [I, 3H] = [U_r | U_z | U_n], ``W`` [H, 3H] likewise, ``b`` [3H];
``x`` [B, I], ``h`` [B, H].
"""

from __future__ import annotations

import minigrad as mg


def gru_cell(x: mg.Tensor, h: mg.Tensor, U: mg.Tensor, W: mg.Tensor, b: mg.Tensor) -> mg.Tensor:
    """One GRU step: the new state ``h_t``, ``[B, H]``."""
    H = h.shape[1]
    a = x @ U[:, : 2 * H] + h @ W[:, : 2 * H] + b[: 2 * H]
    r = mg.sigmoid(a[:, :H])
    z = mg.sigmoid(a[:, H:])
    n = mg.tanh(x @ U[:, 2 * H :] + (r * h) @ W[:, 2 * H :] + b[2 * H :])
    return z * h + (1 - z) * n
