"""Exercise lesson3.sampling: drawing the next character, with a temperature and top-k.

From the logits z of the next character::

    p = softmax(z / temperature)

Below 1 the temperature makes likely characters likelier (safer text), above 1
it flattens the distribution; ``temperature == 0`` means always the most likely
character (p is 1 there, 0 elsewhere). With ``top_k > 0`` only the k largest
logits keep their chance (every logit >= the k-th largest), the rest get
probability 0, and p is renormalised; ``top_k == 0`` keeps them all (r2rt and
the seminar used k = 5, no temperature).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def next_char_probs(logits: Any, temperature: float = 1.0, top_k: int = 0) -> np.ndarray:
    """The probabilities (float64, summing to 1) the next character is drawn from."""
    z = np.asarray(logits, dtype=np.float64).reshape(-1)
    if temperature == 0:
        p = np.zeros_like(z)
        p[int(np.argmax(z))] = 1.0
        return p
    z = z / temperature
    if 0 < top_k < z.size:
        kth_largest = np.sort(z)[-top_k]
        z = np.where(z >= kth_largest, z, -np.inf)
    e = np.exp(z - z.max())
    return e / e.sum()


def sample(logits: Any, rng: np.random.Generator, temperature: float = 1.0, top_k: int = 0) -> int:
    """Draw one character id from ``next_char_probs(logits, temperature, top_k)`` using ``rng``."""
    p = next_char_probs(logits, temperature, top_k)
    return int(rng.choice(p.size, p=p))
