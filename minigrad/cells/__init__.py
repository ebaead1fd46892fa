"""The plugin host: everything about recurrent cells except the cells themselves.

The cells live in plugins (``minigrad.plugins`` for the built-ins, installed
packages for the rest); this package is what they plug into. One module per
role, in the order a cell author meets them:

* ``hookspecs``: the plugin contract, ``minigrad_register_cells(register)``;
* ``cell``: the ``Cell`` base class (one time step) and ``SequenceModule``;
* ``registry``: the pluggy-based registry that finds, loads and names cells;
* ``drivers``: ``static_rnn``, ``dynamic_rnn`` and ``bidirectional_rnn``,
  which run *any* cell over a batch-first ``[B, T, F]`` sequence;
* ``layer``: ``minigrad.nn.RNN``, stacked (and bidirectional) layers of a cell;
* ``conformance``: the kit that checks a cell keeps the contract
  (``minigrad check-cell``).

>>> import minigrad as mg
>>> cell = mg.cells.create("lstm", input_size=3, hidden_size=4)
>>> sorted(mg.cells.available())[:3]
['bidirectional', 'coupled_lstm', 'gru']
>>> outputs, (h, c) = mg.cells.dynamic_rnn(cell, mg.zeros((2, 5, 3)))
>>> outputs.shape
(2, 5, 4)
"""

from __future__ import annotations

from typing import Any

from minigrad.cells.cell import Cell, SequenceModule, State
from minigrad.cells.drivers import (
    MERGE_MODES,
    bidirectional_rnn,
    detach_state,
    dynamic_rnn,
    map_state,
    static_rnn,
    unroll,
)
from minigrad.cells.registry import (
    BUILTIN_PLUGINS,
    CellInfo,
    CellRegistry,
    PluginFailure,
    cell_options,
)

_registry: CellRegistry | None = None


def registry() -> CellRegistry:
    """The process-wide registry, built on first use."""
    global _registry
    if _registry is None:
        _registry = CellRegistry.load()
    return _registry


def reload() -> CellRegistry:
    """Rebuild the registry (after installing a plugin in a running process)."""
    global _registry
    _registry = None
    return registry()


def available() -> list[str]:
    """Names of every registered cell (aliases excluded), sorted."""
    return registry().names()


def get(name: str) -> CellInfo:
    """Information about the cell ``name`` (class, plugin, distribution, aliases)."""
    return registry().get(name)


def create(name: str, input_size: int, hidden_size: int, **options: Any) -> Any:
    """Build the cell ``name`` with ``input_size``, ``hidden_size`` and its options."""
    return registry().create(name, input_size, hidden_size, **options)


def failures() -> list[PluginFailure]:
    """Plugins that failed to load or register, with their errors."""
    return list(registry().failures)


__all__ = [
    "BUILTIN_PLUGINS",
    "MERGE_MODES",
    "Cell",
    "CellInfo",
    "CellRegistry",
    "PluginFailure",
    "SequenceModule",
    "State",
    "available",
    "bidirectional_rnn",
    "cell_options",
    "create",
    "detach_state",
    "dynamic_rnn",
    "failures",
    "get",
    "map_state",
    "registry",
    "reload",
    "static_rnn",
    "unroll",
]
