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

Grade it with ``minigrad grade lesson1.expected_loss``;
``minigrad hint lesson1.expected_loss`` shows one more hint each time you ask.
"""

from __future__ import annotations

import math  # noqa: F401 - for your code


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
    raise NotImplementedError("lesson1.expected_loss: write expected_cross_entropy")
