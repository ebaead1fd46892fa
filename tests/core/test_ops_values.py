"""Forward values (and a few gradients) of the ops against plain NumPy oracles."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg

RNG = np.random.default_rng(42)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))
POS = RNG.uniform(0.5, 2.0, (3, 4))


def _t(data, dtype=np.float64, requires_grad=False):
    return mg.tensor(data, dtype=dtype, requires_grad=requires_grad)


# ------------------------------------------------------------- elementwise
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "op, oracle",
    [
        (lambda a, b: a + b, np.add),
        (lambda a, b: a - b, np.subtract),
        (lambda a, b: a * b, np.multiply),
        (lambda a, b: a / b, np.divide),
        (lambda a, b: mg.add(a, b[0]), lambda a, b: a + b[0]),
        (lambda a, b: mg.where(a.data > 0, a, b), lambda a, b: np.where(a > 0, a, b)),
        (lambda a, b: a @ b.T, lambda a, b: a @ b.T),
        (lambda a, b: mg.concat([a, b], axis=1), lambda a, b: np.concatenate([a, b], axis=1)),
        (lambda a, b: mg.stack([a, b], axis=1), lambda a, b: np.stack([a, b], axis=1)),
    ],
)
def test_binary_forward_matches_numpy(op, oracle, dtype) -> None:
    out = op(_t(A, dtype), _t(B, dtype))
    assert out.dtype == dtype
    tol = 1e-6 if dtype == np.float32 else 1e-15
    np.testing.assert_allclose(out.numpy(), oracle(A.astype(dtype), B.astype(dtype)), rtol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "op, oracle, data",
    [
        (mg.neg, np.negative, A),
        (mg.exp, np.exp, A),
        (mg.log, np.log, POS),
        (mg.sqrt, np.sqrt, POS),
        (mg.abs, np.abs, A),
        (mg.tanh, np.tanh, A),
        (mg.relu, lambda x: np.maximum(x, 0), A),
        (mg.sigmoid, lambda x: 1 / (1 + np.exp(-x)), A),
        (lambda x: x**3, lambda x: x**3, A),
        (lambda x: x**-0.5, lambda x: x**-0.5, POS),
        (lambda x: 2.0 - x, lambda x: 2.0 - x, A),
        (lambda x: 2.0 / x, lambda x: 2.0 / x, POS),
        (lambda x: mg.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), A),
        (mg.softmax, lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True), A),
        (
            lambda x: mg.log_softmax(x, axis=0),
            lambda x: x - np.log(np.exp(x).sum(0, keepdims=True)),
            A,
        ),
        (lambda x: x.sum(axis=1), lambda x: x.sum(axis=1), A),
        (lambda x: x.mean(axis=0, keepdims=True), lambda x: x.mean(axis=0, keepdims=True), A),
        (lambda x: x.max(axis=-1), lambda x: x.max(axis=-1), A),
        (mg.max, np.max, A),
        (lambda x: x.reshape(2, 6), lambda x: x.reshape(2, 6), A),
        (lambda x: x.T, lambda x: x.T, A),
        (lambda x: mg.swapaxes(x[None], 0, 2), lambda x: np.swapaxes(x[None], 0, 2), A),
    ],
)
def test_unary_forward_matches_numpy(op, oracle, data, dtype) -> None:
    out = op(_t(data, dtype))
    assert out.dtype == dtype
    tol = 2e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(out.numpy(), oracle(data.astype(dtype)), rtol=tol, atol=tol)


def test_astype_converts_and_sends_the_gradient_back_in_the_old_dtype() -> None:
    x = _t([1.5, -2.25], requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32 and y.tolist() == [1.5, -2.25]
    (y * 2.0).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [2.0, 2.0]


# ---------------------------------------------------------- large inputs
EXTREMES = np.array([[-1000.0, 0.0, 1000.0], [1000.0, 1000.0, -1000.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_finite_and_saturates_at_plus_minus_1000(dtype) -> None:
    x = _t(EXTREMES, dtype, requires_grad=True)
    y = mg.sigmoid(x)
    np.testing.assert_array_equal(y.numpy(), [[0.0, 0.5, 1.0], [1.0, 1.0, 0.0]])
    y.sum().backward()
    assert np.isfinite(x.grad).all()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.25, 0.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_are_finite_at_plus_minus_1000(dtype) -> None:
    x = _t(EXTREMES, dtype, requires_grad=True)
    p = mg.softmax(x)
    np.testing.assert_allclose(p.numpy(), [[0, 0, 1], [0.5, 0.5, 0]], atol=1e-7)
    logp = mg.log_softmax(x)
    log2 = np.log(2)
    expected = [[-2000, -1000, 0], [-log2, -log2, -2000 - log2]]
    np.testing.assert_allclose(logp.numpy(), expected, rtol=1e-6)
    (p * _t([[1, 2, 3], [4, 5, 6]], dtype)).sum().backward()
    (logp * _t([[1, 2, 3], [4, 5, 6]], dtype)).sum().backward()
    assert np.isfinite(x.grad).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_finite_at_plus_minus_1000(dtype) -> None:
    x = _t(EXTREMES, dtype, requires_grad=True)
    loss = mg.cross_entropy(x, np.array([0, 1]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [2000.0, np.log(2)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [[-1, 0, 1], [0.5, -0.5, 0]], atol=1e-7)


# ------------------------------------------------------------ cross-entropy
def _ce_oracle(logits, targets, reduction, ignore_index=None):
    """Per-row loss logsumexp - picked logit, and its gradient, written with plain loops."""
    flat, t = logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
    losses, grads, count = np.zeros(len(t)), np.zeros_like(flat), 0
    for i, (row, target) in enumerate(zip(flat, t)):
        if ignore_index is not None and target == ignore_index:
            continue
        count += 1
        m = row.max()
        lse = m + np.log(np.sum(np.exp(row - m)))
        losses[i] = lse - row[target]
        grads[i] = np.exp(row - lse)
        grads[i, target] -= 1
    if reduction == "none":
        return losses.reshape(targets.shape), grads.reshape(logits.shape)
    if reduction == "sum":
        return losses.sum(), grads.reshape(logits.shape)
    return losses.sum() / count, grads.reshape(logits.shape) / count


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [None, -100, 2])
def test_cross_entropy_matches_numpy_oracle(reduction, ignore_index) -> None:
    rng = np.random.default_rng(7)
    logits = rng.standard_normal((2, 5, 4)) * 3
    targets = rng.integers(0, 4, (2, 5))
    if ignore_index == -100:
        targets[0, 1] = targets[1, 3] = -100
    x = _t(logits, requires_grad=True)
    loss = mg.cross_entropy(x, targets, reduction=reduction, ignore_index=ignore_index)
    expected_loss, expected_grad = _ce_oracle(logits, targets, reduction, ignore_index)
    np.testing.assert_allclose(loss.numpy(), expected_loss, rtol=1e-13)
    loss.backward(np.ones(loss.shape))
    np.testing.assert_allclose(x.grad, expected_grad, rtol=1e-12, atol=1e-15)


def test_cross_entropy_ignored_rows_get_no_gradient_and_mean_counts_the_rest() -> None:
    x = _t(np.zeros((3, 4)), requires_grad=True)
    loss = mg.cross_entropy(x, np.array([1, -1, -1]), ignore_index=-1)
    assert loss.item() == pytest.approx(np.log(4))  # one counted row, not divided by 3
    loss.backward()
    assert (x.grad[1:] == 0).all()


def test_cross_entropy_accepts_a_tensor_of_targets_and_keeps_float32() -> None:
    x = _t(A, np.float32, requires_grad=True)
    loss = mg.cross_entropy(x, mg.tensor([0, 1, 3]))
    assert loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32


# ---------------------------------------------------------------- selection
def test_embedding_with_duplicate_indices_accumulates() -> None:
    w = _t(np.arange(12.0).reshape(4, 3), requires_grad=True)
    idx = np.array([[1, 3, 1], [1, 0, 3]])
    out = mg.embedding(w, idx)
    np.testing.assert_array_equal(out.numpy(), w.numpy()[idx])
    upstream = np.arange(18.0).reshape(2, 3, 3)
    out.backward(upstream)
    expected = np.zeros((4, 3))
    for pos, row in np.ndenumerate(idx):
        expected[row] += upstream[pos]
    np.testing.assert_array_equal(w.grad, expected)
    assert w.grad[2].tolist() == [0.0, 0.0, 0.0]


def test_one_hot_matches_eye_and_is_a_constant() -> None:
    idx = np.array([[0, 2], [1, 1]])
    oh = mg.one_hot(idx, 3)
    assert oh.dtype == np.float32 and not oh.requires_grad
    np.testing.assert_array_equal(oh.numpy(), np.eye(3)[idx])
    assert mg.one_hot(mg.tensor([2]), 4, dtype=np.float64).tolist() == [[0, 0, 1, 0]]


def test_where_values_and_gradients() -> None:
    cond = np.array([[True, False, True]])
    a = _t(np.ones((2, 3)), requires_grad=True)
    b = _t(np.full((2, 1), 5.0), requires_grad=True)
    out = mg.where(cond, a, b)
    np.testing.assert_array_equal(out.numpy(), np.where(cond, np.ones((2, 3)), 5.0))
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, np.broadcast_to(cond, (2, 3)).astype(float))
    np.testing.assert_array_equal(b.grad, [[1.0], [1.0]])
    assert mg.where(cond, 0.0, a).tolist() == [[0.0, 1.0, 0.0]] * 2


@pytest.mark.parametrize(
    "index",
    [
        1,
        -1,
        slice(1, None),
        (slice(None), slice(None, None, -2)),
        (0, slice(1, 3)),
        (Ellipsis, 2),
        (None, 1),
        np.array([True, False, True]),
        np.array([[True, False, True, False], [False, False, True, True], [True] * 4]),
        np.array([2, 0, 2, 2]),
        [1, 1],
        (np.array([0, 0, 2]), np.array([3, 3, 1])),
        (slice(None), np.array([1, 1, 0])),
    ],
    ids=lambda i: repr(i).replace("\n", ""),
)
def test_getitem_values_and_repeated_elements_accumulate(index) -> None:
    data = np.arange(12.0).reshape(3, 4)
    x = _t(data, requires_grad=True)
    out = x[index]
    np.testing.assert_array_equal(out.numpy(), data[index])
    upstream = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(upstream)
    # Oracle: send each output element's gradient to the input element it was read from.
    positions = np.arange(12).reshape(3, 4)[index]
    expected = np.zeros(12)
    for pos, src in np.ndenumerate(positions):
        expected[src] += upstream[pos]
    np.testing.assert_allclose(x.grad, expected.reshape(3, 4), rtol=1e-15)


def test_getitem_accepts_tensor_indices() -> None:
    x = _t(np.arange(5.0))
    assert x[mg.tensor([4, 4, 0])].tolist() == [4.0, 4.0, 0.0]
    assert x[mg.tensor(np.array([True, False, False, False, True]))].tolist() == [0.0, 4.0]


def test_max_ties_share_the_gradient_equally() -> None:
    x = _t([[1.0, 3.0, 3.0, 3.0], [2.0, 0.0, 2.0, -1.0]], requires_grad=True)
    out = x.max(axis=1)
    assert out.tolist() == [3.0, 2.0]
    out.backward(np.array([3.0, 1.0]))
    np.testing.assert_allclose(x.grad, [[0, 1, 1, 1], [0.5, 0, 0.5, 0]])
    y = _t([5.0, 5.0], requires_grad=True)
    y.max().backward()
    assert y.grad.tolist() == [0.5, 0.5]


# ------------------------------------------------------ round trips, shapes
def test_split_concat_round_trip() -> None:
    x = _t(np.arange(24.0).reshape(2, 6, 2), requires_grad=True)
    pieces = mg.split(x, [1, 4], axis=1)
    assert [p.shape for p in pieces] == [(2, 1, 2), (2, 3, 2), (2, 2, 2)]
    back = mg.concat(pieces, axis=1)
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    upstream = np.random.default_rng(1).standard_normal(x.shape)
    back.backward(upstream)
    np.testing.assert_array_equal(x.grad, upstream)
    equal = mg.split(x, 3, axis=-2)
    assert [p.shape for p in equal] == [(2, 2, 2)] * 3


def test_stack_unstack_round_trip() -> None:
    x = _t(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    steps = mg.unstack(x, axis=1)
    assert len(steps) == 3 and all(s.shape == (2, 4) for s in steps)
    np.testing.assert_array_equal(steps[1].numpy(), x.numpy()[:, 1])
    back = mg.stack(steps, axis=1)
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    back.backward(np.ones(x.shape))
    np.testing.assert_array_equal(x.grad, np.ones(x.shape))


def test_split_pieces_left_unused_get_zero_gradient() -> None:
    x = _t(np.arange(6.0), requires_grad=True)
    _, middle, _ = mg.split(x, 3)
    (middle * middle).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 4.0, 6.0, 0.0, 0.0]


# ------------------------------------------------------------------ dropout
def test_dropout_eval_and_p_zero_are_the_identity() -> None:
    x = _t(np.ones((4, 5)))
    assert mg.dropout(x, 0.5, training=False) is x
    assert mg.dropout(x, 0.0) is x


def test_dropout_zeroes_about_p_and_scales_the_rest() -> None:
    mg.manual_seed(0)
    x = _t(np.ones((200, 100)), requires_grad=True)
    y = mg.dropout(x, 0.3)
    values = y.numpy()
    kept = values != 0
    np.testing.assert_allclose(values[kept], 1 / 0.7)
    assert abs(kept.mean() - 0.7) < 0.01  # 20,000 draws: std of the mean is 0.003
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, values)  # same mask, same scale in backward


def test_dropout_is_reproducible_with_manual_seed() -> None:
    x = _t(np.ones((10, 10)))
    mg.manual_seed(123)
    first = mg.dropout(x, 0.5).numpy()
    second = mg.dropout(x, 0.5).numpy()
    mg.manual_seed(123)
    again = mg.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)  # the generator moves on between calls


def test_dropout_keeps_float32() -> None:
    x = _t(np.ones((3, 3)), np.float32)
    assert mg.dropout(x, 0.5, rng=np.random.default_rng(0)).dtype == np.float32


def test_pow_gradients_at_zero() -> None:
    x = _t([0.0, 2.0], requires_grad=True)
    (x**0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]  # constant: no NaN from 0 * 0^-1
    x.zero_grad()
    (x**2 + x**1).sum().backward()
    assert x.grad.tolist() == [1.0, 5.0]
