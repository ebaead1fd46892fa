"""Interoperability with other libraries' weights; today PyTorch's recurrent layers.

``minigrad.nn.RNN`` layers built from ``rnn`` (tanh or relu), ``lstm`` or
``gru`` with ``reset_after=True`` exchange weights with PyTorch's
``nn.RNN``/``nn.LSTM``/``nn.GRU`` (``batch_first=True``, same sizes, layers and
directions)::

    layer = mg.nn.RNN("lstm", input_size=3, hidden_size=4, num_layers=2)
    layer.load_torch_state_dict(torch_module.state_dict())   # arrays or tensors
    arrays = layer.torch_state_dict()                          # NumPy, torch's keys
    grads = layer.torch_state_dict(grad=True)                  # after backward()

The layout rules (transposes, gate order, how the two torch biases become
minigrad's one) are in ``minigrad.interop.torch_layout``; this module checks
that a layer has a torch equivalent and moves its parameters. Nothing here
imports torch: torch tensors are read through their ``numpy()`` method.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from minigrad.errors import CellError, GraphError
from minigrad.interop import torch_layout
from minigrad.interop.torch_layout import (
    as_numpy,
    cell_to_torch,
    state_dict_from_torch,
    state_dict_to_torch,
)
from minigrad.tensor import Tensor, tensor

#: PyTorch module class of each supported cell kind.
TORCH_MODULES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}

_NO_TORCH_EQUIVALENT = {
    "peephole_lstm": (
        "torch's nn.LSTM has no peephole connections (p_i, p_f, p_o), so its weights cannot "
        "describe this cell; use cell='lstm' to exchange weights with torch"
    ),
    "coupled_lstm": (
        "torch's nn.LSTM has separate input and forget gates, while the coupled LSTM (CIFG) "
        "uses 1 - f as its input gate; use cell='lstm' to exchange weights with torch"
    ),
    "layernorm_lstm": (
        "torch's nn.LSTM has no layer normalisation inside the cell and keeps biases the "
        "layer-norm LSTM does not have; use cell='lstm' to exchange weights with torch"
    ),
}

_GRU_RESET_BEFORE = (
    "this GRU applies the reset gate before the recurrent matmul, "
    "n = tanh(x U_n + (r*h) W_n + b_n) (reset_after=False, the default: Cho et al. 2014, "
    "TF1's GRUCell, the seminar), while torch's nn.GRU applies it after, "
    "n = tanh(x U_n + b_n + r*(h W_n + b_hn)); the two compute different functions, so "
    "torch's weights would not mean the same thing here. Build the layer with "
    "reset_after=True, e.g. mg.nn.RNN('gru', input_size=..., hidden_size=..., reset_after=True)"
)


def _registered_name(cell: Any) -> str | None:
    """The name ``type(cell)`` is registered under, or None for an unregistered class."""
    from minigrad import cells  # the plugin registry sits above the core; load it on use

    registry = cells.registry()
    for name in registry.names():
        if registry.get(name).cls is type(cell):
            return name
    return None


def _cells(layer: Any) -> list[tuple[int, bool, Any]]:
    """``(layer_index, reverse, cell)`` for every cell of an ``nn.RNN``, in torch's order."""
    forward = list(layer.layers)
    backward = list(layer.layers_reverse) if getattr(layer, "bidirectional", False) else []
    result = []
    for k, cell in enumerate(forward):
        result.append((k, False, cell))
        if backward:
            result.append((k, True, backward[k]))
    return result


