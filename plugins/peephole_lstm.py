"""The LSTM with peephole connections, registered as ``peephole_lstm``."""

from __future__ import annotations

from typing import Any

import minigrad as mg

from .parameters import GateBlockCell, uniform_parameter


class PeepholeLSTMCell(GateBlockCell):
    """LSTM whose gates also look at the cell state (Gers & Schmidhuber 2000).

    Equations (seminar notation; x_t is [B, I], h_t and c_t are [B, H];
    sigma is the logistic sigmoid, * the element-wise product)::

        i_t = sigma(U_i x_t + W_i h_{t-1} + p_i * c_{t-1} + b_i)
        f_t = sigma(U_f x_t + W_f h_{t-1} + p_f * c_{t-1} + b_f)
        g_t = tanh(U_g x_t + W_g h_{t-1} + b_g)
        c_t = f_t * c_{t-1} + i_t * g_t
        o_t = sigma(U_o x_t + W_o h_{t-1} + p_o * c_t + b_o)
        h_t = o_t * tanh(c_t)
        output_t = h_t

    The peepholes are *diagonal*: one weight per unit, not a matrix. The
    input and forget gates peek at the old cell c_{t-1}; the output gate at
    the new one c_t (as TF's ``LSTMCell(use_peepholes=True)``).

    Parameters: ``U`` [I, 4H], ``W`` [H, 4H], ``b`` [4H] with gate blocks in the
    order **i, f, g, o** (as ``lstm``), and ``p_i``, ``p_f``, ``p_o`` [H].
    Initialisation: U(-1/sqrt(H), 1/sqrt(H)) for every parameter (peepholes
    included), then ``forget_bias`` (default 1.0) added to and stored in the f
    block of ``b``. State layout: ``(h, c)``.

    ``fused`` (default True): whole sequences run through the fused op that
    ``minigrad.fused`` lists for this cell; ``fused=False`` runs the step above.
    """

    state_layout = ("h", "c")

    def add_parameters(self) -> None:
        """The diagonal peepholes ``p_i``, ``p_f``, ``p_o`` [H], drawn after ``U``, ``W``, ``b``."""
        self.p_i = uniform_parameter(self, self.hidden_size)
        self.p_f = uniform_parameter(self, self.hidden_size)
        self.p_o = uniform_parameter(self, self.hidden_size)

    def forward(
        self, x_t: mg.Tensor, state: tuple[mg.Tensor, mg.Tensor]
    ) -> tuple[mg.Tensor, tuple[mg.Tensor, mg.Tensor]]:
        """One step: ``x_t`` [B, I] and ``(h, c)`` -> ``(h_t, (h_t, c_t))``."""
        h, c_prev = state
        i, f, g, o = mg.split(x_t @ self.U + h @ self.W + self.b, 4, axis=-1)
        i = mg.sigmoid(i + self.p_i * c_prev)
        f = mg.sigmoid(f + self.p_f * c_prev)
        c = f * c_prev + i * mg.tanh(g)
        h = mg.sigmoid(o + self.p_o * c) * mg.tanh(c)
        return h, (h, c)

    def forward_sequence(self, inputs: mg.Tensor, state: tuple, lengths: Any) -> Any:
        """The whole sequence in one fused op (``fused=True``), else the composed steps."""
        if not self.fused:
            return mg.cells.unroll(self, inputs, state, lengths)
        out, h, c = mg.fused.lstm_sequence(
            inputs,
            *state,
            self.U,
            self.W,
            self.b,
            peepholes=(self.p_i, self.p_f, self.p_o),
            lengths=lengths,
            variant="peephole",
        )
        return out, (h, c)


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register the peephole LSTM as ``peephole_lstm`` (alias ``lstm_peephole``)."""
    register("peephole_lstm", PeepholeLSTMCell, aliases=("lstm_peephole",))
