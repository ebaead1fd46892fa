"""Exercise cells.lstm: one step of an LSTM cell, forward, with minigrad ops.

Row vectors, batch first; the gate pre-activations come in four blocks of
width H along the last axis, in the order i, f, g, o (PyTorch's)::

    a   = x_t @ U + h_{t-1} @ W + b          [B, 4H] = [a_i | a_f | a_g | a_o]
    i   = sigmoid(a_i)      input gate
    f   = sigmoid(a_f)      forget gate
    g   = tanh(a_g)         candidate cell value (c~)
    o   = sigmoid(a_o)      output gate
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Shapes: ``x`` [B, I], ``h`` and ``c`` [B, H], ``U`` [I, 4H], ``W`` [H, 4H], ``b`` [4H].

Grade it with ``minigrad grade cells.lstm``;
``minigrad hint cells.lstm`` shows one more hint each time you ask.
"""

from __future__ import annotations

import minigrad as mg


def lstm_cell(
    x: mg.Tensor, h: mg.Tensor, c: mg.Tensor, U: mg.Tensor, W: mg.Tensor, b: mg.Tensor
) -> tuple[mg.Tensor, mg.Tensor]:
    """One LSTM step: ``(h_t, c_t)``, both ``[B, H]``."""
    raise NotImplementedError("cells.lstm: write lstm_cell")
