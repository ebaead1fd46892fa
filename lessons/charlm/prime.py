"""The priming text and sampling defaults, shared by lesson 3 and ``minigrad generate``.

One function, ``resolve_prime``, turns what a person typed after ``--prime``
into the text the model reads first, the same way everywhere:

* backslash escapes are read by default (``ROMEO:\\n`` ends in a newline;
  ``\\t``, ``\\\\``, ``\\xE9``, ``\\u00f1`` and ``\\N{name}`` work too); any
  other character, ASCII or not (``Españ``), is taken as it is;
  ``escapes=False`` takes the whole text literally;
* no ``--prime`` means ``default_prime(vocab)``: ``DEFAULT_PRIME`` when the
  vocabulary has all its characters, otherwise a newline, a space or the
  vocabulary's first character, whichever it has, so the default always
  works, whatever the corpus;
* a prime with characters the model never saw is refused up front, naming
  them (and suggesting ``--escapes`` when a backslash is the problem).

``DEFAULT_TEMPERATURE`` is the one default temperature of both.
"""

from __future__ import annotations

import codecs
import re

from minigrad.errors import DataError
from minigrad.lessons.sampling_defaults import (
    DEFAULT_PRIME,
    DEFAULT_TEMPERATURE,  # noqa: F401 - re-exported
    ESCAPES_HELP,
)

from .vocab import Vocabulary, describe_char

#: What to read when the vocabulary lacks a character of ``DEFAULT_PRIME``, in order.
FALLBACKS = ("\n", " ")

_ESCAPE = re.compile(
    r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]*\}|[\\'\"abfnrtv0]|.|$)",
    re.DOTALL,
)
_SIMPLE = re.compile(r"x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]*\}|[\\'\"abfnrtv0]")


def decode_escapes(text: str, what: str = "--prime") -> str:
    r"""``text`` with its backslash escapes replaced (``\n`` -> newline); other characters kept.

    Unlike the ``unicode_escape`` codec, non-ASCII characters pass through
    unchanged (``Españ`` stays ``Españ``). An unknown or incomplete escape
    raises ``DataError`` saying where it is and what is allowed.
    """

    def replace(match: re.Match[str]) -> str:
        body = match.group(1)
        if not _SIMPLE.fullmatch(body):
            shown = f"the escape \\{body}" if body else "a backslash at the end"
            raise DataError(
                f"{what}: {shown} at position {match.start() + 1} is not an escape "
                f"this command knows ({ESCAPES_HELP}); write \\\\ for a backslash, "
                "or pass --no-escapes to take the text literally"
            )
        escape = "\\" + body
        try:
            return codecs.decode(escape, "unicode_escape")  # ASCII only: safe here
        except UnicodeDecodeError as exc:
            raise DataError(f"{what}: {escape} is not a valid escape ({exc.reason})") from None

    return _ESCAPE.sub(replace, text)


def default_prime(vocab: Vocabulary) -> str:
    """``DEFAULT_PRIME`` if ``vocab`` has all its characters, else the first fallback it has."""
    if not vocab.unknown(DEFAULT_PRIME):
        return DEFAULT_PRIME
    for fallback in FALLBACKS:
        if fallback in vocab:
            return fallback
    return vocab.idx_to_vocab[0]


def resolve_prime(
    text: str | None,
    vocab: Vocabulary,
    escapes: bool = True,
    what: str = "--prime",
    source: str = "",
) -> str:
    """The priming text for ``text`` as typed (``None`` or ``""``: ``default_prime(vocab)``).

    Raises ``DataError`` for a bad escape or for characters outside ``vocab``
    (``source`` names where the vocabulary comes from: a checkpoint, a corpus).
    """
    if not text:
        return default_prime(vocab)
    prime = decode_escapes(text, what) if escapes else text
    if not prime:
        raise DataError(f"{what} must hold at least one character")
    missing = vocab.unknown(prime)
    if missing:
        where = f" of {source}" if source else ""
        shown = ", ".join(describe_char(c) for c in missing[:10])
        hint = ""
        if "\\" in missing and not escapes:
            hint = r"; to type a newline as \n, add --escapes"
        raise DataError(
            f"{what} {prime!r} has {len(missing)} character(s) outside the vocabulary{where} "
            f"({len(vocab)} characters): {shown}. Use only characters the model was trained "
            f"on{hint}"
        )
    return prime
