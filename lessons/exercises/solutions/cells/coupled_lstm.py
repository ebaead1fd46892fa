"""Exercise cells.coupled_lstm: the LSTM with coupled input and forget gates (CIFG).

One gate decides both what to forget and what to write: the input gate is
``1 - f``. Three blocks of width H, in the order f, g, o::

    a   = x_t @ U + h_{t-1} @ W + b          [B, 3H] = [a_f | a_g | a_o]
    f   = sigmoid(a_f)
    g   = tanh(a_g)
    o   = sigmoid(a_o)
    c_t = f * c_{t-1} + (1 - f) * g
    h_t = o * tanh(c_t)

Shapes: ``x`` [B, I], ``h`` and ``c`` [B, H], ``U`` [I, 3H], ``W`` [H, 3H], ``b`` [3H].
"""

from __future__ import annotations

import minigrad as mg


def coupled_lstm_cell(
    x: mg.Tensor, h: mg.Tensor, c: mg.Tensor, U: mg.Tensor, W: mg.Tensor, b: mg.Tensor
) -> tuple[mg.Tensor, mg.Tensor]:
    """One coupled-gate LSTM step: ``(h_t, c_t)``, both ``[B, H]``."""
    H = h.shape[1]
    a = x @ U + h @ W + b
    f = mg.sigmoid(a[:, :H])
    g = mg.tanh(a[:, H : 2 * H])
    o = mg.sigmoid(a[:, 2 * H :])
    c_new = f * c + (1 - f) * g
    return o * mg.tanh(c_new), c_new
