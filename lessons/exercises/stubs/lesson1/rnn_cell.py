"""Exercise lesson1.rnn_cell: the basic RNN cell of lesson 1, forward, with minigrad ops.

One step of the cell (row vectors, batch first)::

    s_t = tanh([x_t, s_{t-1}] @ W + b)

``x`` is ``[B, I]``, ``s`` is ``[B, H]``, ``W`` is ``[I + H, H]`` (the rows that
multiply x first), ``b`` is ``[H]``; the result is ``[B, H]``. Build it from
minigrad operations (``mg.concat``, ``@``, ``+``, ``mg.tanh``) so that
gradients flow back to x, s, W and b.

Grade it with ``minigrad grade lesson1.rnn_cell``;
``minigrad hint lesson1.rnn_cell`` shows one more hint each time you ask.
"""

from __future__ import annotations

import minigrad as mg


def rnn_cell(x: mg.Tensor, s: mg.Tensor, W: mg.Tensor, b: mg.Tensor) -> mg.Tensor:
    """The new state ``tanh(concat([x, s], axis=1) @ W + b)``, ``[B, H]``."""
    raise NotImplementedError("lesson1.rnn_cell: write rnn_cell")
