"""The table in ``minigrad.fused``'s docstring says which fused op mirrors which cell: keep it true.

For every row: the cell is registered and its class is the named reference; a whole sequence
of it runs as one op of the named class (with the named variant); that op's module has the
named CUDA kernels; the tests the docstring names exist. And every built-in cell with a
``fused`` option has a row.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import fused
from minigrad.autograd import graph_nodes

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(
    r"^\s{4}(?P<cell>\w+)\s+(?P<ref>\w+\.\w+)\s+(?P<op>\w+\.\w+)"
    r'(?:\s+"(?P<variant>\w+)")?\s+(?P<kernels>\w+_\*)\s*$'
)


def _rows() -> list[dict[str, str]]:
    rows = [m.groupdict() for line in (fused.__doc__ or "").splitlines() if (m := ROW.match(line))]
    assert len(rows) >= 5, "the reference table was not found in minigrad.fused's docstring"
    return rows


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row["cell"])
def test_each_row_names_the_reference_the_op_and_the_kernels(row: dict[str, str]) -> None:
    info = mg.cells.get(row["cell"])
    module, cls = row["ref"].split(".")
    assert info.cls.__module__ == f"minigrad.plugins.{module}" and info.cls.__name__ == cls

    op_module_name, op_class = row["op"].split(".")
    op_module = importlib.import_module(f"minigrad.fused.{op_module_name}")
    op = getattr(op_module, op_class)
    cell = mg.cells.create(row["cell"], 3, 4, rng=np.random.default_rng(0))
    outputs, _ = mg.cells.dynamic_rnn(cell, mg.randn((2, 5, 3), requires_grad=True))
    nodes = graph_nodes(outputs)
    assert [type(n).__name__ for n in nodes] == [op.__name__], "not one op of the named class"
    if row["variant"]:
        assert nodes[0].variant == row["variant"]

    prefix = row["kernels"].removesuffix("*")
    kernels = op_module.CUDA_SOURCES
    assert kernels and all(name.startswith(prefix) for name in kernels), sorted(kernels)


def test_every_fused_builtin_cell_has_a_row() -> None:
    named = {row["cell"] for row in _rows()}
    for name in mg.cells.available():
        info = mg.cells.get(name)
        if info.cls.__module__.startswith("minigrad.plugins.") and "fused" in info.options():
            assert name in named, f"{name} has a fused option but no row in minigrad.fused's table"


def test_the_tests_the_docstring_names_exist() -> None:
    named = re.findall(r"``(tests/[\w/]+\.py)::(\w+)``", fused.__doc__ or "")
    assert named
    for path, function in named:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        functions = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert function in functions, f"{path} has no test {function}"
