"""The adding problem (Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015).

Each example is a sequence of T pairs: a random number in [0, 1) and a marker
that is 1 at exactly two steps, one in each half, and 0 elsewhere. The target
is the sum of the two marked numbers. The network reads the whole sequence and
answers at the last step, so it must carry the first marked number across
about T/2 steps: exactly the long-range memory whose gradient vanishes in a
plain tanh RNN (lesson 2). Always answering 1, the mean of the target, costs a
mean squared error of Var(U1 + U2) = 2/12 = 0.167: the line to beat.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

import minigrad as mg

from ..spec import RunSpec
from .base import (
    TEST_SEED,
    VALIDATION_SEED,
    NullLogger,
    Outcome,
    RunLogger,
    SequenceTask,
    train_loop,
)

#: The mean squared error of always answering 1 (the variance of a sum of two U(0, 1)).
BASELINE = 2.0 / 12.0


def adding_batch(
    batch_size: int, length: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A batch of the adding problem: ``x`` [B, T, 2] float32 and the sums ``y`` [B].

    ``x[..., 0]`` holds numbers drawn uniformly from [0, 1); ``x[..., 1]`` is 1
    at one step of the first half (``t < T // 2``) and one step of the second
    half, 0 elsewhere; ``y`` is the sum of the two marked numbers.
    """
    half = length // 2
    values = rng.random((batch_size, length))
    first = rng.integers(0, half, batch_size)
    second = rng.integers(half, length, batch_size)
    rows = np.arange(batch_size)
    markers = np.zeros((batch_size, length))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)
    return x, y


@functools.cache
def fixed_set(seed: int, size: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The validation (or test) set: the same ``size`` examples for every run."""
    return adding_batch(size, length, np.random.default_rng(seed))


class AddingTask(SequenceTask):
    """Regress the sum of two marked numbers; metric: validation mean squared error."""

    name = "adding"
    metric_name = "validation MSE"
    description = "the adding problem: sum of two marked numbers in a long sequence"
    outputs = 1  # the sum, read at the last step

    PRESETS: dict[str, dict[str, Any]] = {
        "tiny": {"length": 10, "batch": 16, "steps": 30, "eval_every": 10, "eval_size": 200,
                 "budget": 600, "clip": 1.0},
        "quick": {"length": 100, "batch": 32, "steps": 400, "eval_every": 100,
                  "eval_size": 500, "budget": 2500, "clip": 1.0},
        "full": {"length": 100, "batch": 32, "steps": 600, "eval_every": 100,
                 "eval_size": 1000, "budget": 2500, "clip": 1.0},
    }  # fmt: skip

    def references(self, settings: dict[str, Any]) -> dict[str, float]:
        """Always answering 1."""
        return {"predict 1": BASELINE}

    def run(self, spec: RunSpec, logger: RunLogger | None = None) -> Outcome:
        """Train on fresh batches (drawn from the run's seed) and measure on the fixed sets."""
        logger = logger or NullLogger()
        length, batch = spec.setting("length"), spec.setting("batch")
        mg.manual_seed(spec.seed)
        model = self.build(spec.cell, spec.hidden_size)
        rng = np.random.default_rng([spec.seed, 1])

        def batches() -> Any:
            while True:
                yield adding_batch(batch, length, rng)

        def loss_of(model_batch: tuple[np.ndarray, np.ndarray]) -> mg.Tensor:
            x, y = model_batch
            out, _ = model(mg.tensor(x))
            return mg.mse_loss(out[:, -1, 0], y)

        def measure(seed: int) -> float:
            x, y = fixed_set(seed, spec.setting("eval_size"), length)
            with mg.no_grad():
                return loss_of((x, y)).item()

        steps, seconds, curve = train_loop(
            spec, model, batches(), loss_of, lambda: measure(VALIDATION_SEED), logger
        )
        return Outcome(curve[-1][2], measure(TEST_SEED), steps, seconds, curve)

    def label(self, value: float, settings: dict[str, Any]) -> str:
        """ "solved" below 0.01, "learning" below 90% of the baseline, else "baseline"."""
        if value < 0.01:
            return "solved"
        return "learning" if value < 0.9 * BASELINE else "baseline"
