"""Lesson 3's vocabulary: the sorted set of characters and the maps both ways."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minigrad.errors import DataError
from minigrad.lessons.charlm.vocab import Vocabulary

SHAKESPEARE = Path(__file__).resolve().parents[3] / "shared" / "data" / "tinyshakespeare.txt"


def test_vocabulary_is_the_sorted_set_of_characters() -> None:
    vocab = Vocabulary.from_text("hello, world\n")
    assert vocab.idx_to_vocab == ["\n", " ", ",", "d", "e", "h", "l", "o", "r", "w"]
    assert vocab.vocab_to_idx == {c: i for i, c in enumerate(vocab.idx_to_vocab)}
    assert len(vocab) == 10 and "w" in vocab and "x" not in vocab


def test_same_text_same_ids_whatever_the_order_characters_first_appear() -> None:
    assert Vocabulary.from_text("abc") == Vocabulary.from_text("cba")


def test_encode_decode_round_trip() -> None:
    text = "hello, world\n"
    vocab = Vocabulary.from_text(text)
    ids = vocab.encode(text)
    assert ids.dtype == np.int64
    assert ids.tolist() == [5, 4, 6, 6, 7, 2, 1, 9, 7, 8, 6, 3, 0]
    assert vocab.decode(ids) == text
    assert Vocabulary.from_string(vocab.as_string()) == vocab


@pytest.mark.skipif(not SHAKESPEARE.exists(), reason=f"no {SHAKESPEARE}")
def test_tinyshakespeare_ids_match_the_well_known_ones() -> None:
    # nanoGPT's char tokenizer (also a sorted set) encodes the first words so.
    vocab = Vocabulary.from_text(SHAKESPEARE.read_text(encoding="utf-8"))
    assert len(vocab) == 65
    assert vocab.encode("First Citizen").tolist() == [
        18, 47, 56, 57, 58, 1, 15, 47, 58, 47, 64, 43, 52,
    ]  # fmt: skip
    assert vocab.idx_to_vocab[:3] == ["\n", " ", "!"]


def test_unknown_characters_are_named_most_frequent_first() -> None:
    vocab = Vocabulary.from_text("abc")
    with pytest.raises(DataError) as info:
        vocab.encode("abz\tzé", what="--prime")
    message = str(info.value)
    assert message.startswith("--prime contains 3 character(s) outside")
    assert message.index("'z'") < message.index("U+0009") < message.index("'é'")
    assert "vocabulary of 3" in message


def test_decode_rejects_ids_outside_the_vocabulary() -> None:
    vocab = Vocabulary.from_text("abc")
    with pytest.raises(DataError, match="ids run from 0 to 2"):
        vocab.decode([0, 3])


def test_a_vocabulary_cannot_repeat_a_character() -> None:
    with pytest.raises(DataError, match="twice"):
        Vocabulary(["a", "a"])


def test_difference_explains_what_changed() -> None:
    a, b = Vocabulary.from_text("abc"), Vocabulary.from_text("abd")
    assert a.difference(b) == "new characters 'd'; missing characters 'c'"
    assert a.difference(a) == "identical"
