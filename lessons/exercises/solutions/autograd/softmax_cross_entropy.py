"""Exercise autograd.softmax_cross_entropy: the loss of every model in the lessons, by hand.

For logits ``z`` ``[N, C]`` and integer targets ``t`` ``[N]``::

    loss = (1/N) * sum_n [ log(sum_c exp(z[n, c])) - z[n, t[n]] ]
    dloss/dz[n, c] = (softmax(z)[n, c] - [c == t[n]]) / N

Compute the log-sum-exp stably: subtract each row's maximum first, so that
logits like 1000 do not overflow. ``forward`` returns a 0-d array (a scalar) of
the logits' dtype; ``backward`` returns the gradient for the logits only (the
targets are a keyword parameter, not an input Tensor).
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
        xp = mg.backend.get_array_module(logits)
        n = logits.shape[0]
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        ctx.save_for_backward(log_probs, targets)
        return xp.asarray(-log_probs[xp.arange(n), targets].mean(), dtype=logits.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        """dL/dlogits = dL/dloss * (softmax(logits) - one_hot(targets)) / N."""
        log_probs, targets = ctx.saved
        xp = mg.backend.get_array_module(log_probs)
        n = log_probs.shape[0]
        g = xp.exp(log_probs)
        g[xp.arange(n), targets] -= 1
        return g * (grad / n)


def softmax_cross_entropy(logits: mg.Tensor, targets: Any) -> mg.Tensor:
    """The mean loss of ``logits`` Tensor ``[N, C]`` against integer ``targets`` ``[N]``."""
    targets = mg.backend.to_device(np.asarray(targets), logits.device)
    return SoftmaxCrossEntropy.apply(logits, targets=targets)
