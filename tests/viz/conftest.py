"""Small graphs the viz tests draw: a composed LSTM step and an unrolled RNN."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


@dataclass
class Built:
    """A loss, the module behind it, and the per-step tensors of its loop."""

    loss: mg.Tensor
    module: nn.Module
    steps: list[Any]
    extra: dict[str, Any]


class Unrolled(nn.Module):
    """A composed ``rnn`` cell under a ``cell`` scope and a ``head`` layer, unrolled by hand."""

    def __init__(self, rng: np.random.Generator, hidden: int = 4) -> None:
        super().__init__()
        self.cell = mg.cells.create("rnn", 3, hidden, rng=rng, fused=False)
        self.head = nn.Linear(hidden, 2, rng=rng)


def unrolled_rnn(steps: int = 3, batch: int = 2, seed: int = 0) -> Built:
    """``static_rnn`` over ``steps`` inputs, logits per step, one cross-entropy."""
    rng = np.random.default_rng(seed)
    model = Unrolled(rng)
    xs = [mg.tensor(rng.normal(size=(batch, 3)).astype(np.float32)) for _ in range(steps)]
    h0 = mg.zeros((batch, 4))
    outs, _ = mg.cells.static_rnn(model.cell, xs, h0)
    logits = mg.stack([model.head(o) for o in outs], axis=1)
    loss = mg.cross_entropy(logits, rng.integers(0, 2, size=(batch, steps)))
    return Built(loss, model, outs, {"xs": xs, "h0": h0})


def lstm_step(seed: int = 0) -> Built:
    """One step of a composed LSTM cell, summed to a scalar."""
    rng = np.random.default_rng(seed)
    cell = mg.cells.create("lstm", 3, 4, rng=rng, fused=False)
    x = mg.tensor(rng.normal(size=(2, 3)).astype(np.float32))
    h, (h1, c1) = cell(x, cell.zero_state(2))
    return Built((h * h).sum() + c1.sum(), cell, [], {"x": x, "h": h, "c": c1})


@pytest.fixture
def rnn3() -> Built:
    """A 3-step unrolled RNN."""
    return unrolled_rnn(3)


@pytest.fixture
def lstm() -> Built:
    """One composed LSTM step."""
    return lstm_step()


@pytest.fixture
def make_rnn() -> Any:
    """The builder of unrolled RNNs: ``make_rnn(steps=3, batch=2, seed=0)``."""
    return unrolled_rnn


@pytest.fixture
def make_lstm() -> Any:
    """The builder of one LSTM step: ``make_lstm(seed=0)``."""
    return lstm_step
