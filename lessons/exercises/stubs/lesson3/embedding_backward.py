"""Exercise lesson3.embedding_backward: the embedding lookup as a Function, and its backward.

Forward picks rows of the table: ``out = weight[ids]`` (``weight`` [V, D],
integer ``ids`` of any shape, e.g. [B, T], gives [B, T, D]). Backward sends
each output row's gradient back to the row it came from. The trap: an id that
appears several times must receive the SUM of all its gradients, and
``g[ids] += grad`` keeps only one of them (NumPy buffers fancy-index
assignment). ``np.add.at`` (or ``minigrad.backend.scatter_add``) accumulates.

Grade it with ``minigrad grade lesson3.embedding_backward``;
``minigrad hint lesson3.embedding_backward`` shows one more hint each time you ask.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg


class Embedding(mg.Function):
    """out = weight[ids]; dL/dweight[v] = sum of dL/dout over the positions where ids == v."""

    @staticmethod
    def forward(ctx: Any, weight: Any, ids: Any) -> Any:
        """The rows of ``weight`` picked by ``ids`` (a keyword parameter, not a Tensor)."""
        raise NotImplementedError("lesson3.embedding_backward: write Embedding.forward")

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        """The gradient of the table: zeros, plus every row's gradient added at its id."""
        raise NotImplementedError("lesson3.embedding_backward: write Embedding.backward")


def embed(weight: mg.Tensor, ids: Any) -> mg.Tensor:
    """``Embedding`` applied to the table ``weight`` ``[V, D]`` and integer ``ids``."""
    ids = mg.backend.to_device(np.asarray(ids), weight.device)
    return Embedding.apply(weight, ids=ids)
