"""What one run of a shoot-out is: ``CellSpec`` (a cell and its options) and ``RunSpec``.

A cell is named as on the command line: ``lstm``, or with options in brackets,
``lstm[forget_bias=0]`` or ``gru[reset_after=True]`` (the labels the conformance
kit prints). A ``RunSpec`` is everything a worker needs to train one model and
nothing else, so it travels to another process or another machine as it is.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from minigrad.errors import OptionError

_SPEC = re.compile(r"^\s*(?P<name>[a-z][a-z0-9_]*)\s*(\[(?P<options>.*)\])?\s*$")


@dataclass(frozen=True)
class CellSpec:
    """A registered cell name and the options it is built with (sorted ``(key, value)`` pairs)."""

    name: str
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        """``name`` or ``name[key=value,...]``: how tables and files name this cell."""
        if not self.options:
            return self.name
        return self.name + "[" + ",".join(f"{k}={v!r}" for k, v in self.options) + "]"

    def kwargs(self) -> dict[str, Any]:
        """The options as keyword arguments of the cell."""
        return dict(self.options)


def parse_cell(text: str) -> CellSpec:
    """``"lstm[forget_bias=0]"`` -> ``CellSpec("lstm", (("forget_bias", 0),))``.

    Option values are Python literals (numbers, True/False, quoted strings);
    a bare word is taken as a string. Raises ``OptionError`` with the accepted
    form when ``text`` does not parse.
    """
    match = _SPEC.match(text)
    if match is None:
        raise OptionError(
            f"cell {text!r} is not a cell name or name[option=value,...], e.g. lstm or "
            "lstm[forget_bias=0]"
        )
    options = []
    for part in filter(None, (p.strip() for p in (match.group("options") or "").split(","))):
        key, sep, raw = part.partition("=")
        if not sep or not key.strip().isidentifier():
            raise OptionError(f"cell {text!r}: option {part!r} must read name=value")
        try:
            value = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            value = raw.strip()
        options.append((key.strip(), value))
    return CellSpec(match.group("name"), tuple(sorted(options)))


def parse_cells(text: str) -> list[CellSpec]:
    """A comma-separated list of cells; commas inside brackets belong to the options."""
    cells, depth, current = [], 0, ""
    for ch in text:
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            cells.append(current)
            current = ""
        else:
            current += ch
    cells.append(current)
    specs = [parse_cell(c) for c in cells if c.strip()]
    if not specs:
        raise OptionError("--cells is empty; name at least one cell, e.g. --cells lstm,gru")
    return specs


@dataclass(frozen=True)
class RunSpec:
    """One training run: task, cell, size, learning rate, seed and the task's settings.

    ``settings`` holds the task's preset values (sequence length, steps ...) as
    sorted pairs; together with the rest it makes ``key``, which the results
    file uses to recognise a run that already finished.
    """

    task: str
    cell: CellSpec
    hidden_size: int
    params: int
    lr: float
    seed: int
    settings: tuple[tuple[str, Any], ...]

    @property
    def key(self) -> str:
        """A stable identifier of this run (same spec, same key, in any process)."""
        blob = json.dumps(
            [self.task, self.cell.label, self.hidden_size, repr(self.lr), self.seed, self.settings],
            sort_keys=True,
            default=repr,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @property
    def run_name(self) -> str:
        """``task/cell/lr=..-seed=..``: one folder per run for a per-run logger."""
        safe = re.sub(r"[^A-Za-z0-9_.=-]+", "_", self.cell.label).strip("_")
        return f"{self.task}/{safe}/lr={self.lr:g}-seed={self.seed}"

    def setting(self, name: str) -> Any:
        """One of the task's settings."""
        return dict(self.settings)[name]

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (the cell as its label and options)."""
        data = asdict(self)
        data["cell"] = self.cell.label
        data["options"] = self.cell.kwargs()
        data["settings"] = dict(self.settings)
        return data
