"""The ``peephole_lstm`` cell against a plain-NumPy float64 oracle of its documented equations."""

from __future__ import annotations

import numpy as np

import minigrad as mg

B, I, H, T = 3, 4, 5, 6


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def oracle_step(p: dict, x: np.ndarray, h: np.ndarray, c_prev: np.ndarray) -> tuple:
    """i and f peek at c_{t-1}, o at the new c_t; peepholes are per-unit (diagonal)."""
    a = x @ p["U"] + h @ p["W"] + p["b"]
    i, f, g, o = (a[:, k * H : (k + 1) * H] for k in range(4))
    i = sigmoid(i + p["p_i"] * c_prev)
    f = sigmoid(f + p["p_f"] * c_prev)
    c = f * c_prev + i * np.tanh(g)
    return sigmoid(o + p["p_o"] * c) * np.tanh(c), c


def params64(cell: mg.nn.Module) -> dict:
    return {k: v.astype(np.float64) for k, v in cell.state_dict().items()}


def make(seed: int = 0, **options) -> mg.cells.Cell:
    return mg.cells.create(
        "peephole_lstm", I, H, dtype=np.float64, rng=np.random.default_rng(seed), **options
    )


def test_parameter_shapes() -> None:
    shapes = {k: v.shape for k, v in make().state_dict().items()}
    assert shapes == {
        "U": (I, 4 * H),
        "W": (H, 4 * H),
        "b": (4 * H,),
        "p_i": (H,),
        "p_f": (H,),
        "p_o": (H,),
    }


def test_step_and_sequence_match_oracle(rng: np.random.Generator) -> None:
    cell = make()
    p = params64(cell)
    xs = rng.standard_normal((B, T, I))
    h0, c0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    state = (mg.tensor(h0), mg.tensor(c0))
    out, (h1, c1) = cell(mg.tensor(xs[:, 0]), state)
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


def test_output_gate_sees_the_new_cell_state(rng: np.random.Generator) -> None:
    """Only p_o set: an o-gate that peeked at c_{t-1} instead would give another h_t."""
    cell = make()
    cell.p_i.data[...] = 0.0
    cell.p_f.data[...] = 0.0
    cell.p_o.data[...] = 2.0
    p = params64(cell)
    x, h0, c0 = (
        rng.standard_normal((B, I)),
        rng.standard_normal((B, H)),
        rng.standard_normal((B, H)),
    )
    out, (_, c1) = cell(mg.tensor(x), (mg.tensor(h0), mg.tensor(c0)))
    a = x @ p["U"] + h0 @ p["W"] + p["b"]
    o_pre = a[:, 3 * H :]
    np.testing.assert_allclose(
        out.numpy(), sigmoid(o_pre + 2.0 * c1.numpy()) * np.tanh(c1.numpy()), atol=1e-12
    )
    assert not np.allclose(out.numpy(), sigmoid(o_pre + 2.0 * c0) * np.tanh(c1.numpy()))


def test_zero_peepholes_give_the_plain_lstm(rng: np.random.Generator) -> None:
    peephole = make()
    for name in ("p_i", "p_f", "p_o"):
        getattr(peephole, name).data[...] = 0.0
    lstm = mg.cells.create("lstm", I, H, dtype=np.float64)
    lstm.load_state_dict({k: peephole.state_dict()[k] for k in ("U", "W", "b")})
    xs = mg.tensor(rng.standard_normal((B, T, I)))
    out_p, (_, c_p) = mg.cells.dynamic_rnn(peephole, xs)
    out_l, (_, c_l) = mg.cells.dynamic_rnn(lstm, xs)
    np.testing.assert_allclose(out_p.numpy(), out_l.numpy(), atol=1e-14)
    np.testing.assert_allclose(c_p.numpy(), c_l.numpy(), atol=1e-14)


def test_forget_bias_is_stored_in_the_f_block() -> None:
    diff = make(forget_bias=1.5, seed=2).b.numpy() - make(forget_bias=0.0, seed=2).b.numpy()
    np.testing.assert_allclose(diff[H : 2 * H], 1.5, atol=1e-12)
    np.testing.assert_array_equal(np.delete(diff, np.s_[H : 2 * H]), 0.0)
