"""``minigrad.nn.RNN``: a stack of recurrent layers over any registered step cell.

It lives with the plugin host because it looks cells up by name in the
registry; ``minigrad.nn`` exposes it lazily as ``minigrad.nn.RNN``, so that
importing ``minigrad.nn`` does not import the registry or pluggy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minigrad import cells, ops
from minigrad.cells.cell import State
from minigrad.cells.drivers import bidirectional_rnn, check_sequence, dynamic_rnn
from minigrad.errors import CellError
from minigrad.nn.container import ModuleList
from minigrad.nn.module import Module
from minigrad.tensor import Tensor


class RNN(Module):
    """``num_layers`` recurrent layers of the cell ``cell``, optionally bidirectional.

    ``layer(inputs [B, T, input_size], initial_state=None, lengths=None)``
    returns ``(outputs [B, T, hidden_size * dirs], final_state)`` with
    ``dirs`` = 2 if ``bidirectional`` else 1. Inputs are batch-first.

    * Layer 0 reads ``inputs``; layer k > 0 reads layer k-1's outputs
      (``hidden_size * dirs`` features; [forward, backward] when bidirectional).
    * ``dropout`` p zeroes each output of every layer but the last with
      probability p in training mode (``model.train()``) and scales the rest
      by 1/(1-p); it never touches the recurrent state, and is off after
      ``model.eval()``.
    * ``lengths`` (B integers in 1..T): past each example's length, outputs
      are zero and the state stops changing (``minigrad.cells.dynamic_rnn``).
    * ``initial_state`` / ``final_state``: a list of ``num_layers * dirs``
      cell states (a Tensor, or a tuple such as an LSTM's ``(h, c)``), ordered
      layer-major with the direction inner: ``[layer0_fw, layer0_bw,
      layer1_fw, ...]`` (PyTorch's ``h_n`` order). ``None`` entries start at zero.

    Sub-modules: ``layers`` (the forward cells, one per layer) and, when
    bidirectional, ``layers_reverse``; so parameters are named ``layers.0.U``,
    ``layers_reverse.1.b`` and so on. Further keyword arguments (``dtype``,
    ``device``, ``rng``, ``forget_bias`` ...) are options of the cell, given
    to every layer.
    """

    def __init__(
        self,
        cell: str = "lstm",
        *,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        **cell_options: Any,
    ) -> None:
        super().__init__()
        if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 1:
            raise CellError(f"nn.RNN: num_layers must be a positive int, got {num_layers!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise CellError(f"nn.RNN: dropout must be a number in [0, 1), got {dropout!r}")
        if not 0.0 <= dropout < 1.0:
            raise CellError(f"nn.RNN: dropout must be in [0, 1), got {dropout}")
        info = cells.get(cell)
        if info.kind != "step":
            raise CellError(
                f"nn.RNN: cell {cell!r} runs whole sequences; pass a step cell such as 'lstm' "
                "and bidirectional=True for a bidirectional layer"
            )
        self.cell = info.name
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bool(bidirectional)
        self.dropout = float(dropout)
        dirs = 2 if self.bidirectional else 1

        def make(k: int) -> Any:
            width = input_size if k == 0 else hidden_size * dirs
            return cells.create(info.name, width, hidden_size, **cell_options)

        # Built layer by layer, forward cell before backward cell, so that one
        # seed gives the same weights whatever the number of layers kept.
        forward_cells, backward_cells = [], []
        for k in range(num_layers):
            forward_cells.append(make(k))
            if self.bidirectional:
                backward_cells.append(make(k))
        self.layers = ModuleList(forward_cells)
        if self.bidirectional:
            self.layers_reverse = ModuleList(backward_cells)

    @property
    def num_directions(self) -> int:
        """2 if bidirectional, else 1."""
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        """Features of each output step: ``hidden_size * num_directions``."""
        return self.hidden_size * self.num_directions

    def zero_state(self, batch_size: int) -> list[State]:
        """The all-zeros initial state: one cell state per layer and direction."""
        return [cell.zero_state(batch_size) for cell in self._cells()]

    def _cells(self) -> list[Any]:
        """The cells in state order: layer-major, direction inner."""
        order = []
        for k in range(self.num_layers):
            order.append(self.layers[k])
            if self.bidirectional:
                order.append(self.layers_reverse[k])
        return order

    def forward(
        self,
        inputs: Tensor,
        initial_state: Sequence[State | None] | None = None,
        lengths: Any = None,
    ) -> tuple[Tensor, list[State]]:
        """Run the stack over ``inputs`` [B, T, input_size] -> ``(outputs, final_state)``."""
        lens = check_sequence(self.layers[0], inputs, lengths, "nn.RNN")
        expected = self.num_layers * self.num_directions
        if initial_state is None:
            initial_state = [None] * expected
        if not isinstance(initial_state, (list, tuple)) or len(initial_state) != expected:
            got = (
                f"{len(initial_state)} entries"
                if isinstance(initial_state, (list, tuple))
                else f"a {type(initial_state).__name__}"
            )
            raise CellError(
                f"nn.RNN: initial_state must be a list of num_layers * directions = {expected} "
                f"cell states (layer-major, direction inner), got {got}"
            )
        final: list[State] = []
        x = inputs
        for k in range(self.num_layers):
            if self.bidirectional:
                pair = (initial_state[2 * k], initial_state[2 * k + 1])
                x, (state_fw, state_bw) = bidirectional_rnn(
                    self.layers[k], self.layers_reverse[k], x, pair, lens, merge="concat"
                )
                final.extend([state_fw, state_bw])
            else:
                x, state = dynamic_rnn(self.layers[k], x, initial_state[k], lens)
                final.append(state)
            if k < self.num_layers - 1:
                x = ops.dropout(x, self.dropout, training=self.training)
        return x, final

    def load_torch_state_dict(self, state: dict[str, Any]) -> None:
        """Load PyTorch ``nn.RNN``/``nn.LSTM``/``nn.GRU`` weights (see ``minigrad.interop``)."""
        from minigrad import interop

        interop.load_torch_state_dict(self, state)

    def torch_state_dict(self, grad: bool = False) -> dict[str, Any]:
        """The weights (or, with ``grad=True``, their gradients) in PyTorch's layout, as NumPy."""
        from minigrad import interop

        return interop.torch_state_dict(self, grad=grad)

    def extra_repr(self) -> str:
        """The configuration."""
        text = (
            f"{self.cell!r}, input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"num_layers={self.num_layers}"
        )
        if self.bidirectional:
            text += ", bidirectional=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        return text
