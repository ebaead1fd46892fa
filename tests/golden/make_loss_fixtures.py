"""Write ``loss_fixtures.npz``: PyTorch's ``mse_loss`` values and gradients, for minigrad's.

``tests/core/test_golden_losses.py`` rebuilds each case with minigrad in float64 from the
stored inputs and compares the output and every gradient to 1e-10 (no torch needed there).
The cases cover the three reductions, a gradient that reaches the target, and a small
adding-problem model (a tanh RNN read out at its last step and regressed with MSE).

How to rerun (only needed when a case is added or changed)::

    pip install torch==2.13.0 numpy      # the CPU build is enough
    python tests/golden/make_loss_fixtures.py

Keys follow ``make_core_fixtures.py``: ``<case>__<input>``, ``<case>__out`` and
``<case>__grad__<input>``, all float64; every output is a scalar (reduction "none" is
projected on a fixed random ``proj``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

OUT_PATH = Path(__file__).with_name("loss_fixtures.npz")


def mse_mean(prediction, target):
    """The default reduction: the mean over every element."""
    return F.mse_loss(prediction, target)


def mse_sum(prediction, target):
    """reduction="sum"."""
    return F.mse_loss(prediction, target, reduction="sum")


def mse_none(prediction, target, proj):
    """reduction="none", projected to a scalar."""
    return (F.mse_loss(prediction, target, reduction="none") * proj).sum()


def adding_rnn(x, w_x, w_h, b, w_y, b_y, target):
    """A tanh RNN over [B, T, 2] read out at its last step, mean squared error to the sums."""
    h = torch.zeros(x.shape[0], w_h.shape[0], dtype=x.dtype)
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ w_x + h @ w_h + b)
    return F.mse_loss((h @ w_y + b_y)[:, 0], target)


def _cases(rng: np.random.Generator) -> dict[str, tuple[Callable, dict[str, np.ndarray]]]:
    n = rng.standard_normal
    values = rng.random((3, 6))
    marks = np.zeros((3, 6))
    marks[np.arange(3), [0, 1, 2]] = 1.0
    marks[np.arange(3), [4, 5, 3]] = 1.0
    return {
        "mean": (mse_mean, {"prediction": n((4, 5)), "target": n((4, 5))}),
        "sum": (mse_sum, {"prediction": n((3, 2, 4)), "target": n((3, 2, 4))}),
        "none": (mse_none, {"prediction": n((5, 3)), "target": n((5, 3)), "proj": n((5, 3))}),
        "adding": (
            adding_rnn,
            {"x": np.stack([values, marks], axis=-1), "w_x": n((2, 5)) * 0.5,
             "w_h": n((5, 5)) * 0.4, "b": n(5) * 0.1, "w_y": n((5, 1)), "b_y": n(1) * 0.1,
             "target": (values * marks).sum(axis=1)},
        ),
    }  # fmt: skip


def main() -> None:
    """Compute every case with PyTorch in float64 and save inputs, output and gradients."""
    arrays: dict[str, np.ndarray] = {"meta__torch_version": np.array(torch.__version__)}
    for case, (fn, inputs) in _cases(np.random.default_rng(2025)).items():
        tensors = {}
        for name, value in inputs.items():
            tensors[name] = torch.tensor(value, dtype=torch.float64, requires_grad=True)
            arrays[f"{case}__{name}"] = value.astype(np.float64)
        out = fn(**tensors)
        out.backward()
        arrays[f"{case}__out"] = out.detach().numpy().astype(np.float64)
        for name, t in tensors.items():
            arrays[f"{case}__grad__{name}"] = t.grad.numpy().astype(np.float64)
    np.savez(OUT_PATH, **arrays)
    print(f"wrote {len(arrays)} arrays to {OUT_PATH}")


if __name__ == "__main__":
    main()
