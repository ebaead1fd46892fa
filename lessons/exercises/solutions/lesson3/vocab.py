"""Exercise lesson3.vocab: the character vocabulary of a text, and encoding both ways.

The vocabulary is the SORTED set of the text's distinct characters (r2rt used
``set()`` alone, whose order changes between Python runs, so saved models could
not be reloaded). ``idx_to_vocab[i]`` is the character with id i,
``vocab_to_idx[ch]`` its id.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def build_vocab(text: str) -> tuple[list[str], dict[str, int]]:
    """``(idx_to_vocab, vocab_to_idx)`` for the distinct characters of ``text``, sorted."""
    idx_to_vocab = sorted(set(text))
    return idx_to_vocab, {ch: i for i, ch in enumerate(idx_to_vocab)}


def encode(text: str, vocab_to_idx: dict[str, int]) -> np.ndarray:
    """The ids of ``text``'s characters, an int64 array.

    A character that is not in the vocabulary raises ``ValueError`` naming it.
    """
    unknown = sorted(set(text) - set(vocab_to_idx))
    if unknown:
        raise ValueError(f"characters not in the vocabulary: {unknown}")
    return np.array([vocab_to_idx[ch] for ch in text], dtype=np.int64)


def decode(ids: Sequence[int], idx_to_vocab: Sequence[str]) -> str:
    """The text whose character ids are ``ids``."""
    return "".join(idx_to_vocab[int(i)] for i in ids)
