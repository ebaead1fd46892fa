"""Exercise lesson4.noaf_plugin: Greff's NOAF variant (no output activation) as a plugin cell.

The vanilla LSTM with peepholes, except that the output gate multiplies the
cell itself instead of tanh(c_t). Gate blocks side by side in ``U``, ``W`` and
``b`` in the order i, f, g, o (H columns each); peepholes ``p_i``, ``p_f`` and
``p_o`` are vectors [H] multiplied element by element::

    a   = x_t @ U + h_{t-1} @ W + b                  [B, 4H] = [a_i | a_f | a_g | a_o]
    i_t = sigmoid(a_i + p_i * c_{t-1})
    f_t = sigmoid(a_f + p_f * c_{t-1})
    g_t = tanh(a_g)
    c_t = f_t * c_{t-1} + i_t * g_t
    o_t = sigmoid(a_o + p_o * c_t)                   the NEW cell
    h_t = o_t * c_t                                  no tanh here: that is the variant

Every parameter starts uniform in [-1/sqrt(H), 1/sqrt(H)] (drawn from ``rng``),
then ``forget_bias`` is added to the f block of ``b``. The cell must pass
minigrad's conformance kit (``minigrad check-cell`` runs the same checks):
keyword options ``dtype``, ``device`` and ``rng``; a docstring with the
equations and every parameter next to its shape. Register it as ``noaf_lstm``.

Grade it with ``minigrad grade lesson4.noaf_plugin``;
``minigrad hint lesson4.noaf_plugin`` shows one more hint each time you ask.
"""

from __future__ import annotations

import math  # noqa: F401 - for your code
from typing import Any

import numpy as np

import minigrad as mg
from minigrad.cells import Cell
from minigrad.nn import Parameter  # noqa: F401 - for your code


class NOAFCell(Cell):
    """Greff et al.'s NOAF: an LSTM with peepholes whose output is o_t * c_t (no tanh).

    Equations (x_t is [B, I], h_t and c_t are [B, H])::

        i_t = sigma(U_i x_t + W_i h_{t-1} + p_i * c_{t-1} + b_i)
        f_t = sigma(U_f x_t + W_f h_{t-1} + p_f * c_{t-1} + b_f)
        g_t = tanh(U_g x_t + W_g h_{t-1} + b_g)
        c_t = f_t * c_{t-1} + i_t * g_t
        o_t = sigma(U_o x_t + W_o h_{t-1} + p_o * c_t + b_o)
        h_t = o_t * c_t

    Parameters: ``U`` [I, 4H], ``W`` [H, 4H], ``b`` [4H] (blocks i, f, g, o);
    ``p_i``, ``p_f``, ``p_o`` [H]. State layout: ``(h, c)``.
    """

    state_layout = ("h", "c")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        forget_bias: float = 1.0,
        *,
        dtype: Any = np.float32,
        device: str = "cpu",
        rng: Any = None,
    ) -> None:
        raise NotImplementedError("lesson4.noaf_plugin: write NOAFCell.__init__")

    def forward(self, x_t: mg.Tensor, state: tuple) -> tuple[mg.Tensor, tuple]:
        """One step: ``(h_t, (h_t, c_t))``."""
        raise NotImplementedError("lesson4.noaf_plugin: write NOAFCell.forward")


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register ``NOAFCell`` as ``noaf_lstm``."""
    raise NotImplementedError("lesson4.noaf_plugin: write minigrad_register_cells")
