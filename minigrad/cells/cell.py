"""The ``Cell`` contract every recurrent cell follows, built-in or third-party.

A cell computes one time step::

    output_t, new_state = cell(x_t, state)     # x_t: [B, input_size]

``state`` is a Tensor ``[B, hidden_size]`` or a tuple of them (an LSTM's
``(h, c)``); ``cell.zero_state(B)`` makes the initial one. The drivers in
``minigrad.cells.drivers`` run a cell over a whole ``[B, T, input_size]`` sequence.
Calling the cell (rather than ``forward``) checks the input width and the
state's structure and shapes first, so every plugin gets clear errors for free.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from minigrad import backend, creation
from minigrad.errors import CellError, DTypeError
from minigrad.nn.module import Module
from minigrad.tensor import DEFAULT_FLOAT, Tensor

State = Tensor | tuple[Tensor, ...]


class Cell(Module):
    """Base class of recurrent cells: one time step, ``forward(x_t, state)``.

    Subclasses set ``state_layout`` (names of the state's parts, e.g.
    ``("h", "c")``), create their Parameters in ``__init__`` after calling
    ``super().__init__(input_size, hidden_size, **options)``, and implement
    ``forward``. Their docstring must carry the cell's equations.

    Every cell takes the keyword options ``dtype`` (a floating dtype, float32
    by default; float64 for gradient checks), ``device`` ("cpu" or "cuda") and
    ``rng`` (a seeded generator for the initial weights). ``Cell.__init__``
    accepts all three, checks them, and keeps ``self.dtype``, ``self.device``
    and ``self.rng`` (the generator to draw initial weights from: ``rng``, or
    minigrad's shared one for ``device`` when it is None), so a subclass may
    declare them itself or simply forward ``**options``. A cell's own options
    are further keyword arguments of its ``__init__``; ``minigrad.cells.create``
    rejects any other keyword with a list of the valid ones.
    """

    #: Names of the parts of the state, in order; one name means a bare Tensor.
    state_layout: ClassVar[tuple[str, ...]] = ("h",)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        dtype: Any = DEFAULT_FLOAT,
        device: str = "cpu",
        rng: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        for what, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise CellError(f"{name}: {what} must be a positive int, got {value!r}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.dtype = float_dtype(dtype, name)
        self.device = device
        self.rng = rng if rng is not None else backend.default_rng(device)

    @property
    def output_size(self) -> int:
        """Width of ``output_t`` (the hidden size unless a cell says otherwise)."""
        return self.hidden_size

    def state_sizes(self) -> tuple[int, ...]:
        """Width of each part of the state (all ``hidden_size`` by default)."""
        return (self.hidden_size,) * len(self.state_layout)

    def zero_state(self, batch_size: int) -> State:
        """The all-zeros initial state for a batch of ``batch_size`` sequences."""
        device = self.device
        for p in self.parameters():
            device = p.device
            break
        parts = tuple(
            creation.zeros((batch_size, n), dtype=self.dtype, device=device)
            for n in self.state_sizes()
        )
        return parts[0] if len(parts) == 1 else parts

    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        """One step: ``x_t`` ``[B, input_size]`` and ``state`` -> ``(output_t, new_state)``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def __call__(self, x_t: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        if state is None:
            state = self.zero_state(_batch_of(x_t, self))
        self.check_step(x_t, state)
        return self.forward(x_t, state)

    def check_step(self, x_t: Tensor, state: State) -> None:
        """Raise ``CellError`` if ``x_t`` or ``state`` does not fit this cell."""
        name = type(self).__name__
        if not isinstance(x_t, Tensor) or x_t.ndim != 2 or x_t.shape[1] != self.input_size:
            shape = getattr(x_t, "shape", type(x_t).__name__)
            raise CellError(
                f"{name}: x_t must be [batch, input_size={self.input_size}], got {shape}"
            )
        self.check_state(state, x_t.shape[0])

    def check_state(self, state: State, batch: int) -> None:
        """Raise ``CellError`` unless ``state`` has this cell's structure for ``batch`` rows."""
        name = type(self).__name__
        parts = state if isinstance(state, tuple) else (state,)
        expected = self.state_sizes()
        if len(parts) != len(expected) or isinstance(state, tuple) != (len(expected) > 1):
            layout = ", ".join(self.state_layout)
            layout = layout if len(expected) == 1 else f"a tuple ({layout})"
            got = f"a tuple of {len(parts)}" if isinstance(state, tuple) else type(state).__name__
            raise CellError(f"{name}: state must be {layout}, got {got}")
        for label, part, width in zip(self.state_layout, parts, expected):
            if not isinstance(part, Tensor) or part.shape != (batch, width):
                shape = getattr(part, "shape", type(part).__name__)
                raise CellError(
                    f"{name}: state part '{label}' must have shape ({batch}, {width}) for a batch "
                    f"of {batch}, got {shape}"
                )

    def extra_repr(self) -> str:
        return f"input_size={self.input_size}, hidden_size={self.hidden_size}"


class SequenceModule(Module):
    """Base class of registered modules that run a whole sequence, not one step.

    ``forward(inputs [B, T, I], initial_state=None, lengths=None) ->
    (outputs [B, T, output_size], final_state)``. The ``bidirectional`` wrapper
    is one; the conformance kit checks these at the sequence level.
    """

    state_layout: ClassVar[tuple[str, ...]] = ()

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size

    @property
    def output_size(self) -> int:
        """Width of each output step."""
        return self.hidden_size


def float_dtype(dtype: Any, cell: str) -> np.dtype:
    """``dtype`` as a NumPy floating dtype, or a ``DTypeError`` naming the cell."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise DTypeError(f"{cell}: dtype {dtype!r} is not a NumPy dtype") from exc
    if dt.kind != "f":
        raise DTypeError(
            f"{cell}: parameters must be floating point (float32 or float64), got dtype {dt}"
        )
    return dt


def _batch_of(x_t: Any, cell: Cell) -> int:
    shape: tuple[int, ...] = getattr(x_t, "shape", ())
    if len(shape) != 2:
        raise CellError(
            f"{type(cell).__name__}: x_t must be [batch, input_size={cell.input_size}], got "
            f"{shape if shape else type(x_t).__name__}"
        )
    return shape[0]
