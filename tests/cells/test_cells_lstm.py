"""The ``lstm`` cell against a plain-NumPy float64 oracle of its documented equations."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg

B, I, H, T = 3, 4, 5, 6


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def oracle_step(p: dict, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple:
    """i, f, g, o blocks of x U + h W + b; c' = f c + i g; h' = o tanh(c')."""
    a = x @ p["U"] + h @ p["W"] + p["b"]
    i, f, g, o = (a[:, k * H : (k + 1) * H] for k in range(4))
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


def params64(cell: mg.nn.Module) -> dict:
    return {k: v.astype(np.float64) for k, v in cell.state_dict().items()}


def make(dtype=np.float64, seed: int = 0, **options) -> mg.cells.Cell:
    return mg.cells.create("lstm", I, H, dtype=dtype, rng=np.random.default_rng(seed), **options)


def test_parameter_shapes_and_state_layout() -> None:
    cell = make()
    assert {k: v.shape for k, v in cell.state_dict().items()} == {
        "U": (I, 4 * H),
        "W": (H, 4 * H),
        "b": (4 * H,),
    }
    assert cell.state_layout == ("h", "c")
    h, c = cell.zero_state(2)
    assert h.shape == c.shape == (2, H)


def test_one_step_matches_oracle(rng: np.random.Generator) -> None:
    cell = make()
    x, h, c = rng.standard_normal((B, I)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    out, (h1, c1) = cell(
        mg.tensor(x, dtype=np.float64),
        (mg.tensor(h, dtype=np.float64), mg.tensor(c, dtype=np.float64)),
    )
    want_h, want_c = oracle_step(params64(cell), x, h, c)
    np.testing.assert_allclose(out.numpy(), want_h, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(h1.numpy(), want_h, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(c1.numpy(), want_c, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_sequence_matches_oracle(rng: np.random.Generator, dtype, tol: float) -> None:
    cell = make(dtype=dtype)
    xs = rng.standard_normal((B, T, I))
    outputs, (h_T, c_T) = mg.cells.dynamic_rnn(cell, mg.tensor(xs, dtype=dtype))
    assert outputs.dtype == dtype and h_T.dtype == dtype
    p = params64(cell)
    h, c = np.zeros((B, H)), np.zeros((B, H))
    for t in range(T):
        h, c = oracle_step(p, xs.astype(dtype).astype(np.float64)[:, t], h, c)
        np.testing.assert_allclose(outputs.numpy()[:, t], h, rtol=tol, atol=tol)
    np.testing.assert_allclose(h_T.numpy(), h, rtol=tol, atol=tol)
    np.testing.assert_allclose(c_T.numpy(), c, rtol=tol, atol=tol)


def test_forget_bias_is_stored_in_the_f_block_of_b() -> None:
    plain = make(forget_bias=0.0, seed=3)
    biased = make(forget_bias=2.5, seed=3)
    np.testing.assert_array_equal(plain.U.numpy(), biased.U.numpy())
    np.testing.assert_array_equal(plain.W.numpy(), biased.W.numpy())
    diff = biased.b.numpy() - plain.b.numpy()
    np.testing.assert_allclose(diff[H : 2 * H], 2.5, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(np.delete(diff, np.s_[H : 2 * H]), 0.0)


def test_default_forget_bias_is_one_and_not_added_again_at_run_time(
    rng: np.random.Generator,
) -> None:
    cell = make()
    assert cell.forget_bias == 1.0
    bound = 1 / np.sqrt(H)
    f_block = cell.b.numpy()[H : 2 * H]
    assert np.all((f_block >= 1 - bound) & (f_block <= 1 + bound))
    # The oracle uses the stored b as it is: a run-time +1 (TF1 style) would break this.
    x = rng.standard_normal((B, I))
    out, _ = cell(mg.tensor(x, dtype=np.float64))
    want, _ = oracle_step(params64(cell), x, np.zeros((B, H)), np.zeros((B, H)))
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, atol=1e-13)


def test_gate_order_is_i_f_g_o() -> None:
    """Saturate one block at a time and watch the documented effect."""
    cell = make()
    cell.U.data[...] = 0.0
    cell.W.data[...] = 0.0
    h0 = mg.tensor(np.full((1, H), 0.3))
    c0 = mg.tensor(np.full((1, H), 0.5))
    x = mg.tensor(np.zeros((1, I)))
    # f block -> -inf (forget everything), i block -> +inf, g block -> +inf: c_t = 1.
    cell.b.data[...] = 0.0
    cell.b.data[:H], cell.b.data[H : 2 * H], cell.b.data[2 * H : 3 * H] = 50.0, -50.0, 50.0
    cell.b.data[3 * H :] = 50.0  # o fully open: h = tanh(c)
    _, (h1, c1) = cell(x, (h0, c0))
    np.testing.assert_allclose(c1.numpy(), 1.0, atol=1e-12)
    np.testing.assert_allclose(h1.numpy(), np.tanh(1.0), atol=1e-12)
    # Keep everything (f open, i closed): c_t = c_{t-1}.
    cell.b.data[:H], cell.b.data[H : 2 * H] = -50.0, 50.0
    _, (_, c2) = cell(x, (h0, c0))
    np.testing.assert_allclose(c2.numpy(), 0.5, atol=1e-12)
