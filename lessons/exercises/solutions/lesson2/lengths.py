"""Exercise lesson2.lengths: sequences of different lengths in one batch.

As ``run_rnn``, but example b is only ``lengths[b]`` steps long (TensorFlow's
``sequence_length`` rule)::

    t <  lengths[b]:  output_t = the cell's output,  state updated
    t >= lengths[b]:  output_t = 0,                  state copied through unchanged

So each example's final state is its state after its last real step, and the
padded steps get no gradient. ``mg.where(condition [B, 1], a, b)`` picks rows;
a state may be a Tensor or a tuple of Tensors (treat each part the same way).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg


def run_rnn_with_lengths(
    cell: Any, inputs: mg.Tensor, state: Any, lengths: Any
) -> tuple[mg.Tensor, Any]:
    """``(outputs [B, T, H], final_state)`` with example b stopped after ``lengths[b]`` steps."""
    lengths = np.asarray(lengths)
    outputs = []
    for t in range(inputs.shape[1]):
        output, new_state = cell(inputs[:, t, :], state)
        running = (t < lengths)[:, None]
        outputs.append(mg.where(running, output, 0.0))
        if isinstance(new_state, tuple):
            state = tuple(mg.where(running, n, o) for n, o in zip(new_state, state))
        else:
            state = mg.where(running, new_state, state)
    return mg.stack(outputs, axis=1), state
