"""Optimizers replay PyTorch's trajectories (``golden/optim_fixtures.npz``) to 1e-10.

The fixture and the script that made it (``golden/make_optim_fixtures.py``) are
committed; this test needs only NumPy. Each configuration starts from the same
float64 parameters and receives the same gradients as PyTorch did, including a
step where the second parameter has no gradient and must be left alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from minigrad import nn, optim

FIXTURE = Path(__file__).resolve().parents[1] / "golden" / "optim_fixtures.npz"


def _load():
    with np.load(FIXTURE, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    return arrays, json.loads(arrays.pop("config_json").tobytes())


ARRAYS, CONFIG = _load()


def test_fixture_covers_every_optimizer_and_option():
    configs = CONFIG["configs"].values()
    assert {c["class"] for c in configs} == {"SGD", "Adagrad", "RMSprop", "Adam"}
    options = {k for c in configs for k in c["kwargs"]}
    assert {"momentum", "nesterov", "weight_decay", "initial_accumulator_value"} <= options


@pytest.mark.parametrize("name", sorted(CONFIG["configs"]))
def test_optimizer_replays_torch_trajectory(name):
    spec = CONFIG["configs"][name]
    kwargs = dict(spec["kwargs"])
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    count = sum(k.startswith("init_") for k in ARRAYS)
    params = [nn.Parameter(ARRAYS[f"init_{j}"].copy()) for j in range(count)]
    opt = getattr(optim, spec["class"])(params, **kwargs)
    skip = tuple(CONFIG["skip"])
    for step in range(CONFIG["steps"]):
        for j, p in enumerate(params):
            p.grad = None if (step, j) == skip else ARRAYS[f"grads_{j}"][step].copy()
        opt.step()
        for j, p in enumerate(params):
            expected = ARRAYS[f"{name}__traj_{j}"][step + 1]
            np.testing.assert_allclose(
                p.numpy(), expected, rtol=0, atol=1e-10, err_msg=f"{name} step {step + 1} p{j}"
            )
    moved = ARRAYS[f"{name}__traj_0"][-1] - ARRAYS["init_0"]
    assert np.abs(moved).max() > 1e-3  # the trajectory really moves: not a trivial comparison
