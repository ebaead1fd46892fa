"""Exercise lesson3.sampling: drawing the next character, with a temperature and top-k.

From the logits z of the next character::

    p = softmax(z / temperature)

Below 1 the temperature makes likely characters likelier (safer text), above 1
it flattens the distribution; ``temperature == 0`` means always the most likely
character (p is 1 there, 0 elsewhere). With ``top_k > 0`` only the k largest
logits keep their chance (every logit >= the k-th largest), the rest get
probability 0, and p is renormalised; ``top_k == 0`` keeps them all (r2rt and
the seminar used k = 5, no temperature).

Grade it with ``minigrad grade lesson3.sampling``;
``minigrad hint lesson3.sampling`` shows one more hint each time you ask.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def next_char_probs(logits: Any, temperature: float = 1.0, top_k: int = 0) -> np.ndarray:
    """The probabilities (float64, summing to 1) the next character is drawn from."""
    raise NotImplementedError("lesson3.sampling: write next_char_probs")


def sample(logits: Any, rng: np.random.Generator, temperature: float = 1.0, top_k: int = 0) -> int:
    """Draw one character id from ``next_char_probs(logits, temperature, top_k)`` using ``rng``."""
    raise NotImplementedError("lesson3.sampling: write sample")
