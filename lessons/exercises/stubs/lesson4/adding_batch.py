"""Exercise lesson4.adding_batch: a batch of the adding problem.

Each of the ``batch_size`` examples is a sequence of ``length`` steps with two
features per step::

    x[b, t, 0] = a number drawn uniformly from [0, 1)
    x[b, t, 1] = 1 at exactly two steps: one in the first half (t < length // 2)
                 and one in the second half (t >= length // 2); 0 everywhere else
    y[b]       = the sum of the two numbers whose marker is 1

Return ``x`` as a float32 array [batch_size, length, 2] and ``y`` as a float32
array [batch_size]. Draw every random number from ``rng`` (a NumPy Generator),
so that the same seed gives the same batch.

Grade it with ``minigrad grade lesson4.adding_batch``;
``minigrad hint lesson4.adding_batch`` shows one more hint each time you ask.
"""

from __future__ import annotations

import numpy as np


def adding_batch(
    batch_size: int, length: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``x`` [batch_size, length, 2] and ``y`` [batch_size], both float32."""
    raise NotImplementedError("lesson4.adding_batch: write adding_batch")
