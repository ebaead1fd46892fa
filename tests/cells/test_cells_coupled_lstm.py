"""The ``coupled_lstm`` (CIFG) cell against a plain-NumPy float64 oracle of its equations."""

from __future__ import annotations

import numpy as np

import minigrad as mg

B, I, H, T = 3, 4, 5, 6


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def oracle_step(p: dict, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple:
    """Blocks f, g, o; the input gate is 1 - f."""
    a = x @ p["U"] + h @ p["W"] + p["b"]
    f, g, o = (a[:, k * H : (k + 1) * H] for k in range(3))
    f = sigmoid(f)
    c = f * c + (1.0 - f) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


def make(seed: int = 0, **options) -> mg.cells.Cell:
    return mg.cells.create(
        "coupled_lstm", I, H, dtype=np.float64, rng=np.random.default_rng(seed), **options
    )


def test_parameter_shapes_and_alias() -> None:
    shapes = {k: v.shape for k, v in make().state_dict().items()}
    assert shapes == {"U": (I, 3 * H), "W": (H, 3 * H), "b": (3 * H,)}
    assert mg.cells.get("cifg").cls is type(make())


def test_step_and_sequence_match_oracle(rng: np.random.Generator) -> None:
    cell = make()
    p = {k: v.astype(np.float64) for k, v in cell.state_dict().items()}
    xs = rng.standard_normal((B, T, I))
    h0, c0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    state = (mg.tensor(h0), mg.tensor(c0))
    _, (h1, c1) = cell(mg.tensor(xs[:, 0]), state)
    want_h, want_c = oracle_step(p, xs[:, 0], h0, c0)
    np.testing.assert_allclose(h1.numpy(), want_h, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(c1.numpy(), want_c, rtol=1e-12, atol=1e-13)

    outputs, (h_T, c_T) = mg.cells.dynamic_rnn(cell, mg.tensor(xs), state)
    h, c = h0, c0
    for t in range(T):
        h, c = oracle_step(p, xs[:, t], h, c)
        np.testing.assert_allclose(outputs.numpy()[:, t], h, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(h_T.numpy(), h, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(c_T.numpy(), c, rtol=1e-12, atol=1e-13)


def test_what_is_forgotten_is_replaced(rng: np.random.Generator) -> None:
    """f = 1 keeps c_{t-1}; f = 0 writes the candidate g_t alone."""
    cell = make()
    x, h0, c0 = (
        rng.standard_normal((B, I)),
        rng.standard_normal((B, H)),
        rng.standard_normal((B, H)),
    )
    state = (mg.tensor(h0), mg.tensor(c0))
    cell.b.data[:H] = 60.0
    _, (_, kept) = cell(mg.tensor(x), state)
    np.testing.assert_allclose(kept.numpy(), c0, atol=1e-12)
    cell.b.data[:H] = -60.0
    _, (_, written) = cell(mg.tensor(x), state)
    p = {k: v.astype(np.float64) for k, v in cell.state_dict().items()}
    g = np.tanh((x @ p["U"] + h0 @ p["W"] + p["b"])[:, H : 2 * H])
    np.testing.assert_allclose(written.numpy(), g, atol=1e-12)


def test_forget_bias_is_stored_in_the_f_block() -> None:
    diff = make(forget_bias=1.0, seed=5).b.numpy() - make(forget_bias=0.0, seed=5).b.numpy()
    np.testing.assert_allclose(diff[:H], 1.0, atol=1e-12)
    np.testing.assert_array_equal(diff[H:], 0.0)
