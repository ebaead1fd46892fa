"""Write ``core_fixtures.npz``: PyTorch's values and gradients for a few composite functions.

``tests/test_golden_core.py`` rebuilds each function with minigrad in float64 from the stored
inputs and compares the output and every gradient to 1e-10. PyTorch is an independent
implementation, so agreement checks minigrad's ops *and* its engine (shared weights,
re-used nodes, broadcasting) on realistic graphs, not just op by op.

How to rerun (only needed when a case is added or changed; the tests never import torch)::

    pip install torch==2.13.0          # the CPU build is enough
    python tests/golden/make_core_fixtures.py

The file is written next to this script with ``numpy.savez`` (no pickles, no object arrays).
Keys are ``<case>__<input>`` for inputs, ``<case>__out`` for the output and
``<case>__grad__<input>`` for d(out)/d(input), all float64; integer inputs (targets,
indices) are int64 and have no gradient. Every output is a scalar: each function ends in a
loss or in a dot product with a fixed random ``proj`` input, so every gradient is well defined.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

OUT_PATH = Path(__file__).with_name("core_fixtures.npz")
IGNORE = -1


def mlp_cross_entropy(x, w1, b1, w2, b2, targets):
    """tanh MLP -> cross-entropy with ignored rows (mean over the rows that count)."""
    logits = torch.tanh(x @ w1 + b1) @ w2 + b2
    return F.cross_entropy(logits, targets, ignore_index=IGNORE)


def mlp_log_softmax_nll(x, w1, w2, targets):
    """log_softmax picked at the targets by fancy indexing (NLL), written out by hand."""
    logp = torch.log_softmax(torch.tanh(x @ w1) @ w2, dim=-1)
    picked = logp[torch.arange(len(targets)), targets]
    return -picked.mean() + 0.1 * F.cross_entropy(logp, targets, reduction="sum")


def attention(q, k, v, proj):
    """Scaled dot-product attention: softmax(q k^T / sqrt(d)) v, projected to a scalar."""
    scores = q @ k.transpose(-1, -2) / np.sqrt(q.shape[-1])
    return ((torch.softmax(scores, dim=-1) @ v) * proj).sum()


def rnn(x, w_x, w_h, b, w_y, b_y, targets):
    """A tanh RNN unrolled over 5 steps with shared weights, cross-entropy over every step."""
    h = torch.zeros(x.shape[0], w_h.shape[0], dtype=x.dtype)
    logits = []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ w_x + h @ w_h + b)
        logits.append(h @ w_y + b_y)
    return F.cross_entropy(
        torch.stack(logits, dim=1).reshape(-1, w_y.shape[1]), targets.reshape(-1)
    )


def layer_norm(x, gain, shift, proj):
    """Layer normalisation from mean, sub, pow, sqrt and div."""
    mu = x.mean(dim=-1, keepdim=True)
    centred = x - mu
    var = (centred**2).mean(dim=-1, keepdim=True)
    y = centred / torch.sqrt(var + 1e-5) * gain + shift
    return (y * proj).sum()


def gates(x, y, proj):
    """sigmoid, where on a fixed mask, clip and a max over rows."""
    s = torch.sigmoid(x)
    z = torch.where(x.detach() > 0, s * y, torch.clamp(y, -0.5, 0.5) * 2.0)
    return (z.max(dim=1).values * proj).sum() + z.abs().mean()


def gather(table, indices, w, proj):
    """Embedding lookup with repeated ids, then repeated column picks, then a tanh layer."""
    e = table[indices]  # [B, T, D], rows repeat
    picked = e[:, [0, 2, 2, 4]]  # repeated positions along T
    return (torch.tanh(picked.sum(dim=1) @ w) * proj).sum()


def elementwise(x, y, proj):
    """exp, log, abs, pow with a fractional exponent, division and subtraction."""
    softplus = torch.log(torch.exp(x) + 1.0)
    z = (softplus / (y.abs() + 1.0)) ** 1.5 - torch.sqrt(x.abs() + 0.1)
    return (z * proj).sum()


def _cases(rng: np.random.Generator) -> dict[str, tuple[Callable, dict[str, np.ndarray]]]:
    n = rng.standard_normal
    mlp_targets = np.array([0, 2, IGNORE, 1, 1, IGNORE])
    return {
        "mlp": (
            mlp_cross_entropy,
            {"x": n((6, 4)), "w1": n((4, 5)) * 0.5, "b1": n(5), "w2": n((5, 3)),
             "b2": n(3), "targets": mlp_targets},
        ),
        "nll": (
            mlp_log_softmax_nll,
            {"x": n((5, 4)), "w1": n((4, 6)) * 0.5, "w2": n((6, 3)),
             "targets": np.array([2, 0, 1, 1, 2])},
        ),
        "attention": (
            attention,
            {"q": n((2, 3, 4)), "k": n((2, 5, 4)), "v": n((2, 5, 4)), "proj": n((2, 3, 4))},
        ),
        "rnn": (
            rnn,
            {"x": n((3, 5, 4)), "w_x": n((4, 6)) * 0.5, "w_h": n((6, 6)) * 0.4, "b": n(6) * 0.1,
             "w_y": n((6, 3)), "b_y": n(3) * 0.1, "targets": rng.integers(0, 3, (3, 5))},
        ),
        "layer_norm": (
            layer_norm,
            {"x": n((4, 6)) * 2 + 1, "gain": 1 + 0.1 * n(6), "shift": 0.1 * n(6),
             "proj": n((4, 6))},
        ),
        "gates": (gates, {"x": n((4, 5)), "y": n((4, 5)), "proj": n(4)}),
        "gather": (
            gather,
            {"table": n((7, 4)), "indices": np.array([[1, 3, 1, 6, 3], [0, 1, 1, 1, 5]]),
             "w": n((4, 3)), "proj": n((2, 3))},
        ),
        "elementwise": (elementwise, {"x": n((3, 4)), "y": n((3, 4)), "proj": n((3, 4))}),
    }  # fmt: skip


def main() -> None:
    """Compute every case with PyTorch in float64 and save inputs, output and gradients."""
    torch.manual_seed(0)
    arrays: dict[str, np.ndarray] = {"meta__torch_version": np.array(torch.__version__)}
    for case, (fn, inputs) in _cases(np.random.default_rng(2024)).items():
        tensors = {}
        for name, value in inputs.items():
            if value.dtype.kind == "f":
                tensors[name] = torch.tensor(value, dtype=torch.float64, requires_grad=True)
                arrays[f"{case}__{name}"] = value.astype(np.float64)
            else:
                tensors[name] = torch.tensor(value, dtype=torch.int64)
                arrays[f"{case}__{name}"] = value.astype(np.int64)
        out = fn(**tensors)
        out.backward()
        arrays[f"{case}__out"] = out.detach().numpy().astype(np.float64)
        for name, t in tensors.items():
            if t.requires_grad:
                arrays[f"{case}__grad__{name}"] = t.grad.numpy().astype(np.float64)
    np.savez(OUT_PATH, **arrays)
    print(f"wrote {len(arrays)} arrays to {OUT_PATH}")


if __name__ == "__main__":
    main()
