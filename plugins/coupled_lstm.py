"""The LSTM with coupled input and forget gates (CIFG), registered as ``coupled_lstm``."""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg
from minigrad.cells import Cell

from ._init import check_float_dtype, check_number, uniform_parameter


class CoupledLSTMCell(Cell):
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

    ``fused=True`` (the default) runs whole sequences (``dynamic_rnn``,
    ``nn.RNN``) through one op of ``minigrad.fused`` with a hand-written
    backward; ``fused=False`` runs the composed step above, the readable
    reference the fused op is tested against. Single steps always use it.
    """

    state_layout = ("h", "c")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        forget_bias: float = 1.0,
        fused: bool = True,
        *,
        dtype: Any = np.float32,
        device: str = "cpu",
        rng: Any = None,
    ) -> None:
        dtype = check_float_dtype(dtype, "CoupledLSTMCell")
        super().__init__(input_size, hidden_size, dtype=dtype, device=device)
        self.fused = bool(fused)
        self.forget_bias = check_number(forget_bias, "forget_bias", "CoupledLSTMCell")
        gen = rng if rng is not None else mg.backend.default_rng(device)

        def uniform(*shape: int) -> mg.nn.Parameter:
            return uniform_parameter(shape, hidden_size, dtype=dtype, device=device, rng=gen)

        H = hidden_size
        self.U = uniform(input_size, 3 * H)
        self.W = uniform(H, 3 * H)
        self.b = uniform(3 * H)
        self.b.data[:H] += self.forget_bias

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
            return mg.rnn.unroll(self, inputs, state, lengths)
        out, h, c = mg.fused.lstm_sequence(
            inputs, *state, self.U, self.W, self.b, lengths=lengths, variant="coupled"
        )
        return out, (h, c)

    def extra_repr(self) -> str:
        """Sizes and the forget bias."""
        return f"{super().extra_repr()}, forget_bias={self.forget_bias}"


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register the CIFG LSTM as ``coupled_lstm`` (aliases ``cifg``, ``cifg_lstm``)."""
    register("coupled_lstm", CoupledLSTMCell, aliases=("cifg", "cifg_lstm"))
