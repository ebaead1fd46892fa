"""Batches laid out as the PTB iterator does, and the train/validation split.

The id sequence is cut into ``batch_size`` contiguous rows of ``batch_len``
characters each (the tail that does not fill a row is dropped)::

    row i = data[i * batch_len : (i + 1) * batch_len]

Batch k takes the columns ``k*T .. (k+1)*T`` of every row as ``x`` and the
same columns shifted by one as ``y`` (the character that follows each input)::

    x = rows[:, k*T : (k+1)*T]        y = rows[:, k*T + 1 : (k+1)*T + 1]

So row i of batch k+1 continues row i of batch k exactly where it stopped:
the final state of one batch is the right initial state of the next, and
the state is carried across batches (truncated BPTT). One epoch has
``(batch_len - 1) // T`` batches; the "- 1" leaves room for the last target.
Batch 32, T 200 on tiny-shakespeare's 1,115,394 characters gives 174.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from minigrad.errors import DataError


def batch_layout(data: np.ndarray, batch_size: int) -> np.ndarray:
    """The ids cut into ``[batch_size, batch_len]`` contiguous rows (the tail dropped)."""
    data = np.asarray(data)
    batch_len = len(data) // batch_size
    return data[: batch_size * batch_len].reshape(batch_size, batch_len)


def epoch_size(num_chars: int, batch_size: int, num_steps: int) -> int:
    """Batches per epoch: ``(num_chars // batch_size - 1) // num_steps`` (never negative)."""
    return max(0, (num_chars // batch_size - 1) // num_steps)


def min_chars(batch_size: int, num_steps: int) -> int:
    """The fewest characters that give one batch: ``batch_size * (num_steps + 1)``."""
    return batch_size * (num_steps + 1)


def check_enough(num_chars: int, batch_size: int, num_steps: int, what: str) -> None:
    """Raise ``DataError`` naming ``what`` when it is too short for one batch."""
    for label, value in (("batch_size", batch_size), ("num_steps", num_steps)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise DataError(f"{label} must be a positive integer, got {value!r}")
    need = min_chars(batch_size, num_steps)
    if num_chars < need:
        raise DataError(
            f"{what} has {num_chars} characters, shorter than one batch: batch_size "
            f"{batch_size} x (num_steps {num_steps} + 1) needs at least {need}. Use a longer "
            "text, or a smaller --batch-size / --num-steps"
        )


def ptb_iterator(
    data: np.ndarray, batch_size: int, num_steps: int, start: int = 0
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield the epoch's ``(x, y)`` batches, each ``[batch_size, num_steps]`` int64, from ``start``.

    ``start`` skips the first batches (resuming in the middle of an epoch).
    Raises ``DataError`` when ``data`` is too short for a single batch.
    """
    check_enough(len(data), batch_size, num_steps, "the data")
    rows = batch_layout(np.asarray(data, dtype=np.int64), batch_size)
    for k in range(start, epoch_size(len(data), batch_size, num_steps)):
        lo = k * num_steps
        yield rows[:, lo : lo + num_steps], rows[:, lo + 1 : lo + num_steps + 1]


def train_val_split(data: np.ndarray, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """The first ``1 - val_fraction`` of the ids for training, the rest for validation.

    A contiguous split, not a shuffled one: validation text the model has
    never seen, not sentences interleaved with the ones it trains on.
    """
    if not 0.0 < val_fraction < 1.0:
        raise DataError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    cut = int(round(len(data) * (1.0 - val_fraction)))
    return data[:cut], data[cut:]
