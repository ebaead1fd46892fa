"""Make ``optim_fixtures.npz``: PyTorch optimizer trajectories for ``test_optim_golden.py``.

Run from the repository root (needs PyTorch; the tests themselves do not)::

    python tests/golden/make_optim_fixtures.py

Each configuration starts from the same float64 parameters, feeds PyTorch's
optimizer a fixed sequence of float64 gradients for ``STEPS`` steps (one step
leaves the second parameter without a gradient, to test skipping) and records
every parameter after every step. The file holds only numeric arrays plus one
uint8 array of JSON describing the configurations: no pickles.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

STEPS = 5
SHAPES = [(3, 4), (4,)]
SKIP = (2, 1)  # at step 2, parameter 1 has no gradient (p.grad is None)

# name -> (torch class, keyword arguments shared by torch and minigrad)
CONFIGS: dict[str, tuple[str, dict]] = {
    "sgd": ("SGD", {"lr": 0.1}),
    "sgd_momentum": ("SGD", {"lr": 0.1, "momentum": 0.9}),
    "sgd_nesterov": ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    "sgd_momentum_wd": ("SGD", {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.05}),
    "sgd_wd": ("SGD", {"lr": 0.05, "weight_decay": 0.1}),
    "adagrad": ("Adagrad", {"lr": 0.1}),
    "adagrad_tf_like": ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.1, "eps": 1e-7}),
    "rmsprop": ("RMSprop", {"lr": 0.01}),
    "rmsprop_momentum": ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6, "momentum": 0.9}),
    "adam": ("Adam", {"lr": 0.01}),
    "adam_betas": ("Adam", {"lr": 0.05, "betas": [0.8, 0.99], "eps": 1e-6}),
    "adam_wd": ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
}


def run(cls_name: str, kwargs: dict, init: list[np.ndarray], grads: list[np.ndarray]):
    """Return one (STEPS + 1, *shape) trajectory per parameter."""
    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in init]
    torch_kwargs = dict(kwargs)
    if "betas" in torch_kwargs:
        torch_kwargs["betas"] = tuple(torch_kwargs["betas"])
    opt = getattr(torch.optim, cls_name)(params, foreach=False, **torch_kwargs)
    traj = [[p.detach().numpy().copy()] for p in params]
    for step in range(STEPS):
        for j, p in enumerate(params):
            skipped = (step, j) == SKIP
            p.grad = None if skipped else torch.tensor(grads[j][step], dtype=torch.float64)
        opt.step()
        for j, p in enumerate(params):
            traj[j].append(p.detach().numpy().copy())
    return [np.stack(t) for t in traj]


def main() -> None:
    rng = np.random.default_rng(20170)
    init = [rng.standard_normal(s) for s in SHAPES]
    grads = [rng.standard_normal((STEPS, *s)) for s in SHAPES]
    arrays: dict[str, np.ndarray] = {}
    for j in range(len(SHAPES)):
        arrays[f"init_{j}"] = init[j]
        arrays[f"grads_{j}"] = grads[j]
    for name, (cls_name, kwargs) in CONFIGS.items():
        for j, t in enumerate(run(cls_name, kwargs, init, grads)):
            arrays[f"{name}__traj_{j}"] = t
    config = {
        "torch_version": torch.__version__,
        "steps": STEPS,
        "skip": list(SKIP),
        "configs": {name: {"class": c, "kwargs": kw} for name, (c, kw) in CONFIGS.items()},
    }
    arrays["config_json"] = np.frombuffer(json.dumps(config).encode(), dtype=np.uint8)
    out = Path(__file__).with_name("optim_fixtures.npz")
    np.savez(out, **arrays)
    print(f"wrote {out} ({len(CONFIGS)} configurations, torch {torch.__version__})")


if __name__ == "__main__":
    main()
