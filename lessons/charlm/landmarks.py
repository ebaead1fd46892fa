"""What a loss sounds like: landmarks to judge a character model's samples honestly.

A validation loss of 2.4 nats/char and a sample like ``UD$$fqSYPvc`` go
together: such a model is barely past the bigram line, and its text is
letter soup. The landmarks below say what text to expect at each loss, so a
student reads a sample against its loss instead of deciding that the code is
broken. The three baselines come from the corpus itself (see baselines.py);
the two word-level landmarks are rough, read off tiny-shakespeare samples
(other texts shift them a little).
"""

from __future__ import annotations

from dataclasses import dataclass

from .baselines import Baselines

#: Below this, short common words appear ("the", "and", "my").
WORDS_BELOW = 2.0
#: Below this, speakers' names, colons and line breaks fall into place.
NAMES_BELOW = 1.6


@dataclass(frozen=True)
class Landmark:
    """A loss and what samples of a model at that loss look like."""

    loss: float
    name: str
    text: str


def landmarks(base: Baselines) -> list[Landmark]:
    """The landmarks from worst to best (the baselines of this corpus, then the word ones)."""
    marks = [
        Landmark(base.uniform, "uniform", "random characters"),
        Landmark(base.unigram, "unigram", "common letters and spaces, no words"),
        Landmark(base.bigram, "bigram", "letter pairs that look right, still no words"),
        Landmark(WORDS_BELOW, "~2.0", "short common words appear"),
        Landmark(NAMES_BELOW, "~1.6", "names, colons and line breaks in place"),
    ]
    return sorted(marks, key=lambda mark: -mark.loss)


def judge(loss: float, base: Baselines) -> str:
    """What samples at ``loss`` should look like: the best landmark passed, and the next one.

    E.g. ``"past bigram (2.49), not yet ~2.0: expect letter pairs that look right, still
    no words"``.
    """
    marks = landmarks(base)
    passed = [mark for mark in marks if loss <= mark.loss]
    if not passed:
        return f"above uniform ({marks[0].loss:.2f}): the model has not started learning"
    best = passed[-1]
    following = marks[len(passed)] if len(passed) < len(marks) else None
    not_yet = f", not yet {following.name} ({following.loss:.2f})" if following else ""
    return f"past {best.name} ({best.loss:.2f}){not_yet}: expect {best.text}"


GREEDY_NOTE = (
    "Greedy decoding (temperature 0) always takes the single most likely character, so it "
    'falls into loops ("the the the", "&&&" for an undertrained model): that is the '
    "decoding, not a broken model. Sampling (temperature 0.5 to 1) breaks the loops."
)
