"""Global switches of the autograd engine: gradient recording and debug mode.

They are module-level flags, read by every op, so flipping them is cheap. The
context managers restore the previous value even when the body raises.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


class _Flags:
    """Mutable holder for the switches (a class attribute lookup is fast)."""

    grad_enabled: bool = True
    debug: bool = os.environ.get("MINIGRAD_DEBUG", "") not in ("", "0")


flags = _Flags()


def is_grad_enabled() -> bool:
    """True if new ops record the graph needed for ``backward()``."""
    return flags.grad_enabled


def set_grad_enabled(enabled: bool) -> None:
    """Turn graph recording on or off globally (prefer the ``no_grad`` block)."""
    flags.grad_enabled = bool(enabled)


@contextmanager
def no_grad() -> Iterator[None]:
    """Run a block without recording the graph: for evaluation and sampling.

    Inside the block every op returns a tensor with ``requires_grad=False``,
    no intermediate arrays are kept for backward, and memory stays flat.
    """
    previous = flags.grad_enabled
    flags.grad_enabled = False
    try:
        yield
    finally:
        flags.grad_enabled = previous


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record the graph inside the block even within an outer ``no_grad``."""
    previous = flags.grad_enabled
    flags.grad_enabled = True
    try:
        yield
    finally:
        flags.grad_enabled = previous


def set_debug(enabled: bool) -> None:
    """Check every op's output (and every gradient) for NaN or Inf.

    When a non-finite value appears, a ``NumericalError`` names the op, the
    shapes of its inputs and the line of *your* code that called it. Costs a
    full scan of every array, so leave it off for speed. The environment
    variable ``MINIGRAD_DEBUG=1`` turns it on at import.
    """
    flags.debug = bool(enabled)


def is_debug() -> bool:
    """True if debug mode (NaN/Inf checks on every op) is on."""
    return flags.debug


@contextmanager
def debug_mode(enabled: bool = True) -> Iterator[None]:
    """Turn debug mode on (or off) for the duration of a block."""
    previous = flags.debug
    flags.debug = bool(enabled)
    try:
        yield
    finally:
        flags.debug = previous
