"""The vocabulary of a character-level model: every distinct character, in sorted order.

r2rt's tutorial built it with ``set(text)``, whose order changes from one
Python run to the next (string hashing is randomised), so a saved model could
not be reloaded reliably. Sorting the set fixes the order: the same text
always gives the same ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from minigrad.errors import DataError


def describe_char(ch: str) -> str:
    """A character as a person can read it in a message: ``'a'``, ``'\\n'``, ``U+00E9 'é'``."""
    if ch.isprintable() and ch != " ":
        return repr(ch)
    return f"{ch!r} (U+{ord(ch):04X})"


class Vocabulary:
    """The sorted set of characters of a text, with the maps both ways.

    ``idx_to_vocab[i]`` is the character with id ``i``; ``vocab_to_idx[ch]``
    its id. ``encode`` turns text into an int64 array of ids, ``decode`` the
    reverse.
    """

    def __init__(self, chars: Iterable[str]) -> None:
        chars = list(chars)
        if any(not isinstance(c, str) or len(c) != 1 for c in chars):
            raise DataError("a vocabulary is made of single characters")
        if len(set(chars)) != len(chars):
            raise DataError("a vocabulary cannot list a character twice")
        self.idx_to_vocab: list[str] = chars
        self.vocab_to_idx: dict[str, int] = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        """The vocabulary of ``text``: its distinct characters, sorted by code point."""
        if not text:
            raise DataError("cannot build a vocabulary from empty text")
        return cls(sorted(set(text)))

    @classmethod
    def from_string(cls, chars: str) -> Vocabulary:
        """Rebuild from ``as_string()`` (the form stored in checkpoints)."""
        return cls(list(chars))

    def as_string(self) -> str:
        """All characters in id order, as one string (JSON-friendly, for checkpoints)."""
        return "".join(self.idx_to_vocab)

    def __len__(self) -> int:
        return len(self.idx_to_vocab)

    def __contains__(self, ch: object) -> bool:
        return ch in self.vocab_to_idx

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.idx_to_vocab == other.idx_to_vocab

    def __hash__(self) -> int:
        return hash(self.as_string())

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} characters)"

    def unknown(self, text: str) -> list[str]:
        """The characters of ``text`` that are not in the vocabulary, most frequent first."""
        counts = Counter(ch for ch in text if ch not in self.vocab_to_idx)
        return [ch for ch, _ in counts.most_common()]

    def encode(self, text: str, what: str = "text") -> np.ndarray:
        """``text`` -> int64 ids. Raises ``DataError`` naming every unknown character.

        ``what`` names the text in the message (e.g. ``"--prime"``).
        """
        missing = self.unknown(text)
        if missing:
            shown = ", ".join(describe_char(c) for c in missing[:20])
            more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
            raise DataError(
                f"{what} contains {len(missing)} character(s) outside the model's vocabulary "
                f"of {len(self)}: {shown}{more}. Use only characters the model was trained on"
            )
        lookup = self.vocab_to_idx
        return np.fromiter((lookup[ch] for ch in text), dtype=np.int64, count=len(text))

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """Ids -> text. Raises ``DataError`` for an id outside ``0..len-1``."""
        flat = np.asarray(ids, dtype=np.int64).reshape(-1)
        if flat.size and (flat.min() < 0 or flat.max() >= len(self)):
            raise DataError(
                f"cannot decode id {int(flat.max() if flat.max() >= len(self) else flat.min())}: "
                f"ids run from 0 to {len(self) - 1}"
            )
        table = self.idx_to_vocab
        return "".join(table[i] for i in flat.tolist())

    def difference(self, other: Vocabulary) -> str:
        """A short human description of how ``other`` differs from this vocabulary."""
        mine, theirs = set(self.idx_to_vocab), set(other.idx_to_vocab)
        parts = []
        if theirs - mine:
            extra = sorted(theirs - mine)
            parts.append("new characters " + ", ".join(describe_char(c) for c in extra[:10]))
        if mine - theirs:
            gone = sorted(mine - theirs)
            parts.append("missing characters " + ", ".join(describe_char(c) for c in gone[:10]))
        if not parts and self.idx_to_vocab != other.idx_to_vocab:
            parts.append("the same characters in a different order")
        return "; ".join(parts) or "identical"
