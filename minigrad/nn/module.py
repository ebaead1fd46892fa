"""``Module`` and ``Parameter``: how layers own their weights.

A ``Parameter`` is a leaf Tensor that requires grad. Assigning one (or another
Module) as an attribute of a Module registers it, in assignment order, so
``parameters()`` and ``state_dict()`` find every weight without a manual list:

    class Affine(Module):
        def __init__(self):
            super().__init__()
            self.W = Parameter(np.zeros((3, 2), np.float32))

A list of layers must go in ``nn.ModuleList`` (or ``nn.Sequential``): a plain
list would hide their parameters, so assigning one raises a TypeError.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from minigrad import backend
from minigrad.errors import ArgumentError, StateDictError
from minigrad.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that a Module trains. Always ``requires_grad=True``."""

    __slots__ = ()

    def __init__(self, data: Any) -> None:
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(data, requires_grad=True)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__().removeprefix("tensor")


def _is_list_of_modules(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) > 0
        and all(isinstance(v, Module) for v in value)
    )


class Module:
    """Base class of every layer and model.

    Subclasses call ``super().__init__()`` first, assign Parameters and
    sub-Modules as attributes, and implement ``forward``. Calling the module
    calls ``forward``.
    """

    training: bool
    # Set in __init__ with object.__setattr__ (our __setattr__ reads them); in assignment order.
    _parameters: dict[str, Parameter]
    _modules: dict[str, Module]

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if params is None:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        if _is_list_of_modules(value):
            # Their parameters would silently miss parameters(), state_dict() and the optimizer.
            raise ArgumentError(
                f"{type(self).__name__}.{name}: a plain {type(value).__name__} of Modules does "
                "not register their parameters; wrap it: "
                f"self.{name} = minigrad.nn.ModuleList([...])"
            )
        params.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            params[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of this module. Subclasses override."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------- traversal
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, with dotted names ("" for self)."""
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module."""
        for _, m in self.named_modules():
            yield m

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        yield from self._modules.values()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name, e.g. ``("layers.0.W", p)``; shared ones once."""
        seen: set[int] = set()
        for mod_name, module in self.named_modules(prefix):
            for name, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> Iterator[Parameter]:
        """Every parameter, each once."""
        for _, p in self.named_parameters():
            yield p

    def num_parameters(self) -> int:
        """Total number of trainable scalars."""
        return sum(p.size for p in self.parameters())

    # ---------------------------------------------------------------- state
    def zero_grad(self) -> None:
        """Forget every parameter's accumulated gradient."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        """Switch this module and its children to training mode (dropout on)."""
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode (dropout off)."""
        return self.train(False)

    def to(self, device: str) -> Module:
        """Move every parameter to ``device`` in place and return self."""
        for p in self.parameters():
            p.data = backend.to_device(p.data, device)
            if p.grad is not None:
                p.grad = backend.to_device(p.grad, device)
        return self

    def astype(self, dtype: npt.DTypeLike) -> Module:
        """Convert every parameter to ``dtype`` (e.g. float64 for gradient checks)."""
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = None
        return self

    def state_dict(self) -> dict[str, np.ndarray]:
        """Every parameter as a NumPy array (copied to the host), keyed by dotted name."""
        return {name: backend.to_numpy(p.data).copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays from ``state`` into the parameters, keeping their dtype and device.

        Every problem is reported at once: keys the model expects but ``state``
        lacks, keys ``state`` has but the model does not, and shape mismatches.
        With ``strict=False`` missing and unexpected keys are tolerated (shape
        mismatches never are).
        """
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        mismatched = [
            f"{k}: model {own[k].shape}, state dict {tuple(np.shape(state[k]))}"
            for k in own
            if k in state and tuple(np.shape(state[k])) != own[k].shape
        ]
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if mismatched:
            problems.append("shape mismatches: " + "; ".join(mismatched))
        if problems:
            raise StateDictError(f"{type(self).__name__}.load_state_dict: " + " | ".join(problems))
        for k, p in own.items():
            if k in state:
                value = state[k].data if isinstance(state[k], Tensor) else state[k]
                xp = backend.get_array_module(p.data)
                p.data = xp.asarray(backend.to_device(value, p.device), dtype=p.dtype).copy()

    def extra_repr(self) -> str:
        """A one-line summary of this module's configuration, shown by ``repr``."""
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return lines[0] + ")" if len(lines) == 1 else "\n".join(lines) + "\n)"