def torch_kind(layer: Any, who: str = "torch interop") -> str:
    """``"rnn"``, ``"lstm"`` or ``"gru"``: the torch family of an ``nn.RNN``'s cells.

    Raises ``CellError`` saying why and what to do when the layer has no torch
    equivalent: a GRU without ``reset_after=True``, a peephole, coupled or
    layer-norm LSTM, a sigmoid RNN, or any other cell.
    """
    kinds = set()
    for _, _, cell in _cells(layer):
        name = _registered_name(cell)
        label = f"{who}: {type(cell).__name__}" + (f" ({name!r})" if name else "")
        if name in _NO_TORCH_EQUIVALENT:
            raise CellError(f"{label} has no PyTorch equivalent: {_NO_TORCH_EQUIVALENT[name]}")
        if name == "gru" and not getattr(cell, "reset_after", False):
            raise CellError(f"{label} cannot use PyTorch's GRU weights: {_GRU_RESET_BEFORE}")
        if name == "rnn" and getattr(cell, "activation", "tanh") not in ("tanh", "relu"):
            raise CellError(
                f"{label} uses activation={cell.activation!r}, but torch's nn.RNN only offers "
                "nonlinearity 'tanh' or 'relu'; build the layer with activation='tanh' or 'relu'"
            )
        if name not in TORCH_MODULES:
            raise CellError(
                f"{label} has no known PyTorch equivalent; torch interop supports the cells "
                "'rnn' (tanh or relu), 'lstm' and 'gru' (with reset_after=True)"
            )
        kinds.add(name)
    if len(kinds) != 1:
        raise CellError(f"{who}: the layer mixes cell kinds {sorted(kinds)}; torch cannot")
    return kinds.pop()


def torch_module_spec(layer: Any) -> tuple[str, dict[str, Any]]:
    """The torch class name and keyword arguments of the module equivalent to ``layer``.

    ``name, kwargs = torch_module_spec(layer)`` then
    ``getattr(torch.nn, name)(**kwargs, dtype=torch.float64)`` builds it
    (always ``batch_first=True``, minigrad's layout).
    """
    kind = torch_kind(layer, "torch_module_spec")
    first = layer.layers[0]
    kwargs: dict[str, Any] = {
        "input_size": first.input_size,
        "hidden_size": first.hidden_size,
        "num_layers": len(layer.layers),
        "bidirectional": bool(getattr(layer, "bidirectional", False)),
        "batch_first": True,
        "dropout": float(getattr(layer, "dropout", 0.0) or 0.0),
    }
    if kind == "rnn":
        kwargs["nonlinearity"] = first.activation
    return TORCH_MODULES[kind], kwargs


def rnn_options_from_torch(module: str, nonlinearity: str = "tanh") -> dict[str, Any]:
    """The ``minigrad.nn.RNN`` cell options matching a torch module class name.

    ``"LSTM"`` -> ``{"cell": "lstm"}``; ``"GRU"`` -> ``{"cell": "gru",
    "reset_after": True}``; ``"RNN"`` -> ``{"cell": "rnn", "activation":
    nonlinearity}``. Add the sizes: ``mg.nn.RNN(**options, input_size=...,
    hidden_size=..., num_layers=..., bidirectional=...)``.
    """
    if module == "LSTM":
        return {"cell": "lstm"}
    if module == "GRU":
        return {"cell": "gru", "reset_after": True}
    if module == "RNN":
        if nonlinearity not in ("tanh", "relu"):
            raise CellError(
                f"rnn_options_from_torch: torch's nn.RNN nonlinearity is 'tanh' or 'relu', "
                f"got {nonlinearity!r}"
            )
        return {"cell": "rnn", "activation": nonlinearity}
    raise CellError(
        f"rnn_options_from_torch: unknown torch module {module!r}; expected 'RNN', 'LSTM' or 'GRU'"
    )


def load_torch_state_dict(layer: Any, state: Mapping[str, Any]) -> None:
    """Load a torch ``nn.RNN``/``nn.LSTM``/``nn.GRU`` state dict into an ``nn.RNN`` ``layer``.

    Values may be NumPy arrays or torch tensors; they are converted to the
    layer's dtype and device. Raises ``CellError`` when the layer has no torch
    equivalent and ``StateDictError`` naming every missing, unexpected or
    mis-shaped key.
    """
    who = f"nn.{type(layer).__name__}.load_torch_state_dict"
    kind = torch_kind(layer, who)
    first = layer.layers[0]
    converted = state_dict_from_torch(
        state,
        kind,
        first.input_size,
        first.hidden_size,
        len(layer.layers),
        bool(getattr(layer, "bidirectional", False)),
        who=who,
    )
    # The documented conversion: float weights of any precision take the layer's dtype
    # (load_state_dict itself refuses a narrowing cast that nobody asked for).
    dtypes = {name: p.dtype for name, p in layer.named_parameters()}
    converted = {
        k: v.astype(dtypes[k]) if k in dtypes and v.dtype.kind == "f" else v
        for k, v in converted.items()
    }
    # One load for the whole layer: it checks every key before changing any weight.
    layer.load_state_dict(converted, strict=True)


