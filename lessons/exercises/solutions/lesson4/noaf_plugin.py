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
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import minigrad as mg
from minigrad.cells import Cell
from minigrad.nn import Parameter


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
        super().__init__(input_size, hidden_size, dtype=dtype, device=device, rng=rng)
        H, bound = hidden_size, 1.0 / math.sqrt(hidden_size)

        def uniform(*shape: int) -> Parameter:
            p = Parameter(mg.zeros(shape, dtype=self.dtype, device=device))
            return mg.nn.init.uniform_(p, -bound, bound, rng=self.rng)

        self.U = uniform(input_size, 4 * H)
        self.W = uniform(H, 4 * H)
        self.b = uniform(4 * H)
        self.b.data[H : 2 * H] += forget_bias
        self.p_i, self.p_f, self.p_o = uniform(H), uniform(H), uniform(H)

    def forward(self, x_t: mg.Tensor, state: tuple) -> tuple[mg.Tensor, tuple]:
        """One step: ``(h_t, (h_t, c_t))``."""
        h, c_prev = state
        a_i, a_f, a_g, a_o = mg.split(x_t @ self.U + h @ self.W + self.b, 4, axis=-1)
        i = mg.sigmoid(a_i + self.p_i * c_prev)
        f = mg.sigmoid(a_f + self.p_f * c_prev)
        c = f * c_prev + i * mg.tanh(a_g)
        h = mg.sigmoid(a_o + self.p_o * c) * c
        return h, (h, c)


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register ``NOAFCell`` as ``noaf_lstm``."""
    register("noaf_lstm", NOAFCell)
