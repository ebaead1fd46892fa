"""PyTorch's recurrent state-dict layout <-> minigrad's cell parameters, in plain NumPy.

PyTorch's ``nn.RNN``/``nn.LSTM``/``nn.GRU`` keep, per layer ``k`` (and with a
``_reverse`` suffix for the backward direction)::

    weight_ih_l{k}  [G*H, in]     weight_hh_l{k}  [G*H, H]
    bias_ih_l{k}    [G*H]         bias_hh_l{k}    [G*H]

and compute ``x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh`` (G = 1
for a plain RNN, 4 for an LSTM with gate blocks i, f, g, o, 3 for a GRU with
blocks r, z, n). minigrad's cells use row vectors, ``x @ U + h @ W + b``, with
the same gate order, so ``U = weight_ih.T`` and ``W = weight_hh.T``.

The biases. minigrad keeps one ``b`` per cell (plus ``b_hn`` for a GRU built
with ``reset_after=True``), because two biases added to the same sum are one
parameter written twice. Import therefore adds them: ``b = bias_ih + bias_hh``,
except the GRU's n block, where torch multiplies ``bias_hh_n`` by the reset
gate: there ``b_n = bias_ih_n`` and ``b_hn = bias_hh_n``.

Export needs a split of ``b`` and picks the simplest exact one: everything goes
to ``bias_ih`` and ``bias_hh`` is zero, except the GRU's n block of ``bias_hh``,
which is ``b_hn``. Exporting then importing returns the same numbers bit for
bit (adding zero is exact), and torch's forward with the exported dict computes
the same function (only the order of the float additions differs).

Gradients. For a summed block, torch's gradients of ``bias_ih`` and
``bias_hh`` are equal, both the gradient of their sum, so gradient export puts
the gradient of ``b`` in both (and the gradient of ``b_hn`` in the n block of
``bias_hh`` for a GRU).

minigrad's ``nn.RNN`` names its parameters ``layers.{k}.U`` for the forward
direction and ``layers_reverse.{k}.U`` for the backward one.

This module never imports torch and builds no tensors: every value that
comes out is a NumPy array on the host.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from minigrad import backend
from minigrad.errors import CellError, StateDictError
from minigrad.tensor import Tensor

#: Number of gate blocks G of each supported cell (the rows of weight_ih are G*H).
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
#: Gate blocks, in the order both torch and minigrad stack them.
GATE_ORDER = {"rnn": ("h",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
#: The four tensors torch stores per layer and direction, in torch's order.
TORCH_PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _check_kind(kind: str) -> int:
    if kind not in GATES:
        raise CellError(
            f"torch layout: unknown cell kind {kind!r}; the layout is defined for "
            f"{', '.join(GATES)}"
        )
    return GATES[kind]


def torch_key(name: str, layer: int, reverse: bool = False) -> str:
    """PyTorch's key of ``name`` (e.g. "weight_ih") for ``layer``: ``weight_ih_l0_reverse``."""
    return f"{name}_l{layer}" + ("_reverse" if reverse else "")


def minigrad_prefix(layer: int, reverse: bool = False) -> str:
    """The prefix of one cell's parameters in an ``nn.RNN`` state dict: ``layers_reverse.1.``."""
    return f"layers{'_reverse' if reverse else ''}.{layer}."


def cells_in_order(num_layers: int, bidirectional: bool) -> Iterator[tuple[int, bool]]:
    """``(layer, reverse)`` pairs in torch's order: layer-major, direction inner."""
    for layer in range(num_layers):
        yield layer, False
        if bidirectional:
            yield layer, True


def minigrad_param_names(kind: str) -> tuple[str, ...]:
    """The parameters a cell of ``kind`` holds in the torch-compatible form."""
    _check_kind(kind)
    return ("U", "W", "b", "b_hn") if kind == "gru" else ("U", "W", "b")


def torch_shapes(
    kind: str,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bidirectional: bool = False,
) -> dict[str, tuple[int, ...]]:
    """Every key of the torch state dict of such a layer and its shape, in torch's order."""
    gates = _check_kind(kind)
    rows = gates * hidden_size
    dirs = 2 if bidirectional else 1
    shapes: dict[str, tuple[int, ...]] = {}
    for layer, reverse in cells_in_order(num_layers, bidirectional):
        width = input_size if layer == 0 else hidden_size * dirs
        for name, shape in zip(
            TORCH_PARAMS, ((rows, width), (rows, hidden_size), (rows,), (rows,))
        ):
            shapes[torch_key(name, layer, reverse)] = shape
    return shapes


def as_numpy(value: Any) -> np.ndarray:
    """A host NumPy array from a NumPy/CuPy array, a minigrad Tensor or a torch tensor.

    A torch tensor is recognised by its ``detach``/``cpu``/``numpy`` methods, so
    this module never imports torch.
    """
    if isinstance(value, Tensor):
        value = value.data
    elif hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):
        value = value.detach().cpu().numpy()
    return np.asarray(backend.to_numpy(value))


