"""Lesson 1's echo task as a sanity check: every cell should find at least the first echo.

X_t is a fair coin; Y_t is 1 with probability 0.5, plus 0.5 if X_{t-3} = 1,
minus 0.25 if X_{t-8} = 1 (``minigrad.lessons.lesson1.data``). The cell reads
one-hot inputs in windows of ``num_steps`` with the state carried between
windows (lesson 1's truncated backpropagation) and predicts each Y_t. The
best cross-entropies are known exactly: 0.6616 nats (neither echo), 0.5192
(the first), 0.4544 (both).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

import minigrad as mg
from minigrad.lessons.lesson1.data import classify, expected_losses, gen_batch, gen_data

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


@functools.cache
def fixed_series(seed: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The validation (or test) series, the same for every run."""
    return gen_data(size, np.random.default_rng(seed))


class EchoTask(SequenceTask):
    """Predict the echoed coin flips; metric: validation cross-entropy in nats."""

    name = "echo"
    metric_name = "validation nats"
    description = "lesson 1's echo task: Y_t depends on X_{t-3} and X_{t-8}"
    outputs = 2  # the logits of Y_t = 0 and 1, at every step

    PRESETS: dict[str, dict[str, Any]] = {
        "tiny": {"num_steps": 10, "batch": 32, "steps": 40, "eval_every": 20,
                 "eval_size": 4_000, "budget": 300, "clip": 5.0},
        "quick": {"num_steps": 10, "batch": 100, "steps": 400, "eval_every": 100,
                  "eval_size": 20_000, "budget": 600, "clip": 5.0},
        "full": {"num_steps": 15, "batch": 100, "steps": 1500, "eval_every": 250,
                 "eval_size": 50_000, "budget": 600, "clip": 5.0},
    }  # fmt: skip

    def references(self, settings: dict[str, Any]) -> dict[str, float]:
        """The three best losses of lesson 1 (neither, the first, both echoes)."""
        return expected_losses()

    def run(self, spec: RunSpec, logger: RunLogger | None = None) -> Outcome:
        """Train on one long series drawn from the run's seed, windows in order, state carried."""
        logger = logger or NullLogger()
        num_steps, batch, steps = (spec.setting(k) for k in ("num_steps", "batch", "steps"))
        mg.manual_seed(spec.seed)
        model = self.build(spec.cell, spec.hidden_size)
        series = gen_data(batch * num_steps * steps, np.random.default_rng([spec.seed, 1]))
        carried: dict[str, Any] = {"state": None}

        def loss_of(window: tuple[np.ndarray, np.ndarray]) -> mg.Tensor:
            x, y = window
            logits, state = model(mg.one_hot(mg.tensor(x), 2), carried["state"])
            carried["state"] = [mg.cells.detach_state(s) for s in state]
            return mg.cross_entropy(logits, y)

        def measure(seed: int) -> float:
            total, count, state = 0.0, 0, None
            with mg.no_grad():
                for x, y in gen_batch(fixed_series(seed, spec.setting("eval_size")), 20, num_steps):
                    logits, state = model(mg.one_hot(mg.tensor(x), 2), state)
                    total += mg.cross_entropy(logits, y, reduction="sum").item()
                    count += y.size
            return total / count

        steps_done, seconds, curve = train_loop(
            spec,
            model,
            gen_batch(series, batch, num_steps),
            loss_of,
            lambda: measure(VALIDATION_SEED),
            logger,
        )
        return Outcome(curve[-1][2], measure(TEST_SEED), steps_done, seconds, curve)

    def label(self, value: float, settings: dict[str, Any]) -> str:
        """Which echoes the loss says were learned: "both", "first" or "neither"."""
        return classify(value, expected_losses())
