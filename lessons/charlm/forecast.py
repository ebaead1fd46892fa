"""What the speed measured in the first steps predicts: how a run ends, when, at which step.

A lesson run stops at the end of its epochs (or ``max_steps``) or at its time
budget (``max_minutes``), whichever comes first. Which one, and when, depends
on the machine and on what else runs on it, so it is computed from the speed
measured on this machine as the run goes (``Trainer.step_seconds``), never
from a figure measured elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .train import Trainer


def forecast(trainer: Trainer) -> dict[str, Any]:
    """The forecast of ``trainer``'s run from its measured seconds per step.

    The steps left by the epochs/``max_steps`` take ``steps_left * step_seconds``;
    the time budget, if any and if shorter, stops the run first. Keys:
    ``step_seconds``, ``chars_per_second``, ``seconds_for_all_steps``,
    ``seconds_left``, ``stops_by`` ("steps" or "time budget"), ``final_step``,
    ``final_epochs``.
    """
    per_step = trainer.step_seconds or 0.0
    steps_left = max(0, trainer.total_steps - trainer.step)
    by_steps = steps_left * per_step
    budget = trainer.budget_seconds()
    by_time = budget is not None and by_steps > budget
    seconds = budget if by_time and budget is not None else by_steps
    final_step = trainer.step + (int(seconds / per_step) if per_step else steps_left)
    final_step = min(final_step, trainer.total_steps)
    chars = trainer.config.batch_size * trainer.config.num_steps
    return {
        "step_seconds": per_step,
        "chars_per_second": chars / per_step if per_step else 0.0,
        "seconds_for_all_steps": by_steps,
        "seconds_left": seconds,
        "stops_by": "time budget" if by_time else "steps",
        "final_step": final_step,
        "final_epochs": final_step / trainer.epoch_size,
    }
