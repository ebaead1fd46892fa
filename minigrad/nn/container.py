"""Containers: ``Sequential`` (a pipeline) and ``ModuleList`` (a list whose layers register).

A plain Python list of layers assigned to a Module is invisible to
``parameters()`` and ``state_dict()``; these containers register each layer
under its position (``"0"``, ``"1"``, ...), so a stacked RNN's weights are
named ``layers.0.W``, ``layers.1.W``, and so on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from minigrad.errors import ArgumentError
from minigrad.nn.module import Module


class Sequential(Module):
    """Apply ``steps`` in order: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    A step is a Module (its parameters are registered under its position) or
    any other callable such as ``minigrad.tanh``, which has no parameters::

        mlp = Sequential(Linear(2, 16), mg.tanh, Linear(16, 2))
    """

    def __init__(self, *steps: Module | Callable[[Any], Any]) -> None:
        super().__init__()
        self._steps: list[Any] = []
        for step in steps:
            self.append(step)

    def append(self, step: Module | Callable[[Any], Any]) -> Sequential:
        """Add a step at the end and return self."""
        if not callable(step):
            raise ArgumentError(
                f"Sequential: step {len(self._steps)} is a {type(step).__name__}, "
                "not a Module or callable"
            )
        if isinstance(step, Module):
            setattr(self, str(len(self._steps)), step)
        self._steps.append(step)
        return self

    def forward(self, x: Any) -> Any:
        """Feed ``x`` through every step in order."""
        for step in self._steps:
            x = step(x)
        return x

    def __len__(self) -> int:
        return len(self._steps)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._steps)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*self._steps[index])
        return self._steps[index]

    def __repr__(self) -> str:
        lines = ["Sequential("]
        for i, step in enumerate(self._steps):
            body = repr(step) if isinstance(step, Module) else getattr(step, "__name__", repr(step))
            lines.append(f"  ({i}): " + body.replace("\n", "\n  "))
        return "\n".join(lines) + "\n)" if self._steps else "Sequential()"


class ModuleList(Module):
    """A list of Modules whose parameters belong to the owner.

    Use it when layers are applied in a custom order, e.g. the layers of a
    stacked RNN, each fed the previous layer's output and its own state.
    ``ModuleList`` has no ``forward``: the owner decides how to call them.
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        self._items: list[Module] = []
        if modules is not None:
            self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end and return self."""
        if not isinstance(module, Module):
            raise ArgumentError(
                f"ModuleList: item {len(self._items)} is a {type(module).__name__}, not a Module"
            )
        setattr(self, str(len(self._items)), module)
        self._items.append(module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append every module of ``modules`` and return self."""
        for m in modules:
            self.append(m)
        return self

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Not defined: iterate over the list and call the layers yourself."""
        raise NotImplementedError(
            "ModuleList has no forward(): loop over it (for layer in self.layers: ...)"
        )

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(self._items[index])
        return self._items[index]

    def __setitem__(self, index: int, module: Module) -> None:
        if not isinstance(module, Module):
            raise ArgumentError(f"ModuleList: cannot store a {type(module).__name__}, not a Module")
        position = range(len(self._items))[index]  # IndexError for a bad index, like a list
        setattr(self, str(position), module)
        self._items[position] = module
