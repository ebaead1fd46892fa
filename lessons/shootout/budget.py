"""Equal parameters: the hidden size that gives each cell the same number of weights.

A cell with four gate blocks (the LSTM) has about four times the weights of a
plain RNN of the same width, so comparing them at one hidden size compares a
big model with a small one. Instead each cell gets the hidden size whose whole
model (cell, read-out and, for language models, the embedding) comes closest
to the parameter budget. The count only grows with the hidden size, so an
exponential search brackets the budget and a bisection finds the closest size.
"""

from __future__ import annotations

from collections.abc import Callable

from minigrad.errors import OptionError

#: No cell is grown wider than this while searching (the budget is then out of reach).
MAX_HIDDEN = 4096


def match_hidden_size(count: Callable[[int], int], budget: int, who: str = "cell") -> int:
    """The hidden size ``h`` whose ``count(h)`` is closest to ``budget`` (ties: the smaller).

    ``count(h)`` must grow with ``h``. Raises ``OptionError`` when even
    ``h = 1`` is over the budget by more than half (the budget is too small
    for this model).
    """
    low_count = count(1)
    if low_count > 1.5 * budget:
        raise OptionError(
            f"{who}: a parameter budget of {budget:,} is too small, the model has {low_count:,} "
            "parameters at hidden size 1; raise the budget"
        )
    high = 1
    while count(high) < budget and high < MAX_HIDDEN:
        high *= 2
    low = max(1, high // 2)
    while high - low > 1:  # count(low) < budget <= count(high), or high is 1
        middle = (low + high) // 2
        if count(middle) < budget:
            low = middle
        else:
            high = middle
    return min((low, high), key=lambda h: (abs(count(h) - budget), h))
