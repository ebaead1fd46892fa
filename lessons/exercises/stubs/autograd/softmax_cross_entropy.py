"""Exercise autograd.softmax_cross_entropy: the loss of every model in the lessons, by hand.

For logits ``z`` ``[N, C]`` and integer targets ``t`` ``[N]``::

    loss = (1/N) * sum_n [ log(sum_c exp(z[n, c])) - z[n, t[n]] ]
    dloss/dz[n, c] = (softmax(z)[n, c] - [c == t[n]]) / N

Compute the log-sum-exp stably: subtract each row's maximum first, so that
logits like 1000 do not overflow. ``forward`` returns a 0-d array (a scalar) of
the logits' dtype; ``backward`` returns the gradient for the logits only (the
targets are a keyword parameter, not an input Tensor).

Grade it with ``minigrad grade autograd.softmax_cross_entropy``;
``minigrad hint autograd.softmax_cross_entropy`` shows one more hint each time you ask.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg


class SoftmaxCrossEntropy(mg.Function):
    """Mean cross-entropy between softmax(logits) and integer targets, in nats."""

    @staticmethod
    def forward(ctx: Any, logits: Any, targets: Any) -> Any:
        """The mean loss (a 0-d array) of ``logits`` ``[N, C]`` against ``targets`` ``[N]``."""
        raise NotImplementedError(
            "autograd.softmax_cross_entropy: write SoftmaxCrossEntropy.forward"
        )

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        """dL/dlogits = dL/dloss * (softmax(logits) - one_hot(targets)) / N."""
        raise NotImplementedError(
            "autograd.softmax_cross_entropy: write SoftmaxCrossEntropy.backward"
        )


def softmax_cross_entropy(logits: mg.Tensor, targets: Any) -> mg.Tensor:
    """The mean loss of ``logits`` Tensor ``[N, C]`` against integer ``targets`` ``[N]``."""
    targets = mg.backend.to_device(np.asarray(targets), logits.device)
    return SoftmaxCrossEntropy.apply(logits, targets=targets)
