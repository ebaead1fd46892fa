"""``Optimizer``: the base of every update rule.

An optimizer holds a list of parameters and, per parameter, whatever state its
rule needs (a momentum buffer, Adam's two moment estimates and step count).
``step()`` reads each parameter's ``.grad`` and updates ``.data`` in place;
``zero_grad()`` clears the gradients for the next backward.

Updates run on the parameter's own array module (NumPy or CuPy), so the same
optimizer trains a model on either device. They never write into ``p.grad``:
a gradient array may be shared with another tensor (the engine passes arrays
through without copying), so modifying it in place could corrupt another
parameter's gradient.

``state_dict()`` returns the hyperparameters and every state array (as NumPy
arrays on the host), keyed by the parameter's position in the list as a string
("0", "1", ...). ``load_state_dict()`` restores them onto the parameters'
devices, so training resumes exactly where a checkpoint left it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from minigrad import backend
from minigrad.errors import (
    ArgumentError,
    DeviceError,
    DTypeError,
    OptionError,
    ShapeError,
    StateDictError,
)
from minigrad.nn.module import loadable_dtype
from minigrad.tensor import Tensor


class Optimizer:
    """Base class: subclasses list their ``hyperparameters`` and implement ``update``."""

    #: Names of the attributes saved by ``state_dict`` (``lr`` and the rule's own).
    hyperparameters: tuple[str, ...] = ("lr",)

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        if isinstance(params, Tensor):
            params = [params]
        self.params: list[Tensor] = list(params)
        name = type(self).__name__
        if not self.params:
            raise OptionError(f"{name}: got an empty parameter list (did the model build?)")
        seen: set[int] = set()
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor):
                raise ArgumentError(f"{name}: parameter {i} is a {type(p).__name__}, not a Tensor")
            if id(p) in seen:
                raise OptionError(f"{name}: parameter {i} appears twice in the parameter list")
            seen.add(id(p))
        if lr < 0:
            raise OptionError(f"{name}: lr must be >= 0, got {lr}")
        self.lr = float(lr)
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    # --------------------------------------------------------------- the rule
    def update(self, p: Tensor, grad: Any, state: dict[str, Any]) -> None:
        """Update ``p.data`` in place from ``grad``; keep what the rule remembers in ``state``.

        ``grad`` is ``p.grad``: read it, never write into it.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement update()")

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient (``.grad`` not None)."""
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            self._check_grad(i, p)
            state = self.state[i]
            for key, value in state.items():
                if hasattr(value, "shape") and backend.device_of(value) != p.device:
                    state[key] = backend.to_device(value, p.device)  # the model moved
            self.update(p, p.grad, state)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``p.grad = None``)."""
        for p in self.params:
            p.grad = None

    def _check_grad(self, i: int, p: Tensor) -> None:
        g, name = p.grad, type(self).__name__
        if tuple(g.shape) != tuple(p.shape):
            raise ShapeError(
                f"{name}.step: parameter {i} has shape {p.shape} but its grad has {g.shape}"
            )
        if backend.device_of(g) != p.device:
            raise DeviceError(
                f"{name}.step: parameter {i} is on {p.device} but its grad is on "
                f"{backend.device_of(g)}"
            )
        if g.dtype != p.dtype:
            raise DTypeError(
                f"{name}.step: parameter {i} is {p.dtype} but its grad is {g.dtype}; "
                "minigrad never mixes dtypes silently"
            )

    # ------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters and per-parameter state, as plain values and NumPy arrays.

        ``{"type": "Adam", "hyperparameters": {"lr": ..., ...},
        "state": {"0": {"step": 3, "exp_avg": array, ...}, ...}}``; parameters
        that never had a gradient have no entry.
        """
        hyper = {}
        for key in self.hyperparameters:
            value = getattr(self, key)
            hyper[key] = list(value) if isinstance(value, tuple) else value
        state = {}
        for i, s in enumerate(self.state):
            if s:
                state[str(i)] = {
                    k: backend.to_numpy(v).copy() if hasattr(v, "shape") else v
                    for k, v in s.items()
                }
        return {"type": type(self).__name__, "hyperparameters": hyper, "state": state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (possibly after ``minigrad.save``/``load``).

        Raises ``StateDictError`` naming the problem when the dict was written by
        another optimizer type, for more parameters than this one has, or with
        buffers whose shapes do not match the parameters or whose dtypes do not
        load into them (the rule of ``Module.load_state_dict``: the same dtype, or
        a float into a wider float). Nothing changes unless everything loads.
        """
        name = type(self).__name__
        kind = state_dict.get("type")
        if kind != name:
            raise StateDictError(f"{name}.load_state_dict: the state dict is for {kind!r}")
        hyper = dict(state_dict.get("hyperparameters", {}))
        unknown = sorted(set(hyper) - set(self.hyperparameters))
        missing = [k for k in self.hyperparameters if k not in hyper]
        problems = []
        if unknown:
            problems.append("unexpected hyperparameters: " + ", ".join(unknown))
        if missing:
            problems.append("missing hyperparameters: " + ", ".join(missing))
        new_state: list[dict[str, Any]] = [{} for _ in self.params]
        for key, entry in dict(state_dict.get("state", {})).items():
            index = int(key) if str(key).isdigit() else -1
            if not 0 <= index < len(self.params):
                problems.append(
                    f"state for parameter {key!r}, but this optimizer has "
                    f"{len(self.params)} parameters (0..{len(self.params) - 1})"
                )
                continue
            p = self.params[index]
            for k, v in entry.items():
                if hasattr(v, "shape") and np.ndim(v) > 0:
                    if tuple(np.shape(v)) != tuple(p.shape):
                        problems.append(
                            f"parameter {index} {k}: state {tuple(np.shape(v))}, "
                            f"parameter {tuple(p.shape)}"
                        )
                        continue
                    refused = loadable_dtype(v.dtype, p.dtype)
                    if refused:
                        problems.append(f"parameter {index} {k}: {refused}")
                        continue
                    xp = backend.get_array_module(p.data)
                    v = xp.asarray(backend.to_device(v, p.device), dtype=p.dtype).copy()
                elif hasattr(v, "shape"):  # a 0-d array: a count saved as an array
                    v = v.item()
                new_state[index][k] = v
        if problems:
            raise StateDictError(
                f"{name}.load_state_dict: " + " | ".join(problems) + ". Nothing was loaded"
            )
        for key in self.hyperparameters:
            current = getattr(self, key)
            value = hyper[key]
            setattr(self, key, tuple(value) if isinstance(current, tuple) else value)
        self.state = new_state

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.hyperparameters)
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"
