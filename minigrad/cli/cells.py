"""``minigrad cells``: every registered cell, where it came from, and plugins that failed.

The table shows, for each cell, its name (and aliases), the plugin that
registered it, the distribution and version that plugin comes from, its kind
("step" for a Cell, "sequence" for a SequenceModule such as bidirectional),
its state layout and the first line of its docstring. Plugins that failed to
load follow, with their error; ``MINIGRAD_STRICT_PLUGINS=1`` turns such a
failure into an error with a traceback instead. ``--json`` prints the same data
as JSON: ``{"cells": [...], "failures": [...]}``, each failure with its full
traceback, so a plugin's CI can show where loading went wrong.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from minigrad.cells import CellRegistry, registry
from minigrad.cells.registry import option_json


def listing(reg: CellRegistry) -> dict[str, list[dict[str, Any]]]:
    """The data ``minigrad cells`` shows: every cell (sorted by name) and every failure."""
    cells = []
    for name in reg.names():
        info = reg.get(name)
        cells.append(
            {
                "name": info.name,
                "aliases": list(info.aliases),
                "plugin": info.plugin,
                "distribution": info.distribution,
                "version": info.version,
                "kind": info.kind,
                "state_layout": list(info.state_layout),
                "summary": info.summary,
                "class": f"{info.cls.__module__}.{info.cls.__qualname__}",
                "options": {k: option_json(v) for k, v in info.options().items()},
            }
        )
    failures = [
        {
            "plugin": f.plugin,
            "distribution": f.distribution,
            "version": f.version,
            "error": f.error,
            "traceback": f.traceback,
        }
        for f in reg.failures
    ]
    return {"cells": cells, "failures": failures}


#: Below this width the table folds plugin and distribution into the summary column.
WIDE = 120


def _state(cell: dict[str, Any]) -> str:
    state = cell["state_layout"]
    return f"({', '.join(state)})" if len(state) > 1 else "".join(state) or "-"


def cells_table(cells: list[dict[str, Any]], width: int = WIDE) -> Table:
    """A rich table with one row per cell, laid out for a console ``width`` columns wide.

    From ``WIDE`` columns up, one column per field. Narrower (a default 80x24
    terminal), the plugin and its distribution go on a dim line under the
    summary and kind and state share a column, so no column is too narrow for
    its words.
    """
    table = Table(title=f"minigrad cells ({len(cells)})", title_justify="left")
    table.add_column("name", no_wrap=True)
    wide = width >= WIDE
    if wide:
        table.add_column("plugin", no_wrap=True)
        table.add_column("distribution", no_wrap=True)
        table.add_column("kind", no_wrap=True)
        table.add_column("state", no_wrap=True)
    else:
        table.add_column("kind, state", no_wrap=True)
    table.add_column("summary", ratio=1)
    for cell in cells:
        name = Text(cell["name"], style="bold")
        if cell["aliases"]:
            name.append("\n" + "\n".join(cell["aliases"]), style="dim")
        source = f"{cell['distribution']} {cell['version']}".strip()
        summary = Text(cell["summary"])
        if wide:
            table.add_row(
                name,
                Text(cell["plugin"]),
                Text(source),
                Text(cell["kind"]),
                Text(_state(cell)),
                summary,
            )
        else:
            summary.append(f"\n{cell['plugin']} ({source})", style="dim")
            table.add_row(name, Text(f"{cell['kind']}\n{_state(cell)}"), summary)
    return table


def failures_table(failures: list[dict[str, Any]]) -> Table:
    """A rich table with one row per plugin that failed to load or register."""
    table = Table(title="plugins that failed to load", title_justify="left", style="red")
    for column in ("plugin", "distribution", "version", "error"):
        table.add_column(column, overflow="fold")
    for f in failures:
        table.add_row(
            *(Text(str(f[key])) for key in ("plugin", "distribution", "version", "error"))
        )
    return table


def run(args: argparse.Namespace) -> int:
    """Print the cells (a table, or JSON with ``--json``); 0 even if some plugin failed."""
    data = listing(registry())
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    console = Console(highlight=False)
    console.print(cells_table(data["cells"], console.width))
    if data["failures"]:
        console.print(failures_table(data["failures"]))
        console.print(
            "These plugins were skipped. Set MINIGRAD_STRICT_PLUGINS=1 to make a failing "
            "plugin an error with its traceback.",
            style="red",
            markup=False,
        )
    else:
        console.print("Every plugin loaded.", style="dim", markup=False)
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``minigrad cells``."""
    parser = subparsers.add_parser(
        "cells",
        help="list the registered cells and the plugins that provide them",
        description=__doc__.split("\n\n")[1],
    )
    parser.add_argument("--json", action="store_true", help="print the cells and failures as JSON")
    parser.set_defaults(func=run)
