"""Exercise lesson2.dynamic_rnn: run a cell over a whole ``[B, T, I]`` batch of sequences.

``cell(x_t, state) -> (output_t, new_state)`` computes one step for the whole
batch: ``x_t`` is ``[B, I]``, the state a Tensor or a tuple of Tensors (an
LSTM's ``(h, c)``). Feed it the steps t = 0 .. T-1 of ``inputs`` (batch first:
step t is ``inputs[:, t, :]``), carrying the state from one step to the next,
and stack the outputs along axis 1 into ``[B, T, H]``. Only minigrad operations,
so that gradients flow to the inputs and to the cell's parameters.
"""

from __future__ import annotations

from typing import Any

import minigrad as mg


def run_rnn(cell: Any, inputs: mg.Tensor, state: Any) -> tuple[mg.Tensor, Any]:
    """``(outputs [B, T, H], final_state)`` of ``cell`` run over ``inputs`` ``[B, T, I]``."""
    outputs = []
    for t in range(inputs.shape[1]):
        output, state = cell(inputs[:, t, :], state)
        outputs.append(output)
    return mg.stack(outputs, axis=1), state
