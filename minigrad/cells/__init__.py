"""Recurrent cells as plugins: the ``Cell`` base class and the registry.

>>> import minigrad as mg
>>> cell = mg.cells.create("lstm", input_size=3, hidden_size=4)
>>> sorted(mg.cells.available())[:3]
['bidirectional', 'coupled_lstm', 'gru']
"""

from __future__ import annotations

from typing import Any

from minigrad.cells.base import Cell, SequenceModule, State
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
    "Cell",
    "CellInfo",
    "CellRegistry",
    "PluginFailure",
    "SequenceModule",
    "State",
    "available",
    "cell_options",
    "create",
    "failures",
    "get",
    "registry",
    "reload",
]
