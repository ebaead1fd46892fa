"""End to end: a small MLP learns a problem a linear model cannot solve."""

from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad import nn, optim


def test_mlp_with_adam_learns_xor_of_signs():
    mg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(256, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)  # XOR of the signs: not linearly separable
    model = nn.Sequential(nn.Linear(2, 16), mg.tanh, nn.Linear(16, 2))
    opt = optim.Adam(model.parameters(), lr=0.05)
    inputs = mg.tensor(x)
    losses = []
    for _ in range(300):
        loss = mg.cross_entropy(model(inputs), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] > 0.6  # about ln 2 at the start: no better than guessing
    assert losses[-1] < losses[0] / 20
    accuracy = (model(inputs).numpy().argmax(axis=1) == y).mean()
    assert accuracy > 0.97
