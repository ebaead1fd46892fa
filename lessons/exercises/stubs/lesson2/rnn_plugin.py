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

Grade it with ``minigrad grade lesson2.rnn_plugin``;
``minigrad hint lesson2.rnn_plugin`` shows one more hint each time you ask.
"""

from __future__ import annotations

import math  # noqa: F401 - for your code
from typing import Any

import numpy as np

import minigrad as mg
from minigrad.cells import Cell
from minigrad.nn import Parameter  # noqa: F401 - for your code


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
        raise NotImplementedError("lesson2.rnn_plugin: write ConcatRNNCell.__init__")

    def forward(self, x_t: mg.Tensor, state: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        """s_t = tanh([x_t, s_{t-1}] @ W + b); the output is s_t."""
        raise NotImplementedError("lesson2.rnn_plugin: write ConcatRNNCell.forward")


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register ``ConcatRNNCell`` as ``concat_rnn``."""
    raise NotImplementedError("lesson2.rnn_plugin: write minigrad_register_cells")
