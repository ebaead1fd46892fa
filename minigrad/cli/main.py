"""The ``minigrad`` command: one argparse parser, one module per subcommand.

Each subcommand lives in its own module ``minigrad/cli/<name>.py``, which
exposes ``add_parser(subparsers)``. That function registers the subcommand on
the argparse ``subparsers`` object, declares its options and sets ``func`` to
a callable ``run(args) -> int`` returning the exit code::

    def add_parser(subparsers) -> None:
        parser = subparsers.add_parser("hello", help="say hello")
        parser.add_argument("--name", default="world")
        parser.set_defaults(func=run)

To add a subcommand:

1. write the module ``minigrad/cli/<name>.py`` as above;
2. add ``"<name>"`` to ``SUBCOMMANDS`` below (its position is its place in
   ``minigrad --help``).

The command line is minigrad's outermost layer: it parses, calls the library
and prints. Errors the library raises on purpose (``MinigradError``) become one
red line on stderr and exit code 2 instead of a traceback (a ``PluginError``
caused by a plugin's own exception adds that exception's traceback, for the
plugin's author). When the reader of the output goes away
(``minigrad cells --json | head``), the command stops quietly, without a
traceback, with exit code 1 (as rich, which prints the tables, does then).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from minigrad import backend
from minigrad.errors import MinigradError, PluginError

#: Subcommand modules under ``minigrad.cli``, in the order ``--help`` lists them.
SUBCOMMANDS: list[str] = [
    "learn",
    "exercises",
    "demo",
    "cells",
    "check_cell",
    "generate",
    "shootout",
]

#: Exit code for a usage error or an error minigrad raised on purpose.
EXIT_ERROR = 2
#: Exit code after Ctrl-C, as a shell reports a process ended by SIGINT.
EXIT_INTERRUPTED = 130
#: Exit code when stdout's reader closed the pipe (what rich's console returns then too).
EXIT_BROKEN_PIPE = 1


def build_parser() -> argparse.ArgumentParser:
    """The ``minigrad`` parser with every subcommand in ``SUBCOMMANDS`` registered."""
    from minigrad import __version__

    parser = argparse.ArgumentParser(
        prog="minigrad",
        description="minigrad: a small, readable autograd engine for learning recurrent networks.",
    )
    parser.add_argument("--version", action="version", version=f"minigrad {__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"minigrad.cli.{name}")
        module.add_parser(subparsers)
    return parser


def print_error(message: str) -> None:
    """Print ``message`` as one red line on stderr (no rich markup is interpreted)."""
    # soft_wrap: one line however long, so the message is easy to grep and copy.
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(Text(f"error: {message}", style="bold red"))


def print_cause(exc: MinigradError) -> None:
    """Under a ``PluginError``'s red line, the traceback of the plugin's exception that caused it.

    That is what ``MINIGRAD_STRICT_PLUGINS=1`` promises a plugin author; an
    error minigrad raises about the user's input needs no traceback.
    """
    if isinstance(exc, PluginError) and exc.__cause__ is not None:
        print("the plugin's traceback:", file=sys.stderr)
        traceback.print_exception(exc.__cause__, file=sys.stderr)


def _silence_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file behind sys.stdout
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``minigrad`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns the exit code: 0 on success, 2 for a usage error or a
    ``MinigradError``, 130 after Ctrl-C, 1 when stdout's reader went away.
    """
    try:
        code = _run(argv)
        sys.stdout.flush()  # a closed pipe shows here rather than at exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and bad usage
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return EXIT_ERROR
    # Training frees and re-allocates its graph every step; keep that memory
    # in the process instead of page-faulting it back in (backend.keep_freed_memory).
    backend.keep_freed_memory()
    try:
        return int(func(args) or 0)
    except MinigradError as exc:
        print_error(str(exc))
        print_cause(exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print_error("interrupted")
        return EXIT_INTERRUPTED
