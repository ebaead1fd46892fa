"""Greff et al.'s LSTM variants and Jozefowicz et al.'s MUT1-3 against NumPy written from the
papers' equations, and against the built-in cells they coincide with."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg

GREFF = ("v", "nig", "nfg", "nog", "niaf", "noaf", "np", "cifg", "fgr")


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def greff_step(variant: str, x, h, c, q, p: dict[str, np.ndarray]):
    """One step of Greff's equations (column blocks, zero where a variant has none)."""
    H = h.shape[1]
    blocks = {"v": "ifgo", "nig": "fgo", "nfg": "igo", "nog": "ifg", "cifg": "igo"}.get(
        variant, "ifgo"
    )
    a = x @ p["U"] + h @ p["W"] + p["b"]
    pre = {g: a[:, k * H : (k + 1) * H] for k, g in enumerate(blocks)}
    if variant == "fgr":
        extra = q @ p["R"]
        for k, g in enumerate("ifo"):
            pre[g] = pre[g] + extra[:, k * H : (k + 1) * H]
    peep = variant != "np"
    i = sigmoid(pre["i"] + (p["p_i"] * c if peep else 0)) if "i" in pre else 1.0
    if variant == "cifg":
        f = 1.0 - i
    else:
        f = sigmoid(pre["f"] + (p["p_f"] * c if peep else 0)) if "f" in pre else 1.0
    g = pre["g"] if variant == "niaf" else np.tanh(pre["g"])
    c_new = f * c + i * g
    o = sigmoid(pre["o"] + (p["p_o"] * c_new if peep else 0)) if "o" in pre else 1.0
    h_new = o * (c_new if variant == "noaf" else np.tanh(c_new))
    q_new = np.concatenate([i, f, o], axis=1) if variant == "fgr" else None
    return h_new, c_new, q_new


