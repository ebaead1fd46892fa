"""One reading of --prime for lesson 3 and `minigrad generate`: escapes, defaults, errors."""

from __future__ import annotations

import pytest

from minigrad.errors import DataError
from minigrad.lessons.charlm.prime import (
    DEFAULT_PRIME,
    DEFAULT_TEMPERATURE,
    decode_escapes,
    default_prime,
    resolve_prime,
)
from minigrad.lessons.charlm.vocab import Vocabulary


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        (r"ROMEO:\n", "ROMEO:\n"),
        ("Españ", "Españ"),  # the unicode_escape codec turned this into 'EspaÃ±'
        (r"Espa\xf1a", "España"),
        (r"\u00f1\N{LATIN SMALL LETTER A WITH ACUTE}", "ñá"),
        (r"a\\nb", "a\\nb"),  # an escaped backslash stays a backslash
        ("tab\\there", "tab\there"),
        ("no escapes at all", "no escapes at all"),
    ],
)
def test_escapes_are_read_and_other_characters_kept(typed: str, meant: str) -> None:
    assert decode_escapes(typed) == meant


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (r"\x", r"the escape \\x at position 1 is not an escape"),  # was a UnicodeDecodeError
        (r"ab\q", r"the escape \\q at position 3"),
        ("ab\\", "a backslash at the end at position 3"),
        (r"\N{NO SUCH NAME}", r"\\N\{NO SUCH NAME\} is not a valid escape"),
    ],
)
def test_a_bad_escape_is_a_clear_error_that_says_how_to_fix_it(typed: str, message: str) -> None:
    with pytest.raises(DataError, match=message) as error:
        decode_escapes(typed)
    assert "--prime" in str(error.value)


def test_the_default_prime_is_one_the_vocabulary_has() -> None:
    assert default_prime(Vocabulary.from_text("ROMEO:\nJULIET:\n")) == DEFAULT_PRIME
    assert default_prime(Vocabulary.from_text("romeo\nand juliet")) == "\n"
    assert default_prime(Vocabulary.from_text("no newline here")) == " "
    assert default_prime(Vocabulary.from_text("xyz")) == "x"
    assert DEFAULT_TEMPERATURE == 0.8


def test_resolve_prime_checks_the_vocabulary_and_names_the_source() -> None:
    vocab = Vocabulary.from_text("KING:\nlord n\\")
    assert resolve_prime(None, vocab) == default_prime(vocab)
    assert resolve_prime("", vocab) == default_prime(vocab)
    assert resolve_prime(r"KING:\n", vocab) == "KING:\n"
    assert resolve_prime(r"KING:\n", vocab, escapes=False) == "KING:\\n"
    with pytest.raises(DataError, match=r"'QUEEN' has 3 character.* of checkpoint x.npz"):
        resolve_prime("QUEEN", vocab, source="checkpoint x.npz")


def test_a_backslash_outside_the_vocabulary_suggests_escapes() -> None:
    vocab = Vocabulary.from_text("KING:\nlord")
    with pytest.raises(DataError, match=r"add --escapes"):
        resolve_prime(r"KING:\n", vocab, escapes=False)
