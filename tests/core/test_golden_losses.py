"""``mse_loss`` against PyTorch (golden fixtures, float64, to 1e-10), and its rules.

``tests/golden/make_loss_fixtures.py`` wrote the inputs, outputs and gradients with
PyTorch's ``F.mse_loss``; each case below is the same computation with minigrad.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F

FIXTURES = Path(__file__).resolve().parents[1] / "golden" / "loss_fixtures.npz"
TOL = 1e-10


def adding(x, w_x, w_h, b, w_y, b_y, target):
    h = mg.zeros((x.shape[0], w_h.shape[0]), dtype=np.float64)
    for t in range(x.shape[1]):
        h = (x[:, t] @ w_x + h @ w_h + b).tanh()
    return mg.mse_loss((h @ w_y + b_y)[:, 0], target)


CASES: dict[str, Callable[..., mg.Tensor]] = {
    "mean": lambda prediction, target: mg.mse_loss(prediction, target),
    "sum": lambda prediction, target: mg.mse_loss(prediction, target, reduction="sum"),
    "none": lambda prediction, target, proj: (
        mg.mean_squared_error(prediction, target, reduction="none") * proj
    ).sum(),
    "adding": adding,
}


@pytest.fixture(scope="module")
def fixtures() -> dict[str, np.ndarray]:
    with np.load(FIXTURES, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def test_every_stored_case_is_checked(fixtures) -> None:
    assert {key.split("__")[0] for key in fixtures if key.endswith("__out")} == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_pytorch(case: str, fixtures) -> None:
    prefix = f"{case}__"
    names = [
        key[len(prefix) :]
        for key in fixtures
        if key.startswith(prefix) and "__grad__" not in key and not key.endswith("__out")
    ]
    inputs = {
        n: mg.tensor(fixtures[prefix + n], dtype=np.float64, requires_grad=True) for n in names
    }
    out = CASES[case](**inputs)
    np.testing.assert_allclose(out.numpy(), fixtures[prefix + "out"], rtol=TOL, atol=TOL)
    out.backward()
    for name, tensor in inputs.items():
        np.testing.assert_allclose(
            tensor.grad, fixtures[f"{prefix}grad__{name}"], rtol=TOL, atol=TOL,
            err_msg=f"{case}: d(out)/d({name})",
        )  # fmt: skip


def test_the_alias_is_the_same_function() -> None:
    assert mg.mean_squared_error is mg.mse_loss
    assert F.mse_loss is mg.mse_loss


def test_always_predicting_one_on_the_adding_problem_costs_one_sixth() -> None:
    # The adding problem's baseline: the sum of two U(0, 1) has mean 1 and variance 2/12.
    rng = np.random.default_rng(0)
    sums = rng.random((200_000, 2)).sum(axis=1)
    loss = mg.mse_loss(mg.ones(sums.shape, dtype=np.float64), sums).item()
    assert loss == pytest.approx(1 / 6, abs=2e-3)


def test_float32_stays_float32_and_targets_may_be_arrays_or_lists() -> None:
    prediction = mg.tensor([[1.0, 2.0]], requires_grad=True)
    loss = mg.mse_loss(prediction, [[0.0, 0.0]], reduction="sum")
    assert loss.dtype == np.float32 and loss.item() == 5.0
    loss.backward()
    assert prediction.grad.dtype == np.float32
    assert prediction.grad.tolist() == [[2.0, 4.0]]


@pytest.mark.parametrize(
    ("target", "reduction", "error", "match"),
    [
        (np.zeros((3, 1)), "mean", mg.ShapeError, r"shape \(3,\) and target of shape \(3, 1\)"),
        (np.zeros(3), "avg", mg.OptionError, "'mean', 'sum' or 'none'"),
        (np.array(["a", "b", "c"]), "mean", mg.DTypeError, "target must hold numbers"),
    ],
    ids=["shape", "reduction", "strings"],
)
def test_mistakes_are_clear_errors(target, reduction, error, match) -> None:
    with pytest.raises(error, match=match):
        mg.mse_loss(mg.zeros((3,)), target, reduction=reduction)


def test_a_prediction_must_be_a_tensor() -> None:
    with pytest.raises(mg.DTypeError, match="prediction must be a minigrad Tensor"):
        mg.mse_loss(np.zeros(3), np.zeros(3))
