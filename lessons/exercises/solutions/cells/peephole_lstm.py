"""Exercise cells.peephole_lstm: an LSTM whose gates also look at the cell state.

Gers & Schmidhuber (2000), as TensorFlow's ``LSTMCell(use_peepholes=True)``:
diagonal peephole weights (vectors ``p_i``, ``p_f``, ``p_o`` of width H, one
weight per unit). The input and forget gates see the OLD cell state; the
output gate sees the NEW one::

    a   = x_t @ U + h_{t-1} @ W + b                    blocks i, f, g, o
    i   = sigmoid(a_i + p_i * c_{t-1})
    f   = sigmoid(a_f + p_f * c_{t-1})
    g   = tanh(a_g)
    c_t = f * c_{t-1} + i * g
    o   = sigmoid(a_o + p_o * c_t)
    h_t = o * tanh(c_t)

Shapes: ``x`` [B, I], ``h``, ``c`` [B, H], ``U`` [I, 4H], ``W`` [H, 4H],
``b`` [4H], ``p_i``, ``p_f``, ``p_o`` [H].
"""

from __future__ import annotations

import minigrad as mg


def peephole_lstm_cell(
    x: mg.Tensor,
    h: mg.Tensor,
    c: mg.Tensor,
    U: mg.Tensor,
    W: mg.Tensor,
    b: mg.Tensor,
    p_i: mg.Tensor,
    p_f: mg.Tensor,
    p_o: mg.Tensor,
) -> tuple[mg.Tensor, mg.Tensor]:
    """One peephole LSTM step: ``(h_t, c_t)``, both ``[B, H]``."""
    H = h.shape[1]
    a = x @ U + h @ W + b
    i = mg.sigmoid(a[:, :H] + p_i * c)
    f = mg.sigmoid(a[:, H : 2 * H] + p_f * c)
    g = mg.tanh(a[:, 2 * H : 3 * H])
    c_new = f * c + i * g
    o = mg.sigmoid(a[:, 3 * H :] + p_o * c_new)
    return o * mg.tanh(c_new), c_new
