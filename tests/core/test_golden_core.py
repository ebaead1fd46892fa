"""minigrad against PyTorch on composite functions (golden fixtures, float64, to 1e-10).

``tests/golden/make_core_fixtures.py`` wrote the inputs, outputs and gradients with PyTorch;
each function below is the same computation written with minigrad. Torch is not needed here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg

FIXTURES = Path(__file__).resolve().parents[1] / "golden" / "core_fixtures.npz"
IGNORE = -1
TOL = 1e-10


def mlp(x, w1, b1, w2, b2, targets):
    logits = (x @ w1 + b1).tanh() @ w2 + b2
    return mg.cross_entropy(logits, targets, ignore_index=IGNORE)


def nll(x, w1, w2, targets):
    logp = mg.log_softmax((x @ w1).tanh() @ w2, axis=-1)
    picked = logp[np.arange(len(targets)), targets]
    return -picked.mean() + 0.1 * mg.cross_entropy(logp, targets, reduction="sum")


def attention(q, k, v, proj):
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1])
    return ((mg.softmax(scores, axis=-1) @ v) * proj).sum()


def rnn(x, w_x, w_h, b, w_y, b_y, targets):
    h = mg.zeros((x.shape[0], w_h.shape[0]), dtype=np.float64)
    logits = []
    for t in range(x.shape[1]):
        h = (x[:, t] @ w_x + h @ w_h + b).tanh()
        logits.append(h @ w_y + b_y)
    return mg.cross_entropy(mg.stack(logits, axis=1), targets)


def layer_norm(x, gain, shift, proj):
    mu = x.mean(axis=-1, keepdims=True)
    centred = x - mu
    var = (centred**2).mean(axis=-1, keepdims=True)
    y = centred / mg.sqrt(var + 1e-5) * gain + shift
    return (y * proj).sum()


def gates(x, y, proj):
    s = mg.sigmoid(x)
    z = mg.where(x.data > 0, s * y, mg.clip(y, -0.5, 0.5) * 2.0)
    return (z.max(axis=1) * proj).sum() + mg.abs(z).mean()


def gather(table, indices, w, proj):
    e = mg.embedding(table, indices)
    picked = e[:, [0, 2, 2, 4]]
    return ((picked.sum(axis=1) @ w).tanh() * proj).sum()


def elementwise(x, y, proj):
    softplus = mg.log(mg.exp(x) + 1.0)
    z = (softplus / (mg.abs(y) + 1.0)) ** 1.5 - mg.sqrt(mg.abs(x) + 0.1)
    return (z * proj).sum()


CASES: dict[str, Callable[..., mg.Tensor]] = {
    "mlp": mlp,
    "nll": nll,
    "attention": attention,
    "rnn": rnn,
    "layer_norm": layer_norm,
    "gates": gates,
    "gather": gather,
    "elementwise": elementwise,
}


@pytest.fixture(scope="module")
def fixtures() -> dict[str, np.ndarray]:
    with np.load(FIXTURES, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def _stored_cases(fixtures: dict[str, np.ndarray]) -> set[str]:
    return {key.split("__")[0] for key in fixtures if key.endswith("__out")}


def test_every_stored_case_is_checked(fixtures) -> None:
    assert _stored_cases(fixtures) == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_pytorch(case: str, fixtures) -> None:
    prefix = f"{case}__"
    names = [
        key[len(prefix) :]
        for key in fixtures
        if key.startswith(prefix) and "__grad__" not in key and not key.endswith("__out")
    ]
    inputs = {}
    for name in names:
        value = fixtures[prefix + name]
        if value.dtype.kind == "f":
            inputs[name] = mg.tensor(value, dtype=np.float64, requires_grad=True)
        else:
            inputs[name] = value  # integer targets and indices stay plain arrays

    out = CASES[case](**inputs)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), fixtures[prefix + "out"], rtol=TOL, atol=TOL)

    out.backward()
    differentiable = [name for name, v in inputs.items() if isinstance(v, mg.Tensor)]
    assert {n for n in differentiable} == {
        key.split("__grad__")[1] for key in fixtures if key.startswith(prefix + "grad__")
    }
    for name in differentiable:
        expected = fixtures[f"{prefix}grad__{name}"]
        actual = inputs[name].grad
        assert actual is not None, f"{case}: no gradient reached {name}"
        np.testing.assert_allclose(
            actual, expected, rtol=TOL, atol=TOL, err_msg=f"{case}: d(out)/d({name})"
        )
