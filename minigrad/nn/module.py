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

from collections.abc import Iterator, Mapping
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

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy arrays from ``state`` into the parameters, keeping their dtype and device.

        Everything is checked before anything changes: if any entry is wrong,
        ``StateDictError`` lists every problem and no parameter is touched.
        Problems are keys the model expects but ``state`` lacks, keys ``state``
        has but the model does not (both tolerated with ``strict=False``),
        shape mismatches, and values whose dtype does not load (see
        ``loadable_dtype``: the same dtype, or a float of lower precision into
        a wider one; never strings, objects, booleans, integers, complex numbers
        or a float that would be rounded). Convert such a value yourself, e.g.
        ``value.astype("float32")``, when that is what you mean.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, Mapping):
            raise StateDictError(
                f"{owner}: expected a dict of arrays (e.g. model.state_dict()), "
                f"got a {type(state).__name__}"
            )
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        mismatched: list[str] = []
        refused: dict[str, list[str]] = {}  # reason -> keys, so a whole model's reads once
        arrays: dict[str, Any] = {}
        for k, p in own.items():
            if k not in state:
                continue
            array, problem = _as_loadable_array(state[k], p)
            if problem:
                refused.setdefault(problem, []).append(k)
            elif tuple(array.shape) != p.shape:
                mismatched.append(f"{k}: model {p.shape}, state dict {tuple(array.shape)}")
            else:
                arrays[k] = array
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if mismatched:
            problems.append("shape mismatches: " + "; ".join(mismatched))
        if refused:
            problems.append(
                "dtypes that do not load: "
                + "; ".join(f"{', '.join(keys)}: {why}" for why, keys in refused.items())
            )
        if problems:
            raise StateDictError(f"{owner}: " + " | ".join(problems) + ". Nothing was loaded")
        # Every new array is made (cast and moved) before the first assignment, so a
        # failure there (a full GPU) also leaves the model as it was.
        new = {}
        for k, array in arrays.items():
            p = own[k]
            xp = backend.get_array_module(p.data)
            new[k] = xp.asarray(backend.to_device(array, p.device), dtype=p.dtype).copy()
        for k, array in new.items():
            own[k].data = array

    def extra_repr(self) -> str:
        """A one-line summary of this module's configuration, shown by ``repr``."""
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return lines[0] + ")" if len(lines) == 1 else "\n".join(lines) + "\n)"


#: What each dtype kind is, for the messages of ``loadable_dtype``.
_KIND_NAMES = {
    "b": "booleans",
    "i": "integers",
    "u": "unsigned integers",
    "c": "complex numbers (the imaginary part would be lost)",
    "O": "Python objects",
    "U": "strings",
    "S": "bytes",
    "V": "raw records",
    "M": "dates",
    "m": "time spans",
}


def loadable_dtype(source: npt.DTypeLike, target: npt.DTypeLike) -> str | None:
    """None if values of dtype ``source`` load into a parameter of dtype ``target``; else why not.

    The rule of ``Module.load_state_dict``: the same dtype, or a float into a
    wider float (float16 -> float32 -> float64, which is exact). Anything else
    would change or misread the values: a narrower float rounds them, and
    strings, objects, booleans, integers and complex numbers are not weights.
    """
    src, dst = np.dtype(source), np.dtype(target)
    if src == dst or (src.kind == dst.kind == "f" and src.itemsize < dst.itemsize):
        return None
    if src.kind == "f" and dst.kind == "f":
        return (
            f"{src} values would be rounded to the parameter's {dst}; convert them with "
            f".astype('{dst}') if that is what you want"
        )
    what = _KIND_NAMES.get(src.kind, f"values of dtype {src}")
    return f"it holds {what} (dtype {src}), the parameter is {dst}"


def _as_loadable_array(value: Any, param: Parameter) -> tuple[Any, str | None]:
    """``(array, None)`` for a value that loads into ``param``, ``(None, reason)`` otherwise."""
    if isinstance(value, Tensor):
        value = value.data
    if not (isinstance(value, np.ndarray) or backend.is_gpu_array(value)):
        try:
            value = np.asarray(value)
        except ValueError as exc:  # ragged nested lists
            return None, f"it is not an array ({exc})"
    problem = loadable_dtype(value.dtype, param.dtype)
    return (None, problem) if problem else (value, None)
