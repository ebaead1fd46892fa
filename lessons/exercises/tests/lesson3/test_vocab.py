"""Graded tests of lesson3.vocab: the sorted vocabulary, encode and decode."""

import numpy as np
import pytest

from minigrad.lessons.grader.checks import StudentError, assert_equal, check, seeds, student

pytestmark = pytest.mark.exercise("lesson3.vocab")

ALPHABET = list("abcdefghijklmnopqrstuvwxyzABCDEZ0123456789 .,;:!?'\n\t-ñéüß")


def random_text(seed: int) -> str:
    rng = np.random.default_rng(seed)
    chars = rng.choice(ALPHABET, size=int(rng.integers(5, 25)), replace=False)
    return "".join(rng.choice(chars, size=int(rng.integers(30, 200))))


@pytest.mark.parametrize("seed", seeds())
def test_vocabulary_is_sorted(seed: int) -> None:
    """build_vocab: the distinct characters, sorted, and the map back to their ids"""
    text = random_text(seed)
    out = student("build_vocab")(text)
    check(
        isinstance(out, tuple) and len(out) == 2,
        "build_vocab should return (idx_to_vocab, vocab_to_idx)",
    )
    idx_to_vocab, vocab_to_idx = out
    expected = sorted(set(text))
    check(
        list(idx_to_vocab) == expected,
        f"idx_to_vocab should be the sorted distinct characters {expected!r}, "
        f"got {list(idx_to_vocab)!r}",
    )
    check(
        dict(vocab_to_idx) == {ch: i for i, ch in enumerate(expected)},
        "vocab_to_idx[ch] should be the id of ch",
    )


@pytest.mark.parametrize("seed", seeds())
def test_encode_and_decode(seed: int) -> None:
    """encode gives int64 ids, decode turns them back into the same text"""
    text = random_text(seed)
    idx_to_vocab = sorted(set(text))
    vocab_to_idx = {ch: i for i, ch in enumerate(idx_to_vocab)}
    ids = student("encode")(text, vocab_to_idx)
    check(
        isinstance(ids, np.ndarray), f"encode should return a NumPy array, got {type(ids).__name__}"
    )
    check(ids.dtype == np.int64, f"encode should give int64 ids, got {ids.dtype}")
    assert_equal(
        ids, np.array([vocab_to_idx[ch] for ch in text]), f"encode of a {len(text)}-character text"
    )
    back = student("decode")(ids, idx_to_vocab)
    check(back == text, f"decode(encode(text)) should give the text back, got {back[:40]!r}...")


def test_unknown_character() -> None:
    """encode refuses a character that is not in the vocabulary, naming it"""
    try:
        student("encode")("abcz", {"a": 0, "b": 1, "c": 2})
    except StudentError as exc:
        if exc.type == "KeyError":
            raise AssertionError(
                "encode raised KeyError for an unknown character; raise ValueError naming it "
                "instead"
            ) from None
        if exc.type != "ValueError":
            raise
        check(
            "z" in exc.message,
            f"the ValueError should name the unknown character 'z': {exc.message}",
        )
    else:
        raise AssertionError(
            "encode('abcz', ...) with no 'z' in the vocabulary should raise ValueError"
        )
