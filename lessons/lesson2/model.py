"""Lesson 2's model: a registered cell driven by ``static_rnn`` or ``dynamic_rnn``.

The hand-written cell of lesson 1 becomes ``mg.cells.create("rnn", 2, state)``;
the Python list of inputs becomes one ``[batch, time, 2]`` tensor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minigrad as mg
from minigrad.lessons.lesson1.data import gen_epochs
from minigrad.nn import Module, Parameter, init

NUM_CLASSES = 2


class CellClassifier(Module):
    """A registered cell and a softmax layer on each of its outputs (batch first)."""

    def __init__(
        self,
        cell_name: str,
        state_size: int,
        rng: np.random.Generator | None = None,
        device: str = "cpu",
    ) -> None:
        super().__init__()
        self.device = device
        self.cell = mg.cells.create(cell_name, NUM_CLASSES, state_size, rng=rng, device=device)
        self.W_out = Parameter(mg.zeros((state_size, NUM_CLASSES), device=device))
        self.b_out = Parameter(mg.zeros((NUM_CLASSES,), device=device))
        init.glorot_uniform_(self.W_out, rng=rng)

    def forward_dynamic(self, x: np.ndarray, y: np.ndarray, state: Any) -> tuple[mg.Tensor, Any]:
        """One window with ``dynamic_rnn`` over a ``[batch, time, 2]`` one-hot tensor."""
        rnn_inputs = mg.one_hot(mg.tensor(x, device=self.device), NUM_CLASSES)
        rnn_outputs, final_state = mg.cells.dynamic_rnn(self.cell, rnn_inputs, initial_state=state)
        logits = rnn_outputs @ self.W_out + self.b_out  # [batch, time, 2]
        return mg.cross_entropy(logits, y), final_state

    def forward_static(self, x: np.ndarray, y: np.ndarray, state: Any) -> tuple[mg.Tensor, Any]:
        """The same window with ``static_rnn`` over a Python list of ``[batch, 2]`` inputs."""
        one_hot = mg.one_hot(mg.tensor(x, device=self.device), NUM_CLASSES)
        rnn_inputs = mg.unstack(one_hot, axis=1)
        rnn_outputs, final_state = mg.cells.static_rnn(self.cell, rnn_inputs, initial_state=state)
        logits = [s @ self.W_out + self.b_out for s in rnn_outputs]
        return mg.cross_entropy(mg.stack(logits, axis=1), y), final_state


@dataclass
class DriverRun:
    """Losses and timings of one training run with one driver."""

    driver: str
    losses: list[float] = field(default_factory=list)
    forward_ms: list[float] = field(default_factory=list)
    step_ms: list[float] = field(default_factory=list)

    def timing(self) -> dict[str, float]:
        """Median milliseconds per window: graph building (forward) and the whole step."""
        return {
            "forward_ms": float(np.median(self.forward_ms)),
            "step_ms": float(np.median(self.step_ms)),
        }


def train_with_driver(
    model: CellClassifier, driver: str, cfg: Any, rng: np.random.Generator, on_window: Any = None
) -> DriverRun:
    """Train ``model`` with ``driver`` ("static" or "dynamic"), timing every window.

    Same recipe as lesson 1: Adagrad (TensorFlow 1's), state reset at each
    epoch start, carried between windows without its graph.
    """
    forward = model.forward_static if driver == "static" else model.forward_dynamic
    optimizer = mg.optim.Adagrad(
        model.parameters(), lr=cfg.lr, initial_accumulator_value=0.1, eps=0.0
    )
    run = DriverRun(driver)
    epochs = gen_epochs(cfg.epochs, cfg.num_steps, cfg.batch_size, cfg.epoch_samples, rng)
    for batches in epochs:
        state = model.cell.zero_state(cfg.batch_size)
        for x, y in batches:
            began = time.perf_counter()
            loss, final_state = forward(x, y, state)  # records the graph as it runs
            built = time.perf_counter()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            state = mg.cells.detach_state(final_state)
            run.losses.append(loss.item())
            done = time.perf_counter()
            run.forward_ms.append((built - began) * 1e3)
            run.step_ms.append((done - began) * 1e3)
            if on_window is not None:
                on_window(len(run.losses), run.losses[-1])
    return run
