"""Exercise lesson2.rnn_plugin: lesson 1's cell as a minigrad plugin, registered as ``concat_rnn``.

A plugin is a module with a cell class (a subclass of ``minigrad.cells.Cell``)
and a hook function marked with ``minigrad.hookimpl`` that registers it::

    @mg.hookimpl
    def minigrad_register_cells(register):
        register("concat_rnn", ConcatRNNCell)

The cell keeps lesson 1's layout: ONE weight matrix ``W`` ``[I + H, H]`` (the
rows for x_t first, then the rows for s_{t-1}) and a bias ``b`` ``[H]``, both
drawn uniformly from [-1/sqrt(H), 1/sqrt(H)] with the ``rng`` it is given. It
must pass minigrad's conformance kit (``minigrad check-cell`` runs the same
checks): keyword options ``dtype``, ``device`` and ``rng``; outputs and state
of the cell's dtype; a docstring with the equations (mentioning ``x_t`` and
``s_t``) and every parameter next to its shape, e.g. ``W`` [I + H, H].
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import minigrad as mg
from minigrad.cells import Cell
from minigrad.nn import Parameter


class ConcatRNNCell(Cell):
    """Lesson 1's basic RNN cell, with a single weight matrix, as a plugin.

    Equations (x_t is [B, I], s_t is [B, H])::

        s_t = tanh([x_t, s_{t-1}] @ W + b)
        output_t = s_t

    Parameters: ``W`` [I + H, H] (rows for x_t, then rows for s_{t-1}) and
    ``b`` [H], both uniform in [-1/sqrt(H), 1/sqrt(H)].
    State layout: ``s`` (one Tensor [B, H]).
    """

    state_layout = ("s",)

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
        rng = rng if rng is not None else mg.backend.default_rng(device)
        bound = 1.0 / math.sqrt(hidden_size)
        shape = (input_size + hidden_size, hidden_size)
        self.W = Parameter(mg.zeros(shape, dtype=dtype, device=device))
        self.b = Parameter(mg.zeros((hidden_size,), dtype=dtype, device=device))
        for p in (self.W, self.b):
            mg.nn.init.uniform_(p, -bound, bound, rng=rng)

    def forward(self, x_t: mg.Tensor, state: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        """s_t = tanh([x_t, s_{t-1}] @ W + b); the output is s_t."""
        s = mg.tanh(mg.concat([x_t, state], axis=1) @ self.W + self.b)
        return s, s


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register ``ConcatRNNCell`` as ``concat_rnn``."""
    register("concat_rnn", ConcatRNNCell)
