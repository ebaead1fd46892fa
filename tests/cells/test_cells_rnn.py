"""The ``rnn`` cell (Elman RNN) against a plain-NumPy float64 oracle of its equations."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg

B, I, H, T = 3, 4, 5, 6

ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0.0),
    "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
}


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_step_and_sequence_match_oracle(rng: np.random.Generator, activation: str) -> None:
    cell = mg.cells.create(
        "rnn", I, H, activation=activation, dtype=np.float64, rng=np.random.default_rng(1)
    )
    p = cell.state_dict()
    assert {k: v.shape for k, v in p.items()} == {"U": (I, H), "W": (H, H), "b": (H,)}
    act = ACTIVATIONS[activation]
    xs, s0 = rng.standard_normal((B, T, I)), rng.standard_normal((B, H))
    out, s1 = cell(mg.tensor(xs[:, 0]), mg.tensor(s0))
    np.testing.assert_allclose(
        out.numpy(), act(xs[:, 0] @ p["U"] + s0 @ p["W"] + p["b"]), atol=1e-13
    )
    assert out is s1

    outputs, s_T = mg.cells.dynamic_rnn(cell, mg.tensor(xs), mg.tensor(s0))
    s = s0
    for t in range(T):
        s = act(xs[:, t] @ p["U"] + s @ p["W"] + p["b"])
        np.testing.assert_allclose(outputs.numpy()[:, t], s, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(s_T.numpy(), s, rtol=1e-12, atol=1e-13)


def test_basic_rnn_alias_and_state_layout() -> None:
    assert mg.cells.get("basic_rnn").name == "rnn"
    assert mg.cells.create("basic_rnn", 2, 3).state_layout == ("s",)


def test_unknown_activation_names_the_valid_ones() -> None:
    with pytest.raises(mg.CellError, match="activation must be one of tanh, relu, sigmoid"):
        mg.cells.create("rnn", 2, 3, activation="gelu")
