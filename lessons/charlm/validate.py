"""Checking a character-model checkpoint, field by field, before anything uses it.

A checkpoint comes from disk: it may be damaged, written by another version or
edited by hand. Each field is checked here before it is used, and a wrong one
raises ``CheckpointError`` naming the file and the field (``vocab``,
``config.hidden_size``, ``step``, ``model/head.W`` ...) rather than surfacing
later as a ``TypeError`` deep in the model. The checks run on what
``minigrad.io.peek`` returns (every JSON value, and each array's shape and
dtype without its data), so a file is judged before its arrays are read.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

import minigrad as mg
from minigrad.errors import CheckpointError, DataError
from minigrad.io import ArraySpec
from minigrad.tensor import NUMERIC_KINDS

from .config import TrainConfig
from .vocab import Vocabulary

#: The Python types a ``TrainConfig`` field may hold, by its annotation.
_FIELD_TYPES: dict[str, tuple[type, ...]] = {"int": (int,), "float": (int, float), "str": (str,)}
_FIELD_NAMES = {"int": "an integer", "float": "a number", "str": "a string"}


def fail(path: str, field: str, problem: str) -> CheckpointError:
    """The error for a bad ``field`` of the checkpoint at ``path``."""
    return CheckpointError(
        f"{path}: field {field!r} {problem}. The file is damaged or was edited by hand; "
        "use another checkpoint (or retrain)"
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_version(path: str, value: Any, newest: int) -> int:
    """The layout version: an integer from 1 to ``newest`` (newer files need a newer minigrad)."""
    if not _is_int(value) or value < 1:
        raise fail(path, "version", f"must be a positive integer, got {value!r}")
    if value > newest:
        raise CheckpointError(
            f"{path} uses layout version {value}; this minigrad reads up to {newest}: "
            "upgrade minigrad"
        )
    return value


def check_vocab(path: str, value: Any) -> Vocabulary:
    """The characters in id order: a non-empty string with no character twice."""
    if not isinstance(value, str) or not value:
        raise fail(path, "vocab", f"must be a non-empty string of characters, got {value!r:.60}")
    try:
        return Vocabulary.from_string(value)
    except DataError as exc:
        raise fail(path, "vocab", f"is not a vocabulary ({exc})") from None


def check_config(path: str, value: Any) -> TrainConfig:
    """The ``TrainConfig``: every known field of the right type and in range.

    Unknown fields are ignored (a newer minigrad may add some); missing ones
    take their defaults, as ``TrainConfig.from_dict`` does.
    """
    if not isinstance(value, Mapping):
        raise fail(path, "config", f"must be a dict of settings, got {type(value).__name__}")
    for f in dataclasses.fields(TrainConfig):
        if f.name not in value:
            continue
        item = value[f.name]
        allowed = _FIELD_TYPES.get(str(f.type), (object,))
        if not isinstance(item, allowed) or isinstance(item, bool):
            kind = _FIELD_NAMES.get(str(f.type), str(f.type))
            raise fail(path, f"config.{f.name}", f"must be {kind}, got {item!r:.60}")
        if isinstance(item, float) and not math.isfinite(item):
            raise fail(path, f"config.{f.name}", f"must be a finite number, got {item!r}")
    config = TrainConfig.from_dict(dict(value))
    try:
        config.validate()
    except DataError as exc:
        name = str(exc).split(" ", 1)[0]  # validate() starts each message with the field
        field = f"config.{name}" if hasattr(config, name) else "config"
        raise fail(path, field, f"is out of range ({exc})") from None
    if config.device not in ("cpu", "cuda"):
        raise fail(path, "config.device", f"must be 'cpu' or 'cuda', got {config.device!r}")
    return config


def check_step(path: str, value: Any) -> int:
    """The number of optimizer steps taken: an integer >= 0."""
    if not _is_int(value) or value < 0:
        raise fail(path, "step", f"must be an integer >= 0, got {value!r:.60}")
    return value


def check_elapsed(path: str, value: Any) -> float:
    """The training seconds so far: a finite number >= 0."""
    if not _is_number(value) or not math.isfinite(value) or value < 0:
        raise fail(path, "elapsed", f"must be a number of seconds >= 0, got {value!r:.60}")
    return float(value)


def check_curves(path: str, value: Any) -> dict[str, list[list[float]]]:
    """The loss curves: ``{"train": [[step, loss], ...], "val": [...]}``."""
    if not isinstance(value, Mapping):
        raise fail(path, "curves", f"must be a dict of curves, got {type(value).__name__}")
    curves = {}
    for name, points in value.items():
        ok = isinstance(points, list) and all(
            isinstance(p, list) and len(p) == 2 and all(_is_number(v) for v in p) for p in points
        )
        if not ok:
            raise fail(path, f"curves.{name}", "must be a list of [step, loss] pairs")
        curves[str(name)] = [[float(v) for v in p] for p in points]
    return curves


def check_numbers(path: str, field: str, value: Any) -> list[float]:
    """A list of numbers (the recent training losses)."""
    if not isinstance(value, list) or not all(_is_number(v) for v in value):
        raise fail(path, field, f"must be a list of numbers, got {value!r:.60}")
    return [float(v) for v in value]


def check_arrays(path: str, field: str, value: Any, optional: bool = False) -> dict[str, Any]:
    """A flat dict of arrays (``ArraySpec``s when peeked), such as ``model``."""
    if optional and value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(v, (ArraySpec, np.ndarray)) for v in value.values()
    ):
        raise fail(path, field, "must be a dict of arrays")
    for key, spec in value.items():
        if spec.dtype.kind not in NUMERIC_KINDS:
            raise fail(path, f"{field}/{key}", f"holds {spec.dtype} values, not numbers")
    return dict(value)


def check_optimizer(path: str, value: Any) -> dict[str, Any] | None:
    """The optimizer's state dict: its type, hyperparameters and per-parameter state."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not isinstance(value.get("type"), str):
        raise fail(path, "optimizer", "must be an optimizer state dict with a 'type'")
    hyper, state = value.get("hyperparameters", {}), value.get("state", {})
    if not isinstance(hyper, Mapping) or not all(
        _is_number(v) or (isinstance(v, list) and all(_is_number(x) for x in v))
        for v in hyper.values()
    ):
        raise fail(path, "optimizer.hyperparameters", "must be a dict of numbers")
    if not isinstance(state, Mapping) or not all(isinstance(s, Mapping) for s in state.values()):
        raise fail(path, "optimizer.state", "must be a dict of per-parameter dicts")
    for key, entry in state.items():
        for name, item in entry.items():
            if not (_is_number(item) or isinstance(item, (ArraySpec, np.ndarray))):
                raise fail(path, f"optimizer.state.{key}.{name}", f"is {item!r:.60}")
    return dict(value)


