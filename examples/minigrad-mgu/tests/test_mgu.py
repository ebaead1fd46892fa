"""The MGU cell's own tests: minigrad's conformance kit, plus its equations by hand.

Run from this folder with ``python -m pytest`` once the package is installed
(``pip install -e .``); they check the installed plugin, found through its
entry point.
"""

from __future__ import annotations

import numpy as np
from minigrad_mgu import MGUCell

import minigrad as mg
from minigrad.testing import parametrize_with_cell_checks


@parametrize_with_cell_checks(["mgu"])
def test_mgu_conforms(cell, check):
    check(cell)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def test_one_step_matches_the_equations_in_numpy() -> None:
    cell = MGUCell(3, 4, dtype=np.float64, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((2, 3))
    h = np.random.default_rng(2).standard_normal((2, 4))
    p = {name: param.numpy() for name, param in cell.named_parameters()}
    f = sigmoid(x @ p["U_f"] + h @ p["W_f"] + p["b_f"])
    n = np.tanh(x @ p["U_h"] + (f * h) @ p["W_h"] + p["b_h"])
    expected = (1 - f) * h + f * n
    out, new_h = cell(mg.tensor(x), mg.tensor(h))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert new_h is out


def test_gate_closed_keeps_the_state() -> None:
    # f = 0 exactly is out of reach, but a very negative gate bias gets close:
    # the state then passes through almost unchanged.
    cell = MGUCell(2, 3, dtype=np.float64, rng=np.random.default_rng(0))
    cell.b_f.data[...] = -50.0
    h = mg.tensor(np.full((1, 3), 0.7))
    out, _ = cell(mg.tensor(np.ones((1, 2))), h)
    np.testing.assert_allclose(out.numpy(), h.numpy(), atol=1e-12)
