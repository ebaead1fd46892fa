"""The long short-term memory cell (LSTM), registered as ``lstm``."""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg
from minigrad.cells import Cell

from ._init import check_float_dtype, check_number, uniform_parameter


class LSTMCell(Cell):
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
        dtype = check_float_dtype(dtype, "LSTMCell")
        super().__init__(input_size, hidden_size, dtype=dtype, device=device)
        self.fused = bool(fused)
        self.forget_bias = check_number(forget_bias, "forget_bias", "LSTMCell")
        gen = rng if rng is not None else mg.backend.default_rng(device)

        def uniform(*shape: int) -> mg.nn.Parameter:
            return uniform_parameter(shape, hidden_size, dtype=dtype, device=device, rng=gen)

        H = hidden_size
        self.U = uniform(input_size, 4 * H)
        self.W = uniform(H, 4 * H)
        self.b = uniform(4 * H)
        self.b.data[H : 2 * H] += self.forget_bias

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
            return mg.rnn.unroll(self, inputs, state, lengths)
        out, h, c = mg.fused.lstm_sequence(inputs, *state, self.U, self.W, self.b, lengths=lengths)
        return out, (h, c)

    def extra_repr(self) -> str:
        """Sizes and the forget bias."""
        return f"{super().extra_repr()}, forget_bias={self.forget_bias}"


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register the LSTM cell as ``lstm`` (alias ``basic_lstm``)."""
    register("lstm", LSTMCell, aliases=("basic_lstm",))
