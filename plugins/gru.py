"""The gated recurrent unit (GRU), registered as ``gru``."""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg
from minigrad.cells import Cell

from .parameters import uniform_parameter


class GRUCell(Cell):
    """Gated recurrent unit (Cho et al. 2014): gates r, z and a candidate n.

    Equations (seminar notation; x_t is [B, I], h_t is [B, H]; sigma is the
    logistic sigmoid, * the element-wise product). Default,
    ``reset_after=False`` (Cho et al. v3, TF1's GRUCell, colah, the seminar):
    the reset gate scales the old state *before* the matrix product::

        r_t = sigma(U_r x_t + W_r h_{t-1} + b_r)          reset gate
        z_t = sigma(U_z x_t + W_z h_{t-1} + b_z)          update gate
        n_t = tanh(U_n x_t + W_n (r_t * h_{t-1}) + b_n)   candidate h~_t
        h_t = z_t * h_{t-1} + (1 - z_t) * n_t
        output_t = h_t

    ``reset_after=True`` (PyTorch, cuDNN, Keras' default) applies it *after*,
    with a second bias ``b_hn`` inside the product; the two forms are not
    equivalent::

        n_t = tanh(U_n x_t + b_n + r_t * (W_n h_{t-1} + b_hn))

    In both forms **z keeps the old state** (Cho et al., TF, PyTorch, Keras);
    colah's post and char-rnn write h_t = (1 - z_t) * h_{t-1} + z_t * n_t,
    the same model with z and 1 - z exchanged.

    Parameters: ``U`` [I, 3H], ``W`` [H, 3H], ``b`` [3H] with gate blocks in the
    order **r, z, n** (PyTorch's; TF1 uses r, u; Keras z, r, h), plus ``b_hn``
    [H] when ``reset_after=True``. Initialisation: U(-1/sqrt(H), 1/sqrt(H)) for
    every parameter. State layout: ``h`` (one Tensor [B, H]).

    ``fused`` (default True): whole sequences run through the fused op that
    ``minigrad.fused`` lists for this cell; ``fused=False`` runs the step above.
    """

    state_layout = ("h",)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        reset_after: bool = False,
        fused: bool = True,
        *,
        dtype: Any = np.float32,
        device: str = "cpu",
        rng: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, dtype=dtype, device=device, rng=rng)
        self.fused = bool(fused)
        if not isinstance(reset_after, (bool, np.bool_)):
            raise mg.CellError(
                f"GRUCell: option reset_after must be True or False, got {reset_after!r}"
            )
        self.reset_after = bool(reset_after)

        H = hidden_size
        self.U = uniform_parameter(self, input_size, 3 * H)
        self.W = uniform_parameter(self, H, 3 * H)
        self.b = uniform_parameter(self, 3 * H)
        if self.reset_after:
            self.b_hn = uniform_parameter(self, H)

    def forward(self, x_t: mg.Tensor, state: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        """One step: ``x_t`` [B, I] and ``h`` [B, H] -> ``(h_t, h_t)``."""
        h = state
        x_r, x_z, x_n = mg.split(x_t @ self.U + self.b, 3, axis=-1)
        if self.reset_after:
            h_r, h_z, h_n = mg.split(h @ self.W, 3, axis=-1)
            r = mg.sigmoid(x_r + h_r)
            z = mg.sigmoid(x_z + h_z)
            n = mg.tanh(x_n + r * (h_n + self.b_hn))
        else:
            # r must scale h before it meets W_n, so W_n gets its own product.
            W_rz, W_n = mg.split(self.W, [2 * self.hidden_size], axis=-1)
            h_r, h_z = mg.split(h @ W_rz, 2, axis=-1)
            r = mg.sigmoid(x_r + h_r)
            z = mg.sigmoid(x_z + h_z)
            n = mg.tanh(x_n + (r * h) @ W_n)
        h = z * h + (1.0 - z) * n
        return h, h

    def forward_sequence(self, inputs: mg.Tensor, state: mg.Tensor, lengths: Any) -> Any:
        """The whole sequence in one fused op (``fused=True``), else the composed steps."""
        if not self.fused:
            return mg.cells.unroll(self, inputs, state, lengths)
        b_hn = self.b_hn if self.reset_after else None
        return mg.fused.gru_sequence(
            inputs, state, self.U, self.W, self.b, b_hn, lengths, reset_after=self.reset_after
        )

    def extra_repr(self) -> str:
        """Sizes and the reset form."""
        return f"{super().extra_repr()}, reset_after={self.reset_after}"


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register the GRU cell as ``gru``."""
    register("gru", GRUCell)
