"""The cell under test: its class, its options, and how the checks build it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minigrad import backend
from minigrad.cells.cell import Cell, SequenceModule
from minigrad.cells.registry import CellRegistry, cell_options, check_options, takes_any_option
from minigrad.errors import CellError

#: The keyword options every cell's ``__init__`` takes (``Cell.__init__`` accepts them).
SHARED_OPTIONS = ("dtype", "device", "rng")
#: What to do about a cell that does not take them (said wherever that shows).
OPTIONS_RULE = (
    f"Every cell's __init__ must accept the keyword options {', '.join(SHARED_OPTIONS)}: "
    "declare them, or take **options and pass them on to "
    "super().__init__(input_size, hidden_size, **options)"
)


@dataclass(frozen=True)
class CellSubject:
    """What every check receives: the class under test and how to build it.

    ``name`` is the registered name (None when a class was given), ``options``
    the cell options passed on every build, ``registry`` where the name was
    looked up.
    """

    cls: type
    name: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    registry: CellRegistry | None = None
    input_size: int = 3
    hidden_size: int = 4

    @property
    def kind(self) -> str:
        """Either "sequence" (a SequenceModule) or "step" (a Cell)."""
        return "sequence" if issubclass(self.cls, SequenceModule) else "step"

    @property
    def label(self) -> str:
        """The name (or class name) with its options, e.g. ``gru[reset_after=True]``."""
        base = self.name or self.cls.__name__
        if not self.options:
            return base
        return base + "[" + ",".join(f"{k}={v!r}" for k, v in self.options.items()) + "]"

    def accepts(self, option: str) -> bool:
        """True if ``__init__`` takes ``option`` (by name or through ``**kwargs``)."""
        return option in cell_options(self.cls) or takes_any_option(self.cls)

    def build(
        self,
        *,
        dtype: Any = None,
        device: str = "cpu",
        seed: int = 0,
        sizes: tuple[int, int] | None = None,
    ) -> Any:
        """A new instance, its random initialisation seeded by ``seed``.

        The seed goes in through the ``rng`` option when the cell has one (a
        generator on ``device``), else through ``minigrad.manual_seed``.
        ``dtype=None`` keeps the cell's default (or the ``dtype`` option).
        """
        kwargs = dict(self.options)
        if dtype is not None:
            if not self.accepts("dtype"):
                raise AssertionError(
                    f"{self.cls.__name__} has no dtype option, so it cannot be built in "
                    f"{np.dtype(dtype)}. {OPTIONS_RULE}"
                )
            kwargs["dtype"] = dtype
        if device != "cpu" or self.accepts("device"):
            kwargs["device"] = device
        if self.accepts("rng"):
            kwargs["rng"] = backend.random_generator(seed, device)
        else:
            backend.manual_seed(seed)
        input_size, hidden_size = sizes or (self.input_size, self.hidden_size)
        try:
            return self.cls(input_size, hidden_size, **kwargs)
        except TypeError as exc:
            given = ", ".join(sorted(kwargs)) or "none"
            raise CellError(
                f"{self.cls.__name__}({input_size}, {hidden_size}, ...) could not be built with "
                f"the keyword options {given}: {exc}. {OPTIONS_RULE}"
            ) from exc


Check = Callable[[CellSubject], str]


def default_registry() -> CellRegistry:
    """The process-wide registry (``minigrad.cells.registry()``)."""
    from minigrad import cells

    return cells.registry()


def make_subject(
    name_or_class: str | type,
    options: Mapping[str, Any] | None = None,
    *,
    registry: CellRegistry | None = None,
    input_size: int = 3,
    hidden_size: int = 4,
) -> CellSubject:
    """Resolve a registered name (or take a class) and validate its options.

    Raises ``CellError`` for an unknown name (with close matches), a class that
    is neither a ``Cell`` nor a ``SequenceModule``, or an option the cell does
    not take (listing the ones it does).
    """
    options = dict(options or {})
    name = None
    if isinstance(name_or_class, str):
        registry = registry if registry is not None else default_registry()
        info = registry.get(name_or_class)
        cls, name = info.cls, info.name
    else:
        cls = name_or_class
        if not (isinstance(cls, type) and issubclass(cls, (Cell, SequenceModule))):
            raise CellError(
                f"check_cell: {cls!r} is neither a registered cell name nor a subclass of "
                "minigrad.cells.Cell or SequenceModule"
            )
    check_options(cls, options, name)
    return CellSubject(cls, name, options, registry, input_size, hidden_size)