def torch_state_dict(layer: Any, grad: bool = False) -> dict[str, np.ndarray]:
    """The parameters of an ``nn.RNN`` ``layer`` as a torch state dict of NumPy arrays.

    Keys and order as torch's (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``,
    ``bias_hh_l0``, then ``..._l0_reverse``...). The bias split: ``bias_ih`` holds
    ``b`` and ``bias_hh`` is zero, except a GRU's n block, which holds ``b_hn``.
    With ``grad=True`` the gradients in the same layout, as torch would report
    them (the gradient of ``b`` in both biases); raises ``GraphError`` if a
    parameter has no gradient yet.
    """
    who = f"nn.{type(layer).__name__}.torch_state_dict"
    kind = torch_kind(layer, who)
    names = torch_layout.minigrad_param_names(kind)
    result: dict[str, np.ndarray] = {}
    for k, reverse, cell in _cells(layer):
        params = {name: getattr(cell, name) for name in names}
        if grad:
            prefix = torch_layout.minigrad_prefix(k, reverse)
            lacking = [prefix + n for n, p in params.items() if p.grad is None]
            if lacking:
                raise GraphError(
                    f"{who}(grad=True): no gradient yet for {', '.join(lacking)}; call "
                    "loss.backward() first"
                )
            values = {name: as_numpy(p.grad) for name, p in params.items()}
        else:
            values = {name: as_numpy(p.data) for name, p in params.items()}
        for name, value in cell_to_torch(kind, values, grad=grad).items():
            result[torch_layout.torch_key(name, k, reverse)] = value
    return result


def initial_state_from_torch(
    h0: Any,
    c0: Any = None,
    *,
    dtype: Any = None,
    device: str = "cpu",
    requires_grad: bool = False,
) -> list[Tensor | tuple[Tensor, Tensor]]:
    """torch's ``h0`` (and an LSTM's ``c0``), ``[L*D, B, H]``, as an ``nn.RNN`` initial_state.

    The result is a list of ``L*D`` states in torch's order (layer-major,
    direction inner): Tensors ``[B, H]``, or ``(h, c)`` tuples when ``c0`` is given.
    """
    h0 = as_numpy(h0)
    dtype = dtype if dtype is not None else h0.dtype

    def make(value: np.ndarray) -> Tensor:
        return tensor(value, dtype=dtype, device=device, requires_grad=requires_grad)

    if c0 is None:
        return [make(h) for h in h0]
    c0 = as_numpy(c0)
    if c0.shape != h0.shape:
        raise CellError(f"initial_state_from_torch: h0 is {h0.shape} but c0 is {c0.shape}")
    return [(make(h), make(c)) for h, c in zip(h0, c0)]


def final_state_to_torch(
    final_state: Sequence[Tensor | tuple[Tensor, ...]],
) -> np.ndarray | tuple[np.ndarray, ...]:
    """An ``nn.RNN`` final state list as torch returns it: ``h_n`` or ``(h_n, c_n)`` [L*D, B, H]."""
    parts = [s if isinstance(s, tuple) else (s,) for s in final_state]
    stacked = tuple(np.stack([as_numpy(p[i]) for p in parts]) for i in range(len(parts[0])))
    return stacked[0] if len(stacked) == 1 else stacked


__all__ = [
    "TORCH_MODULES",
    "final_state_to_torch",
    "initial_state_from_torch",
    "load_torch_state_dict",
    "rnn_options_from_torch",
    "state_dict_from_torch",
    "state_dict_to_torch",
    "torch_kind",
    "torch_layout",
    "torch_module_spec",
    "torch_state_dict",
]
