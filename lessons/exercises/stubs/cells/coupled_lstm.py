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

Grade it with ``minigrad grade cells.coupled_lstm``;
``minigrad hint cells.coupled_lstm`` shows one more hint each time you ask.
"""

from __future__ import annotations

import minigrad as mg


def coupled_lstm_cell(
    x: mg.Tensor, h: mg.Tensor, c: mg.Tensor, U: mg.Tensor, W: mg.Tensor, b: mg.Tensor
) -> tuple[mg.Tensor, mg.Tensor]:
    """One coupled-gate LSTM step: ``(h_t, c_t)``, both ``[B, H]``."""
    raise NotImplementedError("cells.coupled_lstm: write coupled_lstm_cell")
