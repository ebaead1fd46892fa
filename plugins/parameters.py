"""What the built-in cells share: how they draw parameters, and the LSTM family's constructor.

Not a cell plugin itself (it registers nothing); it uses only minigrad's public
API, as a third-party plugin would.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

import minigrad as mg
from minigrad.cells import Cell
from minigrad.nn import Parameter


def uniform_parameter(cell: Cell, *shape: int) -> Parameter:
    """A Parameter of ``shape`` from U(-1/sqrt(H), 1/sqrt(H)), PyTorch's RNN default.

    Drawn from ``cell.rng`` in the cell's dtype and on its device. Values are
    drawn in float64 and then rounded to the dtype (what
    ``minigrad.nn.init.uniform_`` does), so one seed gives a float32 cell and a
    float64 cell with the same weights up to float32 rounding.
    """
    bound = 1.0 / math.sqrt(cell.hidden_size)
    param = Parameter(mg.zeros(shape, dtype=cell.dtype, device=cell.device))
    return mg.nn.init.uniform_(param, -bound, bound, rng=cell.rng)


def constant_parameter(cell: Cell, shape: tuple[int, ...], value: float) -> Parameter:
    """A Parameter of ``shape`` filled with ``value`` (layer-norm gains and shifts)."""
    return Parameter(mg.full(shape, value, dtype=cell.dtype, device=cell.device))


def check_number(value: Any, option: str, cell: str) -> float:
    """A real number option (e.g. ``forget_bias``) as a float, or a ``CellError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise mg.CellError(f"{cell}: option {option} must be a number, got {value!r}")
    return float(value)


class GateBlockCell(Cell):
    """The constructor the LSTM family shares: gate blocks side by side in ``U``, ``W``, ``b``.

    A subclass names its gate blocks in ``gates`` (``"ifgo"`` for the LSTM,
    ``"fgo"`` for the coupled LSTM) and gets ``U`` [I, G*H], ``W`` [H, G*H] and
    ``b`` [G*H] (G = ``len(gates)``) drawn in that order from
    U(-1/sqrt(H), 1/sqrt(H)), with ``forget_bias`` added to the f block of ``b``
    and stored there (``add_forget_bias``, which a cell without an f block
    may override). It also gets the options ``forget_bias`` and ``fused``
    and the shared ``dtype``, ``device`` and ``rng``. A subclass with further
    parameters (a peephole LSTM's ``p_i`` ...) draws them with
    ``uniform_parameter`` in ``add_parameters``, which runs after ``U``, ``W``
    and ``b`` are drawn.
    """

    gates: ClassVar[str] = "ifgo"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        forget_bias: float = 1.0,
        fused: bool = True,
        *,
        dtype: Any = np.float32,
        device: str = "cpu",
        rng: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, dtype=dtype, device=device, rng=rng)
        self.fused = bool(fused)
        self.forget_bias = check_number(forget_bias, "forget_bias", type(self).__name__)
        H, G = hidden_size, len(self.gates)
        self.U = uniform_parameter(self, input_size, G * H)
        self.W = uniform_parameter(self, H, G * H)
        self.b = uniform_parameter(self, G * H)
        self.add_forget_bias()
        self.add_parameters()

    def block(self, gate: str) -> slice:
        """The columns of gate block ``gate`` (a letter of ``gates``) in ``U``, ``W`` and ``b``."""
        k, H = self.gates.index(gate), self.hidden_size
        return slice(k * H, (k + 1) * H)

    def add_forget_bias(self) -> None:
        """Add ``forget_bias`` to the f block of ``b`` (a cell without one does nothing here)."""
        if "f" in self.gates:
            self.b.data[self.block("f")] += self.forget_bias

    def add_parameters(self) -> None:
        """Draw any parameters beyond ``U``, ``W`` and ``b`` (none here)."""

    def extra_repr(self) -> str:
        """Sizes and the forget bias."""
        return f"{super().extra_repr()}, forget_bias={self.forget_bias}"
