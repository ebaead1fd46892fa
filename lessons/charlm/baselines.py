"""Reference losses a student can understand, computed from the corpus split.

All three are cross-entropies in nats per character, the unit of the
model's loss, so they can be drawn as horizontal lines on its loss chart:

* **uniform**: every character equally likely, ``ln(vocab_size)``. A model
  that learned nothing at all.
* **unigram**: each character with its frequency in the training text,
  ignoring context: the entropy ``-sum p(c) ln p(c)`` of those frequencies.
  A model that learned which letters are common.
* **bigram (held-out)**: ``p(next | current)`` counted on the training text
  (with add-one smoothing so unseen pairs are not impossible) and scored on
  the *validation* text. A model that looks back exactly one character.
  An RNN that does not beat this has not learned to use its memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Baselines:
    """The three reference losses (nats/char) for one corpus split."""

    uniform: float
    unigram: float
    bigram: float

    def as_dict(self) -> dict[str, float]:
        """``{"uniform": ..., "unigram": ..., "bigram": ...}`` for the JSON summary."""
        return {"uniform": self.uniform, "unigram": self.unigram, "bigram": self.bigram}


def uniform_loss(vocab_size: int) -> float:
    """``ln(vocab_size)``: the loss of guessing uniformly among ``vocab_size`` characters."""
    return math.log(vocab_size)


def unigram_entropy(ids: np.ndarray, vocab_size: int) -> float:
    """Entropy (nats) of the character frequencies in ``ids``."""
    counts = np.bincount(np.asarray(ids), minlength=vocab_size).astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def bigram_heldout(
    train: np.ndarray, val: np.ndarray, vocab_size: int, alpha: float = 1.0
) -> float:
    """Cross-entropy on ``val`` of the bigram model counted on ``train`` (add-``alpha``).

    ``p(b | a) = (count(a, b) + alpha) / (count(a, ·) + alpha · V)``. Only the
    pairs that occur are counted (sorted pair codes ``a·V + b``), never a
    ``V × V`` table: memory grows with the text, not with the vocabulary, so a
    corpus with 20,000 distinct characters costs what one with 65 does.
    """
    train = np.asarray(train, dtype=np.int64)
    val = np.asarray(val, dtype=np.int64)
    size = np.int64(vocab_size)
    codes, counts = np.unique(train[:-1] * size + train[1:], return_counts=True)
    row_totals = np.bincount(train[:-1], minlength=vocab_size).astype(np.float64)
    asked = val[:-1] * size + val[1:]
    where = np.searchsorted(codes, asked)
    where = np.minimum(where, max(len(codes) - 1, 0))
    seen = codes[where] == asked if len(codes) else np.zeros(len(asked), dtype=bool)
    pair_counts = np.where(seen, counts[where] if len(codes) else 0, 0).astype(np.float64)
    probs = (pair_counts + alpha) / (row_totals[val[:-1]] + alpha * vocab_size)
    return float(-np.log(probs).mean())


def compute_baselines(train: np.ndarray, val: np.ndarray, vocab_size: int) -> Baselines:
    """The uniform, unigram and held-out bigram losses for this train/validation split."""
    return Baselines(
        uniform=uniform_loss(vocab_size),
        unigram=unigram_entropy(train, vocab_size),
        bigram=bigram_heldout(train, val, vocab_size),
    )
