"""The plugin contract: read this first if you are writing a cell for minigrad.

minigrad finds recurrent cells through `pluggy <https://pluggy.readthedocs.io>`_
hooks, the same mechanism pytest uses. A plugin is any module or object with a
function named after a hook below and marked with ``minigrad.hookimpl``::

    import minigrad
    from minigrad.cells import Cell

    class MyCell(Cell):
        '''s_t = tanh(U x_t + W s_{t-1} + b) ... (the equations)'''
        ...

    @minigrad.hookimpl
    def minigrad_register_cells(register):
        register("my_cell", MyCell, aliases=("mine",))

A third-party package makes the module discoverable with an entry point in the
group ``minigrad`` of its ``pyproject.toml``::

    [project.entry-points.minigrad]
    my_cell = "my_package.cells"

The built-in cells in ``minigrad.plugins`` register through exactly this hook;
the host loads them from an explicit list, and third-party ones from entry
points. Each entry point is loaded on its own: one that fails to import is
reported by ``minigrad cells`` and skipped (``MINIGRAD_STRICT_PLUGINS=1``
re-raises instead). A misspelt hook function name is an error, not silence.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

PROJECT_NAME = "minigrad"
ENTRY_POINT_GROUP = "minigrad"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: ``register(name, cell_class, aliases=())`` as passed to the hook.
RegisterFn = Callable[..., None]


@hookspec
def minigrad_register_cells(register: RegisterFn) -> None:
    """Register cell classes by calling ``register(name, cell_class, aliases=())``.

    ``name`` is what users type (``--cell my_cell``, ``mg.cells.create("my_cell",
    ...)``): lowercase letters, digits and underscores. ``cell_class`` is a
    subclass of ``minigrad.cells.Cell`` (a step cell) or of
    ``minigrad.cells.SequenceModule`` (a wrapper that runs whole sequences,
    like ``bidirectional``). ``aliases`` are extra names for the same class.
    Registering a name that another plugin already registered is an error that
    names both plugins.
    """
