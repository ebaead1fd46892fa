"""What ``mg.tensor`` refuses (and still accepts), and cross-entropy's scalar target."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad.errors import ArgumentError, DTypeError, ShapeError


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (None, "from None"),
        ("abc", "from the str 'abc'"),
        (b"\x00\x01", "from the bytes"),
        (object(), "an object of type object"),
        ({"a": 1}, "an object of type dict"),
        ({1, 2}, "an object of type set"),
        ([1.0, None], "a list holding None and float"),
        ([1, "a"], "a list holding int and str"),
        (np.array([1 + 2j]), "dtype complex128"),
        (np.array(["x"]), "dtype <U1"),
    ],
    ids=[
        "none",
        "str",
        "bytes",
        "object",
        "dict",
        "set",
        "none-in-list",
        "str-in-list",
        "complex",
        "str-array",
    ],
)
def test_what_is_not_numbers_is_refused_saying_what_it_was(data: Any, named: str) -> None:
    with pytest.raises(ArgumentError) as info:
        mg.tensor(data)
    message = str(info.value)
    assert message.startswith("tensor: cannot make a tensor")
    assert named in message and "a tensor holds numbers" in message
    assert isinstance(info.value, TypeError)  # `except TypeError` still works


def test_none_is_refused_even_with_a_dtype_that_would_turn_it_into_nan() -> None:
    assert np.isnan(np.array(None, dtype=np.float32))  # what NumPy alone would do
    with pytest.raises(ArgumentError, match="from None"):
        mg.tensor(None, dtype=np.float32)


def test_a_non_numeric_dtype_is_refused() -> None:
    with pytest.raises(ArgumentError, match="dtype <U1"):
        mg.tensor([1, 2], dtype=str)


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ([[1, 2], [3]], "data[0] has 2 elements but data[1] has 1"),
        ([[1, 2], [3, 4], [5, 6, 7]], "data[0] has 2 elements but data[2] has 3"),
        ([1, [2, 3]], "data[0] is a number but data[1] is a list"),
        ([[[1], [2]], [[1], [2, 3]]], "data[1][0] has 1 elements but data[1][1] has 2"),
        ([np.zeros(2), np.zeros(3)], "data[0] has 2 elements but data[1] has 3"),
    ],
    ids=["short-row", "long-row", "number-and-list", "deeper", "arrays"],
)
@pytest.mark.parametrize("dtype", [None, np.float32])
def test_ragged_lists_are_a_shape_error_saying_where(data: Any, where: str, dtype: Any) -> None:
    with pytest.raises(ShapeError) as info:
        mg.tensor(data, dtype=dtype)
    message = str(info.value)
    assert f"ragged ({where})" in message and "pad the short rows" in message


@pytest.mark.parametrize(
    ("data", "dtype", "shape"),
    [
        (3, np.int64, ()),
        (2.5, np.float32, ()),
        (True, np.bool_, ()),
        ([[1, 2], [3, 4]], np.int64, (2, 2)),
        ([], np.float32, (0,)),
        ((1.0, 2.0), np.float32, (2,)),
        (np.arange(3, dtype=np.uint8), np.uint8, (3,)),
        (np.float16(1.5), np.float16, ()),
        (mg.ones((2,), dtype=np.float64), np.float64, (2,)),
    ],
)
def test_numbers_in_every_usual_form_still_make_tensors(data: Any, dtype: Any, shape: Any) -> None:
    t = mg.tensor(data)
    assert t.dtype == dtype and t.shape == shape


# ------------------------------------------------------------ cross-entropy
def test_cross_entropy_of_one_row_takes_a_plain_int_target() -> None:
    a = np.array([1.0, 2.0, 3.0])
    logits = mg.tensor(a, dtype=np.float64, requires_grad=True)
    loss = mg.cross_entropy(logits, 0)
    softmax = np.exp(a) / np.exp(a).sum()
    assert loss.shape == ()
    assert loss.item() == pytest.approx(np.log(np.exp(a).sum()) - a[0], rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(logits.grad, softmax - np.eye(3)[0], rtol=1e-12)
    for same in (np.int64(0), np.array(0)):
        assert mg.cross_entropy(logits, same).item() == loss.item()


@pytest.mark.parametrize(
    ("target", "named"),
    [(0.0, "got a float"), (True, "got a bool"), ("0", "got a str"), ([0.5], "got dtype float64")],
)
def test_cross_entropy_names_what_a_wrong_target_is(target: Any, named: str) -> None:
    with pytest.raises(DTypeError) as info:
        mg.cross_entropy(mg.tensor([1.0, 2.0, 3.0]), target)
    assert named in str(info.value) and "integer class indices" in str(info.value)