def check_torch_state_dict(
    state: Mapping[str, Any], expected: Mapping[str, tuple[int, ...]], who: str
) -> dict[str, np.ndarray]:
    """``state`` as NumPy arrays, after checking its keys and shapes against ``expected``.

    Raises ``StateDictError`` naming every missing key, every unexpected key and
    every shape mismatch at once.
    """
    if not isinstance(state, Mapping):
        raise StateDictError(
            f"{who}: expected a dict of arrays keyed like PyTorch's (weight_ih_l0, ...), "
            f"got {type(state).__name__}"
        )
    arrays = {key: as_numpy(value) for key, value in state.items()}
    missing = [k for k in expected if k not in arrays]
    unexpected = [k for k in arrays if k not in expected]
    mismatched = [
        f"{k}: expected {expected[k]}, got {arrays[k].shape}"
        for k in expected
        if k in arrays and arrays[k].shape != expected[k]
    ]
    problems = []
    if missing:
        problems.append("missing keys: " + ", ".join(missing))
    if unexpected:
        problems.append("unexpected keys: " + ", ".join(unexpected))
    if mismatched:
        problems.append("shape mismatches: " + "; ".join(mismatched))
    if problems:
        hint = (
            " (the state dict must come from a torch module with the same cell, input_size, "
            "hidden_size, num_layers and bidirectional, built with bias=True and no proj_size)"
        )
        raise StateDictError(f"{who}: " + " | ".join(problems) + hint)
    return arrays


def cell_from_torch(
    kind: str,
    weight_ih: np.ndarray,
    weight_hh: np.ndarray,
    bias_ih: np.ndarray,
    bias_hh: np.ndarray,
) -> dict[str, np.ndarray]:
    """One cell's minigrad parameters (``U``, ``W``, ``b`` and a GRU's ``b_hn``) from torch's four.

    ``b = bias_ih + bias_hh``, except a GRU's n block: ``b_n = bias_ih_n``,
    ``b_hn = bias_hh_n`` (torch scales that part by the reset gate).
    """
    _check_kind(kind)
    params = {
        "U": np.ascontiguousarray(np.asarray(weight_ih).T),
        "W": np.ascontiguousarray(np.asarray(weight_hh).T),
    }
    bias_ih, bias_hh = np.asarray(bias_ih), np.asarray(bias_hh)
    if kind == "gru":
        n_block = slice(2 * (bias_ih.shape[0] // 3), None)
        b = bias_ih + bias_hh
        b[n_block] = bias_ih[n_block]
        params["b"], params["b_hn"] = b, bias_hh[n_block].copy()
    else:
        params["b"] = bias_ih + bias_hh
    return params


def cell_to_torch(
    kind: str, params: Mapping[str, np.ndarray], grad: bool = False
) -> dict[str, np.ndarray]:
    """torch's ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` (no layer suffix) of one cell.

    ``params`` holds ``U``, ``W``, ``b`` (and ``b_hn`` for a GRU). Values:
    ``bias_ih = b`` and ``bias_hh = 0`` except a GRU's n block, ``b_hn``. With
    ``grad=True`` ``params`` holds gradients instead and both biases get the
    gradient of ``b`` (as torch's would be: equal for summed blocks).
    """
    _check_kind(kind)
    b = np.asarray(params["b"])
    bias_hh = b.copy() if grad else np.zeros_like(b)
    if kind == "gru":
        bias_hh[2 * (b.shape[0] // 3) :] = np.asarray(params["b_hn"])
    return {
        "weight_ih": np.ascontiguousarray(np.asarray(params["U"]).T),
        "weight_hh": np.ascontiguousarray(np.asarray(params["W"]).T),
        "bias_ih": b.copy(),
        "bias_hh": bias_hh,
    }


def state_dict_from_torch(
    state: Mapping[str, Any],
    kind: str,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bidirectional: bool = False,
    who: str = "state_dict_from_torch",
) -> dict[str, np.ndarray]:
    """A torch ``nn.RNN``/``nn.LSTM``/``nn.GRU`` state dict as minigrad ``nn.RNN`` keys.

    Checks every key and shape first (``StateDictError`` names every problem),
    then converts cell by cell: ``weight_ih_l1_reverse`` and friends become
    ``layers_reverse.1.U``, ``.W``, ``.b`` (and ``.b_hn`` for a GRU).
    """
    expected = torch_shapes(kind, input_size, hidden_size, num_layers, bidirectional)
    arrays = check_torch_state_dict(state, expected, who)
    result: dict[str, np.ndarray] = {}
    for layer, reverse in cells_in_order(num_layers, bidirectional):
        four = [arrays[torch_key(name, layer, reverse)] for name in TORCH_PARAMS]
        prefix = minigrad_prefix(layer, reverse)
        for name, value in cell_from_torch(kind, *four).items():
            result[prefix + name] = value
    return result


def state_dict_to_torch(
    state: Mapping[str, Any],
    kind: str,
    num_layers: int = 1,
    bidirectional: bool = False,
    grad: bool = False,
) -> dict[str, np.ndarray]:
    """A minigrad ``nn.RNN`` state dict (``layers.0.U``, ...) in torch's layout and key order.

    With ``grad=True`` the values are gradients of those parameters and come
    out as torch's gradients would (see ``cell_to_torch``).
    """
    names = minigrad_param_names(kind)
    expected = [
        minigrad_prefix(layer, reverse) + name
        for layer, reverse in cells_in_order(num_layers, bidirectional)
        for name in names
    ]
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        raise StateDictError(
            f"state_dict_to_torch: a {kind} nn.RNN with num_layers={num_layers}, "
            f"bidirectional={bidirectional} has keys {', '.join(expected)}; "
            f"missing: {', '.join(missing) or 'none'}; "
            f"unexpected: {', '.join(unexpected) or 'none'}"
        )
    result: dict[str, np.ndarray] = {}
    for layer, reverse in cells_in_order(num_layers, bidirectional):
        prefix = minigrad_prefix(layer, reverse)
        params = {name: as_numpy(state[prefix + name]) for name in names}
        for name, value in cell_to_torch(kind, params, grad=grad).items():
            result[torch_key(name, layer, reverse)] = value
    return result
