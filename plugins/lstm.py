"""The long short-term memory cell (LSTM), registered as ``lstm``."""

from __future__ import annotations

from typing import Any

import minigrad as mg

from .parameters import GateBlockCell


class LSTMCell(GateBlockCell):
    """LSTM cell (Hochreiter & Schmidhuber 1997, with a forget gate): gates i, f, g, o.

    Equations (seminar notation; x_t is [B, I], h_t and c_t are [B, H];
    sigma is the logistic sigmoid, * the element-wise product)::

        i_t = sigma(U_i x_t + W_i h_{t-1} + b_i)     input gate
        f_t = sigma(U_f x_t + W_f h_{t-1} + b_f)     forget gate
        g_t = tanh(U_g x_t + W_g h_{t-1} + b_g)      candidate c~_t
        o_t = sigma(U_o x_t + W_o h_{t-1} + b_o)     output gate
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)
        output_t = h_t

    Parameters: ``U`` [I, 4H], ``W`` [H, 4H], ``b`` [4H], applied as
    ``x_t @ U + h_prev @ W + b``; the four gate blocks sit side by side along
    the last axis in PyTorch's order **i, f, g, o** (TF1 uses i, j, f, o).
    Initialisation: U(-1/sqrt(H), 1/sqrt(H)) for every parameter, then
    ``forget_bias`` (default 1.0) is *added to the f block of b* and stored
    there, like Keras' ``unit_forget_bias`` (TF1's BasicLSTMCell adds it at
    run time instead). State layout: ``(h, c)``, a tuple of two [B, H] Tensors.

    ``fused`` (default True): whole sequences run through the fused op that
    ``minigrad.fused`` lists for this cell; ``fused=False`` runs the step above.
    """

    state_layout = ("h", "c")

    def forward(
        self, x_t: mg.Tensor, state: tuple[mg.Tensor, mg.Tensor]
    ) -> tuple[mg.Tensor, tuple[mg.Tensor, mg.Tensor]]:
        """One step: ``x_t`` [B, I] and ``(h, c)`` -> ``(h_t, (h_t, c_t))``."""
        h, c = state
        i, f, g, o = mg.split(x_t @ self.U + h @ self.W + self.b, 4, axis=-1)
        c = mg.sigmoid(f) * c + mg.sigmoid(i) * mg.tanh(g)
        h = mg.sigmoid(o) * mg.tanh(c)
        return h, (h, c)

    def forward_sequence(self, inputs: mg.Tensor, state: tuple, lengths: Any) -> Any:
        """The whole sequence in one fused op (``fused=True``), else the composed steps."""
        if not self.fused:
            return mg.cells.unroll(self, inputs, state, lengths)
        out, h, c = mg.fused.lstm_sequence(inputs, *state, self.U, self.W, self.b, lengths=lengths)
        return out, (h, c)


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register the LSTM cell as ``lstm`` (alias ``basic_lstm``)."""
    register("lstm", LSTMCell, aliases=("basic_lstm",))