@pytest.mark.parametrize("variant", GREFF)
def test_each_greff_variant_follows_the_papers_equations(variant: str) -> None:
    rng = np.random.default_rng(0)
    cell = mg.cells.create(f"greff_{variant}", 3, 4, dtype=np.float64)
    params = {name: p.numpy() for name, p in cell.named_parameters()}
    x = rng.standard_normal((2, 5, 3))
    outputs, final = mg.cells.dynamic_rnn(cell, mg.tensor(x))
    h, c = np.zeros((2, 4)), np.zeros((2, 4))
    q = np.zeros((2, 12))
    for t in range(5):
        h, c, q = greff_step(variant, x[:, t], h, c, q, params)
        np.testing.assert_allclose(outputs.numpy()[:, t], h, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(final[1].numpy(), c, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("variant", "twin"), [("v", "peephole_lstm"), ("np", "lstm")])
def test_v_and_np_are_the_peephole_and_standard_lstm(variant: str, twin: str) -> None:
    ours = mg.cells.create(f"greff_{variant}", 3, 5, dtype=np.float64)
    other = mg.cells.create(twin, 3, 5, dtype=np.float64)
    other.load_state_dict(ours.state_dict())
    x = mg.tensor(np.random.default_rng(1).standard_normal((2, 7, 3)))
    np.testing.assert_allclose(
        mg.cells.dynamic_rnn(ours, x)[0].numpy(), mg.cells.dynamic_rnn(other, x)[0].numpy()
    )


def test_only_the_variants_a_fused_op_computes_have_the_fused_option() -> None:
    with_option = {v for v in GREFF if "fused" in mg.cells.get(f"greff_{v}").options()}
    assert with_option == {"v", "np"}
    with pytest.raises(mg.CellError, match="no option 'fused'"):
        mg.cells.create("greff_nfg", 2, 3, fused=False)


def test_parameter_counts_follow_the_gate_blocks() -> None:
    def count(name: str) -> int:
        return sum(p.size for p in mg.cells.create(name, 2, 10).parameters())

    lstm = 4 * 10 * (2 + 10 + 1)
    assert count("greff_np") == count("lstm") == lstm
    assert count("greff_v") == lstm + 30
    assert count("greff_nig") == count("greff_nfg") == count("greff_nog") == 3 * 10 * 13 + 20
    assert count("greff_cifg") == 3 * 10 * 13 + 20  # blocks i, g, o and peepholes p_i, p_o
    assert count("greff_fgr") == lstm + 30 + 30 * 30


def test_forget_bias_lands_where_each_variant_keeps_its_forget_gate() -> None:
    rng = np.random.default_rng(2)
    base = mg.cells.create("greff_v", 2, 3, forget_bias=0.0, rng=np.random.default_rng(2))
    shifted = mg.cells.create("greff_v", 2, 3, forget_bias=5.0, rng=rng)
    np.testing.assert_allclose(shifted.b.numpy()[3:6] - base.b.numpy()[3:6], 5.0, rtol=1e-6)
    coupled = mg.cells.create("greff_cifg", 2, 3, forget_bias=5.0, rng=np.random.default_rng(3))
    plain = mg.cells.create("greff_cifg", 2, 3, forget_bias=0.0, rng=np.random.default_rng(3))
    np.testing.assert_allclose(coupled.b.numpy()[:3] - plain.b.numpy()[:3], -5.0, rtol=1e-6)
    mg.cells.create("greff_nfg", 2, 3, forget_bias=5.0)  # no f block: nothing to add to


def test_without_a_forget_gate_the_cell_only_accumulates() -> None:
    cell = mg.cells.create("greff_nfg", 1, 4, dtype=np.float64)
    cell.U.data[:, 4:8] = 0.0  # the candidate block: constant tanh(b_g + W_g h)
    x = mg.ones((1, 400, 1), dtype=np.float64)
    _, (_, c_long) = mg.cells.dynamic_rnn(cell, x)
    _, (_, c_short) = mg.cells.dynamic_rnn(cell, x[:, :100])
    growth = np.abs(c_long.numpy()) - np.abs(c_short.numpy())
    assert (growth > 1.0).all()  # f = 1: the cell keeps adding what i * g writes


def test_fgr_carries_its_gates_in_the_state() -> None:
    cell = mg.cells.create("greff_fgr", 3, 4)
    assert cell.state_layout == ("h", "c", "q") and cell.state_sizes() == (4, 4, 12)
    h, c, q = cell.zero_state(2)
    out, (h1, c1, q1) = cell(mg.randn((2, 3)), (h, c, q))
    assert q1.shape == (2, 12) and ((q1.numpy() > 0) & (q1.numpy() < 1)).all()


def mut_step(name: str, x, h, p: dict[str, np.ndarray]) -> np.ndarray:
    """Jozefowicz et al.'s MUT equations, with x_t projected where the paper adds it raw."""
    H = h.shape[1]
    xz, xr, xn = (x @ p["U"][:, k * H : (k + 1) * H] for k in range(3))
    bz, br, bn = (p["b"][k * H : (k + 1) * H] for k in range(3))
    W = p["W"]
    if name == "mut1":
        W_r, W_n = W[:, :H], W[:, H:]
        z = sigmoid(xz + bz)
        r = sigmoid(xr + h @ W_r + br)
        n = np.tanh((r * h) @ W_n + np.tanh(xn) + bn)
    else:
        W_z, W_r, W_n = W[:, :H], W[:, H : 2 * H], W[:, 2 * H :]
        seen = np.tanh(h) if name == "mut3" else h
        z = sigmoid(xz + seen @ W_z + bz)
        r = sigmoid(xr + h @ W_r + br)
        n = np.tanh((r * h) @ W_n + xn + bn)
    return z * n + (1 - z) * h


@pytest.mark.parametrize("name", ["mut1", "mut2", "mut3"])
def test_jozefowicz_cells_follow_the_papers_equations(name: str) -> None:
    cell = mg.cells.create(f"jozefowicz_{name}", 3, 4, dtype=np.float64)
    params = {n: p.numpy() for n, p in cell.named_parameters()}
    x = np.random.default_rng(4).standard_normal((2, 6, 3))
    outputs, _ = mg.cells.dynamic_rnn(cell, mg.tensor(x))
    h = np.zeros((2, 4))
    for t in range(6):
        h = mut_step(name, x[:, t], h, params)
        np.testing.assert_allclose(outputs.numpy()[:, t], h, rtol=1e-10, atol=1e-12)
    assert params["W"].shape == ((4, 8) if name == "mut1" else (4, 12))
