"""Exercise lesson3.batches: the PTB-style batch iterator of the character model.

The ids are cut into ``batch_size`` contiguous rows (the tail that does not
fill a row is dropped); batch k takes T = ``num_steps`` columns of every row as
the input, and the same columns shifted by one as the target::

    batch_len  = len(data) // batch_size
    rows[i]    = data[i * batch_len : (i + 1) * batch_len]
    epoch_size = (batch_len - 1) // num_steps          (the -1 leaves room for the last target)
    x_k = rows[:, k*T : (k+1)*T]        y_k = rows[:, k*T + 1 : (k+1)*T + 1]

Row i of batch k+1 continues row i of batch k, so the model's final state of
one batch is the right initial state of the next.

Grade it with ``minigrad grade lesson3.batches``;
``minigrad hint lesson3.batches`` shows one more hint each time you ask.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def epoch_size(num_ids: int, batch_size: int, num_steps: int) -> int:
    """How many batches one epoch over ``num_ids`` ids has."""
    raise NotImplementedError("lesson3.batches: write epoch_size")


def ptb_iterator(
    data: np.ndarray, batch_size: int, num_steps: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield the epoch's batches ``(x, y)``, each ``[batch_size, num_steps]``."""
    raise NotImplementedError("lesson3.batches: write ptb_iterator")
