"""What every shoot-out task provides, and the training loop the small ones share.

A task turns ``(cell, hidden size, learning rate, seed)`` into one number, its
``metric`` on validation data (lower is better), plus the same number on test
data that no choice was made on. Every run of a task sees the same data in the
same order for a given seed, whatever the cell: the data generator's seed is
the run's seed, and the validation and test sets are fixed for the task.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.errors import NumericalError

from ..spec import CellSpec, RunSpec

#: Seeds of the fixed validation and test sets (the same for every run of a task).
VALIDATION_SEED, TEST_SEED = 10_001, 10_002


class RunLogger(Protocol):
    """Where a run may send its curves as it trains (one logger per run, one folder each).

    ``execute`` receives a factory ``make_logger(run_name)``; ``run_name`` is
    ``RunSpec.run_name`` (``task/cell/lr=..-seed=..``), a sub-folder name.
    """

    def scalar(self, tag: str, value: float, step: int) -> None:
        """Record ``value`` of the curve ``tag`` at ``step``."""

    def close(self) -> None:
        """Flush and release whatever the logger holds."""


class NullLogger:
    """The default logger: keeps nothing."""

    def scalar(self, tag: str, value: float, step: int) -> None:
        """Drop the value."""

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class Outcome:
    """What one run reached: validation ``metric``, ``test``, steps, curve, time."""

    metric: float
    test: float
    steps: int
    seconds: float = 0.0
    curve: list[list[float]] = field(default_factory=list)  # [step, seconds, validation]
    extra: dict[str, Any] = field(default_factory=dict)


class Task(Protocol):
    """A shoot-out task (see the module docstring)."""

    name: str
    metric_name: str
    description: str

    def settings(self, preset: str) -> dict[str, Any]:
        """The task's settings of ``preset`` (tiny, quick or full)."""

    def references(self, settings: dict[str, Any]) -> dict[str, float]:
        """Reference losses drawn as lines (e.g. the adding problem's 0.167)."""

    def count_parameters(self, cell: CellSpec, hidden_size: int, settings: dict) -> int:
        """Trainable parameters of the whole model with this cell and hidden size."""

    def run(self, spec: RunSpec, logger: RunLogger) -> Outcome:
        """Train one model and measure it."""

    def label(self, value: float, settings: dict[str, Any]) -> str:
        """A word for what ``value`` means on this task (e.g. "solved")."""


class SequenceModel(nn.Module):
    """A recurrent layer over any registered cell and a linear read-out of each output step."""

    def __init__(self, cell: CellSpec, input_size: int, hidden_size: int, outputs: int) -> None:
        super().__init__()
        self.rnn = nn.RNN(
            cell.name, input_size=input_size, hidden_size=hidden_size, **cell.kwargs()
        )
        self.head = nn.Linear(hidden_size, outputs)

    def forward(self, x: mg.Tensor, state: Any = None) -> tuple[mg.Tensor, Any]:
        """``x`` [B, T, I] -> (read-outs [B, T, outputs], final state)."""
        outputs, state = self.rnn(x, state)
        return self.head(outputs), state


def count_model_parameters(model: nn.Module) -> int:
    """How many numbers the optimizer trains."""
    return sum(p.size for p in model.parameters())


class PresetTask:
    """A task whose settings come from its ``PRESETS`` table (tiny, quick, full)."""

    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {}

    def settings(self, preset: str) -> dict[str, Any]:
        """A copy of the preset's settings (sizes, steps, evaluation, parameter budget)."""
        return dict(self.PRESETS[preset])


class SequenceTask(PresetTask):
    """A task on [B, T, ``inputs``] sequences with a linear read-out of ``outputs`` numbers."""

    inputs: ClassVar[int] = 2
    outputs: ClassVar[int] = 1

    def build(self, cell: CellSpec, hidden_size: int) -> SequenceModel:
        """The cell over the inputs and the linear read-out."""
        return SequenceModel(cell, self.inputs, hidden_size, self.outputs)

    def count_parameters(self, cell: CellSpec, hidden_size: int, settings: dict) -> int:
        """Parameters of ``build(cell, hidden_size)``."""
        return count_model_parameters(self.build(cell, hidden_size))


def train_loop(
    spec: RunSpec,
    model: nn.Module,
    batches: Iterator[Any],
    step_loss: Callable[[Any], mg.Tensor],
    validate: Callable[[], float],
    logger: RunLogger,
) -> tuple[int, float, list[list[float]]]:
    """Adam with gradient clipping for ``steps``; validation every ``eval_every`` steps.

    Returns ``(steps, seconds, curve)``. A loss that stops being finite ends
    the run with ``NumericalError`` naming the cell and learning rate (the
    sweep records it as a diverged run).
    """
    steps, clip, every = spec.setting("steps"), spec.setting("clip"), spec.setting("eval_every")
    params = list(model.parameters())
    optimizer = mg.optim.Adam(params, lr=spec.lr)
    curve: list[list[float]] = []
    began = time.perf_counter()
    for step in range(1, steps + 1):
        loss = step_loss(next(batches))
        value = loss.item()
        if not np.isfinite(value):
            raise NumericalError(
                f"{spec.cell.label} at lr {spec.lr:g}: the training loss became {value} at step "
                f"{step}"
            )
        optimizer.zero_grad()
        loss.backward()
        mg.optim.clip_grad_norm_(params, clip)
        optimizer.step()
        logger.scalar("train/loss", value, step)
        if step % every == 0 or step == steps:
            val = validate()
            curve.append([step, round(time.perf_counter() - began, 4), val])
            logger.scalar("validation/loss", val, step)
    return steps, time.perf_counter() - began, curve
