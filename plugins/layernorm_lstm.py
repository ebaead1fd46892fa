"""The layer-normalised LSTM (Ba et al. 2016), registered as ``layernorm_lstm``."""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg
from minigrad.cells import Cell

from .parameters import (
    check_number,
    constant_parameter,
    uniform_parameter,
)


def normalise(x: mg.Tensor, eps: float) -> mg.Tensor:
    """(x - mean) / sqrt(var + eps) over the last axis (the biased, divide-by-n variance)."""
    centred = x - x.mean(axis=-1, keepdims=True)
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / (var + eps).sqrt()


class LayerNormLSTMCell(Cell):
    """LSTM whose gate pre-activations and cell output are layer-normalised (Ba et al. 2016).

    Equations (seminar notation; x_t is [B, I], h_t and c_t are [B, H];
    LN_k(a) = gain_k * (a - mean(a)) / sqrt(var(a) + eps) + shift_k, the mean
    and variance taken over the H units of each example)::

        i_t = sigma(LN_i(U_i x_t + W_i h_{t-1}))
        f_t = sigma(LN_f(U_f x_t + W_f h_{t-1}))
        g_t = tanh(LN_g(U_g x_t + W_g h_{t-1}))
        o_t = sigma(LN_o(U_o x_t + W_o h_{t-1}))
        c_t = f_t * c_{t-1} + i_t * g_t              (the state keeps this c_t)
        h_t = o_t * tanh(LN_c(c_t))
        output_t = h_t

    There is no bias ``b``: each shift plays its role. Each of the four gate
    blocks is normalised on its own, as in r2rt's TensorFlow cell.

    Parameters: ``U`` [I, 4H], ``W`` [H, 4H] (gate blocks **i, f, g, o**),
    ``ln_gain`` and ``ln_shift`` [4, H] (row k for gate k, same order),
    ``c_gain`` and ``c_shift`` [H]. Initialisation: U(-1/sqrt(H), 1/sqrt(H)) for
    U and W; gains 1, shifts 0, then ``forget_bias`` (default 1.0) added to and
    stored in the f row of ``ln_shift``. Option ``eps`` (1e-5) keeps the
    division finite. State layout: ``(h, c)``.
    """

    state_layout = ("h", "c")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        forget_bias: float = 1.0,
        eps: float = 1e-5,
        *,
        dtype: Any = np.float32,
        device: str = "cpu",
        rng: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, dtype=dtype, device=device, rng=rng)
        self.forget_bias = check_number(forget_bias, "forget_bias", "LayerNormLSTMCell")
        self.eps = check_number(eps, "eps", "LayerNormLSTMCell")
        if self.eps <= 0:
            raise mg.CellError(f"LayerNormLSTMCell: option eps must be > 0, got {eps!r}")
        H = hidden_size
        self.U = uniform_parameter(self, input_size, 4 * H)
        self.W = uniform_parameter(self, H, 4 * H)
        self.ln_gain = constant_parameter(self, (4, H), 1.0)
        self.ln_shift = constant_parameter(self, (4, H), 0.0)
        self.ln_shift.data[1] += self.forget_bias
        self.c_gain = constant_parameter(self, (H,), 1.0)
        self.c_shift = constant_parameter(self, (H,), 0.0)

    def forward(
        self, x_t: mg.Tensor, state: tuple[mg.Tensor, mg.Tensor]
    ) -> tuple[mg.Tensor, tuple[mg.Tensor, mg.Tensor]]:
        """One step: ``x_t`` [B, I] and ``(h, c)`` -> ``(h_t, (h_t, c_t))``."""
        h, c = state
        # [B, 4H] -> [B, 4, H]: one normalisation normalises each gate block on its own.
        pre = (x_t @ self.U + h @ self.W).reshape(x_t.shape[0], 4, self.hidden_size)
        gates = normalise(pre, self.eps) * self.ln_gain + self.ln_shift
        i, f, g, o = mg.unstack(gates, axis=1)
        c = mg.sigmoid(f) * c + mg.sigmoid(i) * mg.tanh(g)
        c_hat = normalise(c, self.eps) * self.c_gain + self.c_shift
        h = mg.sigmoid(o) * mg.tanh(c_hat)
        return h, (h, c)

    def extra_repr(self) -> str:
        """Sizes, forget bias and eps."""
        return f"{super().extra_repr()}, forget_bias={self.forget_bias}, eps={self.eps}"


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register the layer-norm LSTM as ``layernorm_lstm`` (aliases ``ln_lstm``, ...)."""
    register("layernorm_lstm", LayerNormLSTMCell, aliases=("ln_lstm", "layer_norm_lstm"))
