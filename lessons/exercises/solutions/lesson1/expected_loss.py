"""Exercise lesson1.expected_loss: the best cross-entropy a model can reach on lesson 1's task.

The targets follow ``P(Y_t = 1) = base + first * X_{t-3} + second * X_{t-8}``
with independent fair coin flips X (lesson 1: base 0.5, first 0.5, second -0.25).
The four situations (X_{t-3}, X_{t-8}) = 00, 10, 01, 11 are equally likely.

A model that knows some of the echoes can tell some situations apart; in each
group of situations it cannot tell apart, the best it can do is predict their
average probability q. Its expected cross-entropy, in nats, is the mean over
the four situations of::

    -[p * log(q) + (1 - p) * log(1 - q)]      (with 0 * log(0) = 0)

where p is the true probability in that situation and q the model's prediction.
Lesson 1's three numbers: knows neither echo 0.661563, the first 0.519167,
both 0.454454.
"""

from __future__ import annotations

import math


def expected_cross_entropy(
    knows_first: bool,
    knows_second: bool,
    base: float = 0.5,
    first: float = 0.5,
    second: float = -0.25,
) -> float:
    """The expected cross-entropy (nats) of the best model that knows the echoes it is told.

    ``knows_first``: the model sees X_{t-3}; ``knows_second``: it sees X_{t-8}.
    """
    situations = [(a, b) for a in (0, 1) for b in (0, 1)]

    def probability(a: int, b: int) -> float:
        return base + first * a + second * b

    def seen(a: int, b: int) -> tuple[int | None, int | None]:
        return (a if knows_first else None, b if knows_second else None)

    total = 0.0
    for a, b in situations:
        group = [s for s in situations if seen(*s) == seen(a, b)]
        q = sum(probability(*s) for s in group) / len(group)
        total += _cross_entropy(probability(a, b), q)
    return total / len(situations)


def _cross_entropy(p: float, q: float) -> float:
    """-[p log q + (1 - p) log(1 - q)], skipping terms whose weight is 0."""
    loss = 0.0
    if p > 0:
        loss -= p * math.log(q)
    if p < 1:
        loss -= (1 - p) * math.log(1 - q)
    return loss
