"""The ``gru`` cell, both reset forms, against a plain-NumPy float64 oracle of its equations."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg

B, I, H, T = 3, 4, 5, 6


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def oracle_step(p: dict, x: np.ndarray, h: np.ndarray, reset_after: bool) -> np.ndarray:
    """Blocks r, z, n; z keeps the old state: h' = z h + (1 - z) n."""
    U, W, b = p["U"], p["W"], p["b"]
    blk = [slice(k * H, (k + 1) * H) for k in range(3)]
    r = sigmoid(x @ U[:, blk[0]] + h @ W[:, blk[0]] + b[blk[0]])
    z = sigmoid(x @ U[:, blk[1]] + h @ W[:, blk[1]] + b[blk[1]])
    if reset_after:
        n = np.tanh(x @ U[:, blk[2]] + b[blk[2]] + r * (h @ W[:, blk[2]] + p["b_hn"]))
    else:
        n = np.tanh(x @ U[:, blk[2]] + (r * h) @ W[:, blk[2]] + b[blk[2]])
    return z * h + (1.0 - z) * n


def make(reset_after: bool = False, seed: int = 0) -> mg.cells.Cell:
    return mg.cells.create(
        "gru", I, H, reset_after=reset_after, dtype=np.float64, rng=np.random.default_rng(seed)
    )


@pytest.mark.parametrize("reset_after", [False, True])
def test_parameter_shapes(reset_after: bool) -> None:
    shapes = {k: v.shape for k, v in make(reset_after).state_dict().items()}
    expected = {"U": (I, 3 * H), "W": (H, 3 * H), "b": (3 * H,)}
    if reset_after:
        expected["b_hn"] = (H,)
    assert shapes == expected
    assert make(reset_after).state_layout == ("h",)


@pytest.mark.parametrize("reset_after", [False, True])
def test_step_and_sequence_match_oracle(rng: np.random.Generator, reset_after: bool) -> None:
    cell = make(reset_after)
    p = cell.state_dict()
    xs, h0 = rng.standard_normal((B, T, I)), rng.standard_normal((B, H))
    out, h1 = cell(mg.tensor(xs[:, 0]), mg.tensor(h0))
    want = oracle_step(p, xs[:, 0], h0, reset_after)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(h1.numpy(), want, rtol=1e-12, atol=1e-13)

    outputs, h_T = mg.cells.dynamic_rnn(cell, mg.tensor(xs), mg.tensor(h0))
    h = h0
    for t in range(T):
        h = oracle_step(p, xs[:, t], h, reset_after)
        np.testing.assert_allclose(outputs.numpy()[:, t], h, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(h_T.numpy(), h, rtol=1e-12, atol=1e-13)


def test_the_two_reset_forms_are_not_equivalent(rng: np.random.Generator) -> None:
    before, after = make(False), make(True)
    after.b_hn.data[...] = 0.0
    after.load_state_dict({**before.state_dict(), "b_hn": after.b_hn.numpy()})
    x, h0 = mg.tensor(rng.standard_normal((B, I))), mg.tensor(rng.standard_normal((B, H)))
    assert not np.allclose(before(x, h0)[0].numpy(), after(x, h0)[0].numpy(), atol=1e-6)


@pytest.mark.parametrize("reset_after", [False, True])
def test_z_keeps_the_old_state(rng: np.random.Generator, reset_after: bool) -> None:
    """z -> 1 copies h_{t-1} (Cho/TF/PyTorch); z -> 0 writes the candidate n_t alone."""
    cell = make(reset_after)
    x, h0 = rng.standard_normal((B, I)), rng.standard_normal((B, H))
    cell.b.data[H : 2 * H] = 60.0
    kept, _ = cell(mg.tensor(x), mg.tensor(h0))
    np.testing.assert_allclose(kept.numpy(), h0, atol=1e-12)
    cell.b.data[H : 2 * H] = -60.0
    replaced, _ = cell(mg.tensor(x), mg.tensor(h0))
    p = cell.state_dict()
    r = sigmoid(x @ p["U"][:, :H] + h0 @ p["W"][:, :H] + p["b"][:H])
    if reset_after:
        n = np.tanh(
            x @ p["U"][:, 2 * H :] + p["b"][2 * H :] + r * (h0 @ p["W"][:, 2 * H :] + p["b_hn"])
        )
    else:
        n = np.tanh(x @ p["U"][:, 2 * H :] + (r * h0) @ p["W"][:, 2 * H :] + p["b"][2 * H :])
    np.testing.assert_allclose(replaced.numpy(), n, atol=1e-12)


def test_reset_gate_applies_before_the_product_by_default(rng: np.random.Generator) -> None:
    """r -> 0 removes the old state from the candidate: n = tanh(U_n x + b_n)."""
    cell = make(False)
    x, h0 = rng.standard_normal((B, I)), rng.standard_normal((B, H))
    cell.b.data[:H] = -60.0  # r = 0
    cell.b.data[H : 2 * H] = -60.0  # z = 0: h_t = n_t
    out, _ = cell(mg.tensor(x), mg.tensor(h0))
    p = cell.state_dict()
    np.testing.assert_allclose(
        out.numpy(), np.tanh(x @ p["U"][:, 2 * H :] + p["b"][2 * H :]), atol=1e-12
    )


def test_reset_after_must_be_a_bool() -> None:
    with pytest.raises(mg.CellError, match="reset_after must be True or False"):
        mg.cells.create("gru", 2, 3, reset_after="yes")
