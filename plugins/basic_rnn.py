"""The basic recurrent cell (Elman RNN), registered as ``rnn``."""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg
from minigrad.cells import Cell

from .parameters import uniform_parameter

ACTIVATIONS = {"tanh": mg.tanh, "relu": mg.relu, "sigmoid": mg.sigmoid}


class BasicRNNCell(Cell):
    """Basic RNN cell: one layer of neurons fed with the input and its own last state.

    Equations (seminar notation; x_t is [B, I], s_t is [B, H])::

        s_t = tanh(U x_t + W s_{t-1} + b)
        output_t = s_t

    Parameters: ``U`` [I, H], ``W`` [H, H], ``b`` [H], applied as
    ``x_t @ U + s_prev @ W + b`` (row vectors, batch first). ``activation``
    may be "tanh" (default), "relu" or "sigmoid". Initialisation:
    U(-1/sqrt(H), 1/sqrt(H)) for every parameter, as PyTorch's ``nn.RNN``.
    State layout: ``s`` (one Tensor [B, H]).

    ``fused`` (default True): whole sequences run through the fused op that
    ``minigrad.fused`` lists for this cell; ``fused=False`` runs the step above.
    """

    state_layout = ("s",)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        activation: str = "tanh",
        fused: bool = True,
        *,
        dtype: Any = np.float32,
        device: str = "cpu",
        rng: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, dtype=dtype, device=device, rng=rng)
        self.fused = bool(fused)
        if activation not in ACTIVATIONS:
            raise mg.CellError(
                f"BasicRNNCell: activation must be one of {', '.join(ACTIVATIONS)}, "
                f"got {activation!r}"
            )
        self.activation = activation

        self.U = uniform_parameter(self, input_size, hidden_size)
        self.W = uniform_parameter(self, hidden_size, hidden_size)
        self.b = uniform_parameter(self, hidden_size)

    def forward(self, x_t: mg.Tensor, state: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        """s_t = act(x_t @ U + s_{t-1} @ W + b); the output is s_t."""
        s = ACTIVATIONS[self.activation](x_t @ self.U + state @ self.W + self.b)
        return s, s

    def forward_sequence(self, inputs: mg.Tensor, state: mg.Tensor, lengths: Any) -> Any:
        """The whole sequence in one fused op (``fused=True``), else the composed steps."""
        if not self.fused:
            return mg.cells.unroll(self, inputs, state, lengths)
        return mg.fused.rnn_sequence(
            inputs, state, self.U, self.W, self.b, lengths, activation=self.activation
        )

    def extra_repr(self) -> str:
        """Sizes and the activation."""
        return f"{super().extra_repr()}, activation={self.activation!r}"


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register the basic RNN cell as ``rnn`` (alias ``basic_rnn``)."""
    register("rnn", BasicRNNCell, aliases=("basic_rnn",))
