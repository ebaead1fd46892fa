"""Exercise lesson4.adding_batch: a batch of the adding problem.

Each of the ``batch_size`` examples is a sequence of ``length`` steps with two
features per step::

    x[b, t, 0] = a number drawn uniformly from [0, 1)
    x[b, t, 1] = 1 at exactly two steps: one in the first half (t < length // 2)
                 and one in the second half (t >= length // 2); 0 everywhere else
    y[b]       = the sum of the two numbers whose marker is 1
"""

from __future__ import annotations

import numpy as np


def adding_batch(
    batch_size: int, length: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``x`` [batch_size, length, 2] and ``y`` [batch_size], both float32."""
    half = length // 2
    values = rng.random((batch_size, length))
    rows = np.arange(batch_size)
    first = rng.integers(0, half, batch_size)
    second = rng.integers(half, length, batch_size)
    markers = np.zeros((batch_size, length))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)
    return x, y
