"""Initialisers: the distributions they promise, in place, on the parameter's dtype/device."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend
from minigrad.errors import ShapeError
from minigrad.nn import Parameter, init


def param(shape, dtype=np.float32, device="cpu"):
    return Parameter(backend.array_module_for(device).zeros(shape, dtype=dtype))


def test_init_writes_in_place_and_keeps_dtype_and_device(device):
    p = param((40, 30), device=device)
    buffer = p.data
    assert init.uniform_(p, -2.0, 3.0, rng=backend.default_rng(device)) is p
    assert p.data is buffer and p.dtype == np.float32 and p.device == device
    values = p.numpy()
    assert values.min() >= -2.0 and values.max() < 3.0
    assert values.mean() == pytest.approx(0.5, abs=0.1)


def test_uniform_and_normal_moments(rng):
    p = param((200, 200), dtype=np.float64)
    init.uniform_(p, -0.5, 1.5, rng=rng)
    assert p.numpy().mean() == pytest.approx(0.5, abs=0.01)
    assert p.numpy().std() == pytest.approx(2 / np.sqrt(12), rel=0.01)
    init.normal_(p, mean=3.0, std=0.25, rng=rng)
    assert p.numpy().mean() == pytest.approx(3.0, abs=0.005)
    assert p.numpy().std() == pytest.approx(0.25, rel=0.01)


def test_constant_zeros_ones():
    p = param((2, 3))
    np.testing.assert_array_equal(init.ones_(p).numpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(init.constant_(p, 1.5).numpy(), np.full((2, 3), 1.5))
    np.testing.assert_array_equal(init.zeros_(p).numpy(), np.zeros((2, 3)))


def test_glorot_uniform_bound_and_alias(rng):
    p = param((60, 140), dtype=np.float64)
    init.glorot_uniform_(p, rng=rng)
    bound = np.sqrt(6 / (60 + 140))
    assert np.abs(p.numpy()).max() <= bound
    assert p.numpy().std() == pytest.approx(bound / np.sqrt(3), rel=0.02)
    assert init.xavier_uniform_ is init.glorot_uniform_
    init.glorot_uniform_(p, gain=2.0, rng=rng)
    assert np.abs(p.numpy()).max() > 1.9 * bound
    with pytest.raises(ShapeError, match="at least 2 dimensions"):
        init.glorot_uniform_(param((5,)))


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10)])
def test_orthogonal_square_tall_and_wide(rng, shape):
    p = param(shape, dtype=np.float64)
    init.orthogonal_(p, gain=1.5, rng=rng)
    w = p.numpy() / 1.5
    rows, cols = shape
    if rows >= cols:
        np.testing.assert_allclose(w.T @ w, np.eye(cols), atol=1e-12)
    else:
        np.testing.assert_allclose(w @ w.T, np.eye(rows), atol=1e-12)


def test_orthogonal_is_not_biased_by_the_qr_sign_convention():
    # Without the sign correction Q's diagonal signs follow the QR routine, so the mean of
    # the diagonal drifts away from 0 over many draws; with it, it is symmetric about 0.
    rng = np.random.default_rng(0)
    p = param((3, 3), dtype=np.float64)
    diagonals = [np.diag(init.orthogonal_(p, rng=rng).numpy()).copy() for _ in range(2000)]
    assert abs(np.mean(diagonals)) < 0.03


def test_orthogonal_float32_and_seeded():
    mg.manual_seed(9)
    a = init.orthogonal_(param((5, 5))).numpy()
    mg.manual_seed(9)
    b = init.orthogonal_(param((5, 5))).numpy()
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a.T @ a, np.eye(5), atol=1e-5)


def test_orthogonal_blocks_make_each_gate_block_orthogonal(rng):
    hidden, gates = 4, 3
    p = param((hidden, gates * hidden), dtype=np.float64)
    init.orthogonal_blocks_(p, num_blocks=gates, rng=rng)
    w = p.numpy()
    blocks = [w[:, k * hidden : (k + 1) * hidden] for k in range(gates)]
    for b in blocks:
        np.testing.assert_allclose(b.T @ b, np.eye(hidden), atol=1e-12)
    assert not np.allclose(blocks[0], blocks[1])  # different draws, not one block repeated
    with pytest.raises(ShapeError, match="3 equal blocks"):
        init.orthogonal_blocks_(param((4, 10)), num_blocks=3)


def test_numpy_rng_into_cuda_parameter_is_moved(device):
    p = param((3, 3), device=device)
    init.normal_(p, rng=np.random.default_rng(0))
    assert p.device == device
    expected = np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32)
    np.testing.assert_array_equal(p.numpy(), expected)
