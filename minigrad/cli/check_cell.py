"""``minigrad check-cell NAME``: run the conformance kit on a registered cell.

Every check of ``minigrad.cells.conformance`` runs (shapes, zero state, float64 gradient
checks, static vs dynamic driver, length masking, determinism, save/load, GPU
parity, docstring, registration, error messages) and one row per check shows
its status and message. The exit code is 0 when no check failed (skipped
checks, such as GPU parity without a GPU, are fine) and 1 otherwise; an
unknown name or option, or an option value the cell refuses when it is built
(``--option activation=bogus``), is a usage error (exit code 2) naming it.

Cell options are given as ``--option KEY=VALUE``, the value read as a Python
literal when it is one (``True``, ``0.5``) and as a string otherwise
(``--option activation=relu``).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from minigrad.cells.conformance import CellReport, check_cell, make_subject
from minigrad.errors import CellError

STATUS_STYLE = {"pass": "bold green", "fail": "bold red", "skip": "yellow"}


def parse_options(pairs: Sequence[str]) -> dict[str, Any]:
    """``["reset_after=True", "activation=relu"]`` -> ``{"reset_after": True, ...}``."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise CellError(
                f"check-cell: --option expects KEY=VALUE (e.g. --option activation=relu), "
                f"got {pair!r}"
            )
        try:
            options[key] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            options[key] = raw
    return options


def check_option_values(name: str, options: Mapping[str, Any]) -> None:
    """Raise ``CellError`` naming each option whose value the cell refuses to be built with.

    The cell is built with its defaults, then with each option alone: an option
    that turns a cell that builds into one that does not is the user's mistake
    (a usage error), not a conformance failure. A cell that cannot be built even
    with its defaults is left to the checks to report.
    """
    subject = make_subject(name, options)  # unknown names and options raise here
    try:
        dataclasses.replace(subject, options={}).build()
    except Exception:
        return
    refused = []
    for key, value in options.items():
        try:
            dataclasses.replace(subject, options={key: value}).build()
        except Exception as exc:
            refused.append(f"--option {key}={value!r} ({type(exc).__name__}: {exc})")
    if refused:
        raise CellError(
            f"check-cell: cell {subject.name or name!r} refuses " + "; ".join(refused) + ". "
            "Fix the value, or leave the option out to check the cell with its default"
        )


def report_table(report: CellReport) -> Table:
    """A rich table with one row per check: name, status, message."""
    title = f"check-cell {report.label} ({report.cls.__name__}, {report.kind} cell)"
    table = Table(title=title, title_justify="left")
    table.add_column("check", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("message", overflow="fold")
    for result in report.results:
        table.add_row(
            Text(result.check),
            Text(result.status, style=STATUS_STYLE[result.status]),
            Text(result.message),
        )
    return table


def run(args: argparse.Namespace) -> int:
    """Run the kit on ``args.name``; 0 if no check failed, 1 otherwise."""
    options = parse_options(args.option or [])
    check_option_values(args.name, options)
    report = check_cell(args.name, checks=args.check, **options)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        console = Console(highlight=False)
        console.print(report_table(report))
        verdict = "conforms" if report.ok else "does NOT conform"
        style = "bold green" if report.ok else "bold red"
        console.print(Text(f"{report.label} {verdict}: {report.summary()}", style=style))
    return 0 if report.ok else 1


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``minigrad check-cell``."""
    parser = subparsers.add_parser(
        "check-cell",
        help="run the conformance checks on a registered cell",
        description=__doc__.split("\n\n")[1],
    )
    parser.add_argument("name", metavar="NAME", help="a registered cell name (see minigrad cells)")
    parser.add_argument(
        "--option",
        action="append",
        metavar="KEY=VALUE",
        help="a cell option, e.g. --option reset_after=True (repeatable)",
    )
    parser.add_argument(
        "--check",
        action="append",
        metavar="CHECK",
        help="run only this check, e.g. --check gradients (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=run)
