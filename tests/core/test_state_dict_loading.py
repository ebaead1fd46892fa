"""``load_state_dict`` checks everything first and changes nothing on failure; its dtype rules."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minigrad import backend, nn
from minigrad.errors import StateDictError
from minigrad.nn.module import loadable_dtype


def model() -> nn.Module:
    rng = np.random.default_rng(0)
    return nn.Sequential(nn.Linear(3, 4, rng=rng), nn.Linear(4, 2, rng=rng))


def weights(m: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in m.state_dict().items()}


def assert_unchanged(m: nn.Module, before: dict[str, np.ndarray]) -> None:
    after = m.state_dict()
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value, err_msg=key)
        assert after[key].dtype == value.dtype


def test_a_string_array_third_changes_nothing_and_names_its_key() -> None:
    m = model()
    before = weights(m)
    state = {k: np.zeros_like(v) for k, v in before.items()}  # zeros would be visible
    third = list(state)[2]
    state[third] = np.full(state[third].shape, "oops")
    with pytest.raises(StateDictError) as info:
        m.load_state_dict(state)
    message = str(info.value)
    assert f"{third}: it holds strings (dtype <U4), the parameter is float32" in message
    assert "Nothing was loaded" in message
    assert_unchanged(m, before)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (np.array([["a"] * 4] * 3), "holds strings"),
        (np.array([[b"a"] * 4] * 3), "holds bytes"),
        (np.full((3, 4), None, dtype=object), "holds Python objects"),
        (np.ones((3, 4), np.complex64), "complex numbers (the imaginary part would be lost)"),
        (np.ones((3, 4), bool), "holds booleans"),
        (np.ones((3, 4), np.int32), "holds integers"),
        (np.ones((3, 4), np.uint8), "holds unsigned integers"),
        (np.ones((3, 4), np.float64), "float64 values would be rounded to the parameter's float32"),
        ([[0.5] * 4] * 3, "float64 values would be rounded"),  # a Python list is float64
        ([[1.0] * 4, [1.0]], "it is not an array"),
    ],
    ids=["str", "bytes", "object", "complex", "bool", "int", "uint", "float64", "list", "ragged"],
)
def test_values_that_are_not_weights_or_would_change_are_refused(value: Any, reason: str) -> None:
    m = model()
    before = weights(m)
    state = {**before, "0.W": value}
    with pytest.raises(
        StateDictError, match="0.W: .*" + reason.replace("(", r"\(").replace(")", r"\)")
    ):
        m.load_state_dict(state)
    assert_unchanged(m, before)


def test_widening_float_casts_load_exactly() -> None:
    m = model()
    state = {k: v.astype(np.float16) for k, v in weights(m).items()}
    m.load_state_dict(state)
    for key, value in m.state_dict().items():
        assert value.dtype == np.float32
        np.testing.assert_array_equal(value, state[key].astype(np.float32))
    wide = model().astype(np.float64)
    wide.load_state_dict(weights(m))  # float32 into float64
    assert all(v.dtype == np.float64 for v in wide.state_dict().values())


def test_a_failure_while_moving_the_arrays_also_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    m = model()
    before = weights(m)
    calls = []
    real = backend.to_device

    def fail_on_the_third(array: Any, device: str) -> Any:
        calls.append(device)
        if len(calls) == 3:
            raise MemoryError("out of device memory")
        return real(array, device)

    monkeypatch.setattr(backend, "to_device", fail_on_the_third)
    with pytest.raises(MemoryError):
        m.load_state_dict({k: np.zeros_like(v) for k, v in before.items()})
    assert_unchanged(m, before)


def test_a_state_that_is_not_a_dict_is_refused() -> None:
    with pytest.raises(StateDictError, match="expected a dict of arrays.*got a list"):
        model().load_state_dict([np.ones(3)])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("source", "target", "ok"),
    [
        ("float32", "float32", True),
        ("float16", "float32", True),
        ("float16", "float64", True),
        ("float32", "float64", True),
        ("float64", "float32", False),
        ("float32", "float16", False),
        ("int8", "float32", False),
        ("bool", "float64", False),
        ("int64", "int64", True),
    ],
)
def test_the_dtype_rule(source: str, target: str, ok: bool) -> None:
    assert (loadable_dtype(source, target) is None) == ok
