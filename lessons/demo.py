"""The demo: a two-layer perceptron learns a spiral (or two half-moons) in a few seconds.

A two-layer perceptron, Linear -> tanh -> Linear, learns to tell apart the two
arms of a spiral (or two interleaved half-moons) in the plane: a problem no
straight line solves, so the hidden layer has to earn its keep. Training is
full-batch Adam on softmax cross-entropy. ``minigrad demo`` shows it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.errors import DataError

DATASETS = ("spiral", "moons")


@dataclass
class Record:
    """One logged point of training."""

    step: int
    loss: float
    accuracy: float


def make_dataset(name: str, n_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Points ``[2 * n_per_class, 2]`` (float32) and their classes (int64, 0 or 1).

    ``spiral``: two arms winding 1.5 turns around the origin, the second arm
    the first turned by half a circle. ``moons``: two interleaved half-circles.
    Both get a little Gaussian noise from a generator seeded with ``seed``.
    """
    if name not in DATASETS:
        raise DataError(f"demo: unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    if n_per_class < 2:
        raise DataError(f"demo: need at least 2 points per class, got {n_per_class}")
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, n_per_class)
    points, labels = [], []
    for label in (0, 1):
        if name == "spiral":
            radius = 0.1 + 0.9 * t
            angle = 3.0 * math.pi * t + label * math.pi
            xy = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
            xy += rng.normal(scale=0.03, size=xy.shape)
        else:
            angle = math.pi * t
            if label == 0:
                xy = np.stack([np.cos(angle), np.sin(angle)], axis=1)
            else:
                xy = np.stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)
            xy += rng.normal(scale=0.1, size=xy.shape)
        points.append(xy)
        labels.append(np.full(n_per_class, label, dtype=np.int64))
    return np.concatenate(points).astype(np.float32), np.concatenate(labels)


def check_options(steps: int, lr: float, hidden: int, every: int) -> None:
    """Refuse option values that would make the demo meaningless."""
    for name, value in (("--steps", steps), ("--hidden", hidden), ("--every", every)):
        if value < 1:
            raise DataError(f"demo: {name} must be at least 1, got {value}")
    if not lr > 0:
        raise DataError(f"demo: --lr must be positive, got {lr}")


def train(
    data: str = "spiral",
    steps: int = 500,
    lr: float = 0.03,
    hidden: int = 64,
    n_per_class: int = 100,
    seed: int = 0,
    every: int = 50,
    on_log: Callable[[Record], None] | None = None,
    writer: Any = None,
) -> list[Record]:
    """Train the demo MLP; returns the logged records (step 0 = before training).

    ``on_log`` is called with each record as it is made, so a caller can show
    progress while training runs. ``writer`` (a ``minigrad.tensorboard.SummaryWriter``)
    also receives the graph, the logged loss and accuracy, and at each log step
    the weights, gradients and gradient norm of each layer.
    """
    check_options(steps, lr, hidden, every)
    mg.manual_seed(seed)
    points, labels = make_dataset(data, n_per_class, seed)
    x = mg.tensor(points)
    model = nn.Sequential(nn.Linear(2, hidden), mg.tanh, nn.Linear(hidden, 2))
    optimizer = optim.Adam(model.parameters(), lr=lr)

    records: list[Record] = []

    def log(step: int, logits: mg.Tensor, loss: mg.Tensor) -> None:
        accuracy = float((logits.numpy().argmax(axis=1) == labels).mean())
        record = Record(step, loss.item(), accuracy)
        records.append(record)
        if on_log is not None:
            on_log(record)
        if writer is not None:
            writer.add_scalar("loss/train", record.loss, step)
            writer.add_scalar("accuracy/train", record.accuracy, step)

    for step in range(steps + 1):
        logits = model(x)
        loss = mg.cross_entropy(logits, labels)
        if step == 0 and writer is not None:
            writer.add_graph(loss, module=model)
        if step % every == 0 or step == steps:
            log(step, logits, loss)
        if step == steps:
            break
        optimizer.zero_grad()
        loss.backward()
        if writer is not None and step % every == 0:
            writer.add_parameters(model, step)
        optimizer.step()
    return records
