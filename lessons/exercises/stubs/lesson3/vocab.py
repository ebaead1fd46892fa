"""Exercise lesson3.vocab: the character vocabulary of a text, and encoding both ways.

The vocabulary is the SORTED set of the text's distinct characters (r2rt used
``set()`` alone, whose order changes between Python runs, so saved models could
not be reloaded). ``idx_to_vocab[i]`` is the character with id i,
``vocab_to_idx[ch]`` its id.

Grade it with ``minigrad grade lesson3.vocab``;
``minigrad hint lesson3.vocab`` shows one more hint each time you ask.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def build_vocab(text: str) -> tuple[list[str], dict[str, int]]:
    """``(idx_to_vocab, vocab_to_idx)`` for the distinct characters of ``text``, sorted."""
    raise NotImplementedError("lesson3.vocab: write build_vocab")


def encode(text: str, vocab_to_idx: dict[str, int]) -> np.ndarray:
    """The ids of ``text``'s characters, an int64 array.

    A character that is not in the vocabulary raises ``ValueError`` naming it.
    """
    raise NotImplementedError("lesson3.vocab: write encode")


def decode(ids: Sequence[int], idx_to_vocab: Sequence[str]) -> str:
    """The text whose character ids are ``ids``."""
    raise NotImplementedError("lesson3.vocab: write decode")
