"""Bad input to the core gets a project exception that names the op, the shapes or values
involved, and (where there is one) what to do."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg


def _t(shape, dtype=np.float32):
    return mg.tensor(np.ones(shape), dtype=dtype, requires_grad=True)


class _ArrayOnAnotherDevice(np.ndarray):
    """A NumPy array that reports itself as a CuPy array, so the device check can be
    exercised on a machine without a GPU (``backend`` recognises CuPy by module name)."""

    __module__ = "cupy._core.core"


def _on_other_device(shape) -> mg.Tensor:
    return mg.Tensor(np.ones(shape, dtype=np.float32).view(_ArrayOnAnotherDevice))


# -------------------------------------------------------------------- shapes
@pytest.mark.parametrize(
    "op, name",
    [(mg.add, "add"), (mg.sub, "sub"), (mg.mul, "mul"), (mg.div, "div")],
)
def test_shape_mismatch_names_the_op_and_both_shapes(op, name) -> None:
    with pytest.raises(mg.ShapeError) as info:
        op(_t((2, 3)), _t((4,)))
    message = str(info.value)
    assert message.startswith(f"{name}:")
    assert "(2, 3)" in message and "(4,)" in message
    assert isinstance(info.value, ValueError)  # also catchable as the built-in type


def test_shape_mismatch_through_operators_and_where() -> None:
    with pytest.raises(mg.ShapeError, match=r"mul.*\(3, 2\).*\(3,\)"):
        _t((3, 2)) * _t((3,))
    with pytest.raises(mg.ShapeError, match=r"where.*\(2, 2\).*\(3,\)"):
        mg.where(np.ones((2, 2), bool), _t((2, 2)), _t((3,)))


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [((2, 3), (4, 5)), ((2, 3, 4), (3, 4, 5)), ((3,), (3, 2)), ((2, 3), (3,))],
)
def test_matmul_shape_errors_name_both_shapes(shape_a, shape_b) -> None:
    with pytest.raises(mg.ShapeError) as info:
        _t(shape_a) @ _t(shape_b)
    message = str(info.value)
    assert "matmul" in message and str(shape_a) in message and str(shape_b) in message


def test_reshape_concat_stack_split_shape_errors() -> None:
    with pytest.raises(mg.ShapeError, match=r"reshape.*\(2, 3\).*6 elements.*\(4, 2\)"):
        _t((2, 3)).reshape(4, 2)
    with pytest.raises(
        mg.ShapeError, match=r"concat: tensor 0 has shape \(2, 3\).*tensor 1.*\(2, 4\)"
    ):
        mg.concat([_t((2, 3)), _t((2, 4))], axis=0)
    with pytest.raises(mg.ShapeError, match=r"stack.*\(2, 3\).*\(3, 2\)"):
        mg.stack([_t((2, 3)), _t((3, 2))])
    with pytest.raises(mg.ShapeError, match=r"split.*length 5.*3"):
        mg.split(_t((5, 2)), 3)
    with pytest.raises(mg.ShapeError, match="at least one"):
        mg.concat([])


def test_getitem_out_of_range_names_index_and_shape() -> None:
    with pytest.raises(mg.ShapeError, match=r"getitem.*\(2, 3\)"):
        _t((2, 3))[5]
    with pytest.raises(mg.ShapeError, match=r"getitem"):
        _t((2, 3))[np.array([True, False, True])]


# -------------------------------------------------------------------- dtypes
def test_float32_plus_float64_raises_naming_both_dtypes() -> None:
    with pytest.raises(mg.DTypeError) as info:
        _t((2,), np.float32) + _t((2,), np.float64)
    message = str(info.value)
    assert "add" in message and "float32" in message and "float64" in message
    assert "astype" in message


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a @ b,
        lambda a, b: mg.concat([a, b]),
        lambda a, b: mg.stack([a, b]),
        lambda a, b: mg.where(np.ones((2, 2), bool), a, b),
    ],
)
def test_every_multi_input_op_refuses_mixed_float_dtypes(combine) -> None:
    with pytest.raises(mg.DTypeError, match="float64"):
        combine(_t((2, 2), np.float32), _t((2, 2), np.float64))


def test_integer_tensor_with_a_float_constant_is_not_truncated_silently() -> None:
    with pytest.raises(mg.DTypeError, match=r"int64.*0\.5.*astype"):
        mg.tensor([1, 2]) + 0.5
    assert (mg.tensor([1, 2]) * 2).tolist() == [2, 4]  # integer constants are fine


def test_pow_needs_a_number_exponent() -> None:
    with pytest.raises(mg.ArgumentError, match="exponent must be a Python number"):
        mg.pow(_t((2,)), _t((2,)))


# ------------------------------------------------------------------- devices
def test_device_mixing_raises_naming_both_devices() -> None:
    other = _on_other_device((2, 2))
    assert other.device == "cuda"
    with pytest.raises(mg.DeviceError) as info:
        _t((2, 2)) + other
    message = str(info.value)
    assert "add" in message and "cpu" in message and "cuda" in message
    assert ".to(" in message
    assert isinstance(info.value, RuntimeError)


def test_device_mixing_is_checked_for_matmul_and_concat() -> None:
    with pytest.raises(mg.DeviceError, match=r"matmul.*cpu.*cuda"):
        _t((2, 2)) @ _on_other_device((2, 2))
    with pytest.raises(mg.DeviceError, match=r"concat.*cuda.*cpu"):
        mg.concat([_on_other_device((2, 2)), _t((2, 2))])


def test_unknown_device_name() -> None:
    with pytest.raises(mg.DeviceError, match="'tpu'.*'cpu' or 'cuda'"):
        mg.tensor([1.0], device="tpu")


@pytest.mark.gpu
def test_real_cpu_and_cuda_tensors_do_not_mix() -> None:
    cpu = mg.tensor([1.0, 2.0])
    gpu = mg.tensor([1.0, 2.0], device="cuda")
    with pytest.raises(mg.DeviceError, match=r"mul.*cpu.*cuda"):
        cpu * gpu


# --------------------------------------------------------- indices and losses
@pytest.mark.parametrize("bad", [5, -1])
def test_embedding_index_out_of_range(bad) -> None:
    w = _t((5, 3))
    with pytest.raises(mg.ShapeError) as info:
        mg.embedding(w, np.array([[0, bad], [1, 2]]))
    message = str(info.value)
    assert f"index {bad}" in message and "5 rows" in message and "0..4" in message


def test_embedding_needs_integer_indices() -> None:
    with pytest.raises(mg.DTypeError, match=r"embedding.*float64"):
        mg.embedding(_t((5, 3)), np.array([0.0, 1.0]))


def test_one_hot_out_of_range() -> None:
    with pytest.raises(mg.ShapeError, match=r"one_hot.*\[0, 3\).*\[0, 3\]"):
        mg.one_hot(np.array([0, 3]), 3)


@pytest.mark.parametrize(
    "targets, kind",
    [
        (np.array([0.0, 1.0]), "float64"),
        (mg.tensor([0.0, 1.0]), "float32"),
        ([0.5, 1.0], "float64"),
    ],
)
def test_cross_entropy_refuses_non_integer_targets(targets, kind) -> None:
    with pytest.raises(mg.DTypeError) as info:
        mg.cross_entropy(_t((2, 3)), targets)
    message = str(info.value)
    assert "cross_entropy" in message and "integer" in message and kind in message


def test_cross_entropy_accepts_a_list_of_integer_targets() -> None:
    loss = mg.cross_entropy(mg.tensor(np.zeros((2, 3))), [0, 2])
    assert loss.item() == pytest.approx(np.log(3))


def test_cross_entropy_target_shape_range_and_reduction() -> None:
    logits = _t((2, 4, 3))
    with pytest.raises(mg.ShapeError, match=r"\(2, 4, 3\).*\(2, 4\).*\(2, 3\)"):
        mg.cross_entropy(logits, np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(mg.ShapeError, match=r"\[0, 3\).*\[7, 7\]"):
        mg.cross_entropy(logits, np.full((2, 4), 7))
    with pytest.raises(ValueError, match="'avg'"):
        mg.cross_entropy(logits, np.zeros((2, 4), dtype=np.int64), reduction="avg")


def test_where_needs_a_tensor_and_dropout_a_valid_p() -> None:
    with pytest.raises(mg.DTypeError, match="where"):
        mg.where(np.array([True]), 1.0, 2.0)
    with pytest.raises(ValueError, match=r"dropout.*1\.0"):
        mg.dropout(_t((2,)), 1.0)


def test_item_on_a_multi_element_tensor() -> None:
    with pytest.raises(mg.ShapeError, match=r"one element, got shape \(2,\)"):
        _t((2,)).item()


def test_options_out_of_range_raise_option_error() -> None:
    with pytest.raises(mg.OptionError, match=r"dropout: p must be in \[0, 1\)"):
        mg.dropout(_t((2,)), 1.0)
    with pytest.raises(mg.OptionError, match="lr must be >= 0"):
        mg.optim.SGD([mg.nn.Parameter(_t((2,)))], lr=-1.0)
    with pytest.raises(mg.ArgumentError, match="not a Tensor"):
        mg.optim.SGD([np.zeros(2)], lr=0.1)


def test_fused_ops_reject_unknown_variants_with_cell_errors() -> None:
    x, h = mg.zeros((1, 2, 3)), mg.zeros((1, 4))
    U, W, b = mg.zeros((3, 16)), mg.zeros((4, 16)), mg.zeros((16,))
    with pytest.raises(mg.CellError, match="variant must be one of lstm, peephole, coupled"):
        mg.fused.lstm_sequence(x, h, h, U, W, b, variant="bogus")
    with pytest.raises(mg.CellError, match="needs the second bias b_hn"):
        mg.fused.gru_sequence(x, h, U[:, :12], W[:, :12], b[:12], reset_after=True)
    with pytest.raises(mg.CellError, match="activation must be one of tanh, relu, sigmoid"):
        mg.fused.rnn_sequence(x, h, U[:, :4], W[:, :4], b[:4], activation="gelu")
