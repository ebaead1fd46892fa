"""The LSTM with coupled input and forget gates (CIFG), registered as ``coupled_lstm``."""

from __future__ import annotations

from typing import Any

import minigrad as mg

from .parameters import GateBlockCell


class CoupledLSTMCell(GateBlockCell):
    """LSTM with one gate for forgetting and writing: what is forgotten is replaced (CIFG).

    Equations (seminar notation; x_t is [B, I], h_t and c_t are [B, H];
    sigma is the logistic sigmoid, * the element-wise product)::

        f_t = sigma(U_f x_t + W_f h_{t-1} + b_f)     forget gate
        g_t = tanh(U_g x_t + W_g h_{t-1} + b_g)      candidate c~_t
        o_t = sigma(U_o x_t + W_o h_{t-1} + b_o)     output gate
        c_t = f_t * c_{t-1} + (1 - f_t) * g_t        the input gate is 1 - f_t
        h_t = o_t * tanh(c_t)
        output_t = h_t

    A quarter fewer weights than ``lstm``; Greff et al. (2015) found it no
    worse on their tasks. Parameters: ``U`` [I, 3H], ``W`` [H, 3H], ``b`` [3H]
    with gate blocks in the order **f, g, o**. Initialisation:
    U(-1/sqrt(H), 1/sqrt(H)) for every parameter, then ``forget_bias``
    (default 1.0, as TF's CoupledInputForgetGateLSTMCell) added to and stored
    in the f block of ``b``. State layout: ``(h, c)``.

    ``fused`` (default True): whole sequences run through the fused op that
    ``minigrad.fused`` lists for this cell; ``fused=False`` runs the step above.
    """

    state_layout = ("h", "c")
    gates = "fgo"

    def forward(
        self, x_t: mg.Tensor, state: tuple[mg.Tensor, mg.Tensor]
    ) -> tuple[mg.Tensor, tuple[mg.Tensor, mg.Tensor]]:
        """One step: ``x_t`` [B, I] and ``(h, c)`` -> ``(h_t, (h_t, c_t))``."""
        h, c = state
        f, g, o = mg.split(x_t @ self.U + h @ self.W + self.b, 3, axis=-1)
        f = mg.sigmoid(f)
        c = f * c + (1.0 - f) * mg.tanh(g)
        h = mg.sigmoid(o) * mg.tanh(c)
        return h, (h, c)

    def forward_sequence(self, inputs: mg.Tensor, state: tuple, lengths: Any) -> Any:
        """The whole sequence in one fused op (``fused=True``), else the composed steps."""
        if not self.fused:
            return mg.cells.unroll(self, inputs, state, lengths)
        out, h, c = mg.fused.lstm_sequence(
            inputs, *state, self.U, self.W, self.b, lengths=lengths, variant="coupled"
        )
        return out, (h, c)


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register the CIFG LSTM as ``coupled_lstm`` (aliases ``cifg``, ``cifg_lstm``)."""
    register("coupled_lstm", CoupledLSTMCell, aliases=("cifg", "cifg_lstm"))
