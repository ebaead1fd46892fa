"""The Minimal Gated Unit as a minigrad cell, registered as ``mgu``.

This module is the plugin: the entry point ``mgu = "minigrad_mgu.cell"`` in
``pyproject.toml`` points here, and minigrad calls the
``minigrad_register_cells`` hook below when it builds its cell registry.
It uses only minigrad's public API, as every plugin should.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import minigrad as mg
from minigrad.cells import Cell
from minigrad.nn import Parameter


class MGUCell(Cell):
    """Minimal Gated Unit (Zhou et al. 2016): a GRU with one gate, f, doing both jobs.

    Equations (seminar notation; x_t is [B, I], h_t is [B, H]; sigma is the
    logistic sigmoid and * the element-wise product)::

        f_t = sigma(x_t U_f + h_{t-1} W_f + b_f)             forget gate
        n_t = tanh(x_t U_h + (f_t * h_{t-1}) W_h + b_h)      candidate h~_t
        h_t = (1 - f_t) * h_{t-1} + f_t * n_t
        output_t = h_t

    The single gate f_t both resets the old state inside the candidate (the
    GRU's r) and mixes old state and candidate (the GRU's z, with f = 1 - z).

    Parameters: ``U_f`` [I, H], ``W_f`` [H, H], ``b_f`` [H] for the gate and
    ``U_h`` [I, H], ``W_h`` [H, H], ``b_h`` [H] for the candidate (row
    vectors, batch first: ``x_t @ U_f + h_prev @ W_f + b_f``). Initialisation:
    U(-1/sqrt(H), 1/sqrt(H)) for every parameter. State layout: ``h`` (one
    Tensor [B, H]).
    """

    state_layout = ("h",)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        dtype: Any = np.float32,
        device: str = "cpu",
        rng: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, dtype=dtype, device=device)
        gen = rng if rng is not None else mg.backend.default_rng(device)
        bound = 1.0 / math.sqrt(hidden_size)

        def uniform(*shape: int) -> Parameter:
            param = Parameter(mg.zeros(shape, dtype=dtype, device=device))
            return mg.nn.init.uniform_(param, -bound, bound, rng=gen)

        self.U_f = uniform(input_size, hidden_size)
        self.W_f = uniform(hidden_size, hidden_size)
        self.b_f = uniform(hidden_size)
        self.U_h = uniform(input_size, hidden_size)
        self.W_h = uniform(hidden_size, hidden_size)
        self.b_h = uniform(hidden_size)

    def forward(self, x_t: mg.Tensor, state: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        """One step: ``x_t`` [B, I] and ``h_{t-1}`` [B, H] -> ``(h_t, h_t)``."""
        h = state
        f = mg.sigmoid(x_t @ self.U_f + h @ self.W_f + self.b_f)
        n = mg.tanh(x_t @ self.U_h + (f * h) @ self.W_h + self.b_h)
        h = (1.0 - f) * h + f * n
        return h, h


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register the Minimal Gated Unit as ``mgu`` (alias ``minimal_gated_unit``)."""
    register("mgu", MGUCell, aliases=("minimal_gated_unit",))
