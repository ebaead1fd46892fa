"""The bidirectional wrapper around any step cell, registered as ``bidirectional``."""

from __future__ import annotations

from typing import Any

import minigrad as mg
from minigrad.cells import SequenceModule


class Bidirectional(SequenceModule):
    """Two cells read each sequence, one forwards and one backwards; their outputs are merged.

    Equations, for a sequence x_1 .. x_L of length L (batch-first inputs
    ``[B, T, I]``; each example reversed within its own length)::

        (o_t^fw, s_t^fw) = cell_fw(x_t, s_{t-1}^fw)         t = 1 .. L
        (o_t^bw, s_t^bw) = cell_bw(x_t, s_{t+1}^bw)         t = L .. 1
        y_t = merge(o_t^fw, o_t^bw)

    ``merge`` is "concat" ([o^fw, o^bw], 2H features, forward first, as
    PyTorch), "sum", "mean" or "mul" (H features). Outputs at padded steps
    (t >= length) are zero. ``cell`` is the registered name of a step cell
    (default "lstm"); any further keyword (``forget_bias``, ``dtype``,
    ``device``, ``rng`` ...) is an option of that cell, given to both.

    Sub-modules: ``fw`` and ``bw`` (so parameters are named ``fw.U``,
    ``bw.U`` ...). State: the pair ``(state_fw, state_bw)`` of the two cells'
    states; the backward one is its state after reading each sequence's first
    element.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        cell: str = "lstm",
        merge: str = "concat",
        **cell_options: Any,
    ) -> None:
        super().__init__(input_size, hidden_size)
        if merge not in mg.cells.MERGE_MODES:
            raise mg.CellError(
                f"Bidirectional: unknown merge mode {merge!r}; choose one of "
                f"{', '.join(mg.cells.MERGE_MODES)}"
            )
        info = mg.cells.get(cell)
        if info.kind != "step":
            raise mg.CellError(
                f"Bidirectional: cell {cell!r} runs whole sequences; wrap a step cell "
                f"such as 'lstm' or 'gru' instead"
            )
        self.cell = info.name
        self.merge = merge
        self.fw = mg.cells.create(info.name, input_size, hidden_size, **cell_options)
        self.bw = mg.cells.create(info.name, input_size, hidden_size, **cell_options)

    @property
    def output_size(self) -> int:
        """2 * hidden_size for ``merge="concat"``, else hidden_size."""
        return 2 * self.fw.output_size if self.merge == "concat" else self.fw.output_size

    def zero_state(self, batch_size: int) -> tuple[Any, Any]:
        """The pair of the two cells' zero states."""
        return self.fw.zero_state(batch_size), self.bw.zero_state(batch_size)

    def forward(
        self,
        inputs: mg.Tensor,
        initial_state: tuple[Any, Any] | None = None,
        lengths: Any = None,
    ) -> tuple[mg.Tensor, tuple[Any, Any]]:
        """Run both directions over ``inputs`` [B, T, I] -> ``(outputs, (state_fw, state_bw))``.

        ``initial_state`` is None or a pair ``(state_fw, state_bw)`` (either may
        be None); ``lengths`` (B integers in 1..T) as in ``minigrad.cells.dynamic_rnn``.
        """
        if initial_state is None:
            initial_state = (None, None)
        if not isinstance(initial_state, (tuple, list)) or len(initial_state) != 2:
            got = (
                f"a {type(initial_state).__name__} of {len(initial_state)}"
                if isinstance(initial_state, (tuple, list))
                else type(initial_state).__name__
            )
            raise mg.CellError(
                f"Bidirectional: initial_state must be a pair (state_fw, state_bw), got {got}"
            )
        return mg.cells.bidirectional_rnn(
            self.fw, self.bw, inputs, tuple(initial_state), lengths=lengths, merge=self.merge
        )

    def extra_repr(self) -> str:
        """Sizes, the wrapped cell and the merge mode."""
        return (
            f"input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"cell={self.cell!r}, merge={self.merge!r}"
        )


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register the wrapper as ``bidirectional`` (alias ``birnn``)."""
    register("bidirectional", Bidirectional, aliases=("birnn",))