def check_rng(path: str, value: Any) -> Any:
    """The random generator's state: None, or a state NumPy's generator accepts."""
    if value is None:
        return None
    bit = mg.backend.default_rng("cpu").bit_generator
    try:
        type(bit)().state = value  # on a throwaway generator: the real one is untouched
    except (TypeError, ValueError, KeyError) as exc:
        raise fail(path, "rng", f"is not a random generator state ({exc})") from None
    return value


def check_stored_shapes(
    path: str, model: Mapping[str, Any], config: TrainConfig, vocab: Vocabulary
) -> None:
    """The embedding, output layer and layer count the weights imply must match the config.

    Checked before a model is built from the config, so that a hand-edited
    size is named here (and cannot make minigrad build a model of any size).
    """
    expect = {
        "embedding.W": ((len(vocab), config.embedding_size), "vocab and config.embedding_size"),
        "head.W": ((config.hidden_size, len(vocab)), "config.hidden_size and vocab"),
    }
    for key, (shape, fields) in expect.items():
        if key not in model:
            raise fail(path, f"model/{key}", "is missing")
        if tuple(model[key].shape) != shape:
            raise CheckpointError(
                f"{path}: model/{key} has shape {tuple(model[key].shape)}, but {fields} "
                f"({config.hidden_size} units, {config.embedding_size}-wide embedding, "
                f"{len(vocab)} characters) say {shape}: the file is damaged or was edited"
            )
    layers = {k.split(".")[2] for k in model if k.startswith("rnn.layers.")}
    if len(layers) != config.layers:
        raise CheckpointError(
            f"{path}: the weights hold {len(layers)} recurrent layer(s) but config.layers is "
            f"{config.layers}: the file is damaged or was edited"
        )


def check_finite(path: str, field: str, arrays: Mapping[str, Any]) -> None:
    """Refuse NaN or infinite values (a run that diverged before it was saved)."""
    for key, array in arrays.items():
        if array.dtype.kind != "f":
            continue
        bad = ~np.isfinite(array)
        if bad.any():
            n_nan = int(np.isnan(array).sum())
            raise CheckpointError(
                f"{path}: {field}/{key} holds {n_nan} NaN and {int(bad.sum()) - n_nan} infinite "
                "value(s): training had diverged when this checkpoint was written (or the file "
                "was altered). Use an earlier checkpoint, or retrain with a lower --lr or --clip"
            )
