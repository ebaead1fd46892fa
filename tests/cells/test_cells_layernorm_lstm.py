"""The ``layernorm_lstm`` cell against a plain-NumPy float64 oracle of its equations."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg

B, I, H, T = 3, 4, 5, 6
EPS = 1e-5


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def layer_norm(a: np.ndarray, gain: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Per example, over the H units: biased variance, eps inside the square root."""
    mu = a.mean(axis=-1, keepdims=True)
    var = ((a - mu) ** 2).mean(axis=-1, keepdims=True)
    return gain * (a - mu) / np.sqrt(var + EPS) + shift


def oracle_step(p: dict, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple:
    """Four blocks (i, f, g, o) each normalised on its own; no bias; LN(c_t) before tanh."""
    a = x @ p["U"] + h @ p["W"]
    i, f, g, o = (
        layer_norm(a[:, k * H : (k + 1) * H], p["ln_gain"][k], p["ln_shift"][k]) for k in range(4)
    )
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    h = sigmoid(o) * np.tanh(layer_norm(c, p["c_gain"], p["c_shift"]))
    return h, c


def make(seed: int = 0, **options) -> mg.cells.Cell:
    return mg.cells.create(
        "layernorm_lstm", I, H, dtype=np.float64, rng=np.random.default_rng(seed), **options
    )


def randomise_norm_parameters(cell: mg.cells.Cell, rng: np.random.Generator) -> None:
    """Gains and shifts start at 1 and 0; move them so the oracle checks their roles too."""
    for name in ("ln_gain", "ln_shift", "c_gain", "c_shift"):
        p = getattr(cell, name)
        p.data[...] = p.data + 0.5 * rng.standard_normal(p.shape)


def test_parameters_and_initial_values() -> None:
    cell = make(forget_bias=0.75)
    sd = cell.state_dict()
    assert {k: v.shape for k, v in sd.items()} == {
        "U": (I, 4 * H),
        "W": (H, 4 * H),
        "ln_gain": (4, H),
        "ln_shift": (4, H),
        "c_gain": (H,),
        "c_shift": (H,),
    }
    np.testing.assert_array_equal(sd["ln_gain"], 1.0)
    np.testing.assert_array_equal(sd["c_gain"], 1.0)
    np.testing.assert_array_equal(sd["c_shift"], 0.0)
    # forget_bias lives in the f row of the shifts (there is no b).
    expected_shift = np.zeros((4, H))
    expected_shift[1] = 0.75
    np.testing.assert_array_equal(sd["ln_shift"], expected_shift)


def test_step_and_sequence_match_oracle(rng: np.random.Generator) -> None:
    cell = make()
    randomise_norm_parameters(cell, rng)
    p = cell.state_dict()
    xs = rng.standard_normal((B, T, I))
    h0, c0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    state = (mg.tensor(h0), mg.tensor(c0))
    _, (h1, c1) = cell(mg.tensor(xs[:, 0]), state)
    want_h, want_c = oracle_step(p, xs[:, 0], h0, c0)
    np.testing.assert_allclose(h1.numpy(), want_h, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c1.numpy(), want_c, rtol=1e-10, atol=1e-12)

    outputs, (h_T, c_T) = mg.cells.dynamic_rnn(cell, mg.tensor(xs), state)
    h, c = h0, c0
    for t in range(T):
        h, c = oracle_step(p, xs[:, t], h, c)
        np.testing.assert_allclose(outputs.numpy()[:, t], h, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h_T.numpy(), h, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c_T.numpy(), c, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("block", range(4))
def test_each_gate_block_is_normalised_on_its_own(rng: np.random.Generator, block: int) -> None:
    """Scaling and shifting one block's pre-activation leaves the step unchanged.

    The shift comes from a constant input feature. A normalisation over all 4H
    units together (or none) would see the change.
    """
    cell = make()
    x = rng.standard_normal((B, I))
    x[:, 0] = 1.0
    h0, c0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    state = (mg.tensor(h0), mg.tensor(c0))
    out, (_, c1) = cell(mg.tensor(x), state)
    cols = slice(block * H, (block + 1) * H)
    cell.U.data[:, cols] *= 3.0
    cell.W.data[:, cols] *= 3.0
    cell.U.data[0, cols] += 7.0
    out2, (_, c2) = cell(mg.tensor(x), state)
    # Not exact: eps / var changes with the scale.
    np.testing.assert_allclose(out2.numpy(), out.numpy(), atol=1e-4)
    np.testing.assert_allclose(c2.numpy(), c1.numpy(), atol=1e-4)


def test_state_keeps_the_unnormalised_cell_and_c_is_normalised_for_the_output(
    rng: np.random.Generator,
) -> None:
    cell = make()
    x, h0, c0 = (
        rng.standard_normal((B, I)),
        rng.standard_normal((B, H)),
        rng.standard_normal((B, H)),
    )
    state = (mg.tensor(h0), mg.tensor(c0))
    out, (_, c1) = cell(mg.tensor(x), state)
    assert np.abs(c1.numpy().mean(axis=1)).max() > 1e-3  # not normalised
    cell.c_gain.data[...] = 0.0
    cell.c_shift.data[...] = 0.0
    out_zero_gain, (_, c_same) = cell(mg.tensor(x), state)
    np.testing.assert_array_equal(c_same.numpy(), c1.numpy())
    np.testing.assert_allclose(out_zero_gain.numpy(), 0.0, atol=1e-15)  # tanh(LN_c(c)) = 0
    assert np.abs(out.numpy()).max() > 1e-3


def test_eps_must_be_positive() -> None:
    with pytest.raises(mg.CellError, match="eps must be > 0"):
        make(eps=0.0)
