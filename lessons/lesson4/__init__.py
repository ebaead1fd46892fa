"""Lesson 4: which variant is best? A shoot-out of the registered cells (Greff et al. 2015,
Jozefowicz et al. 2015), run with ``minigrad.lessons.shootout``.

The words are in content.md, the step functions in steps.py, the claims the
last step checks in verdicts.py. ``LESSON`` joins them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from minigrad.lessons.framework import Lesson, Step, option
from minigrad.lessons.lesson4 import steps
from minigrad.lessons.shootout import match_hidden_size, welch
from minigrad.lessons.shootout.tasks.adding import AddingTask, adding_batch

CHARLM_CELLS = "rnn,lstm,gru,greff_nfg,greff_noaf,greff_cifg,jozefowicz_mut1,lstm[forget_bias=0]"


@dataclass
class Lesson4Config:
    """The options of lesson 4 (each is a command-line flag)."""

    task_preset: str = option(
        "quick", "sizes of the tasks (tiny: seconds)", choices=("tiny", "quick", "full")
    )
    adding_cells: str = option("rnn,lstm,gru", "cells on the adding problem", metavar="LIST")
    adding_seeds: int = option(1, "seeds per rate on the adding problem", minimum=1)
    adding_steps: int = option(0, "training steps on the adding problem (0: preset)", minimum=0)
    lrs: str = option("0.003,0.01,0.03", "Adam rates tried on the adding problem", metavar="LIST")
    charlm_cells: str = option(CHARLM_CELLS, "cells of the language models", metavar="LIST")
    seeds: int = option(2, "seeds of the language models", minimum=1)
    charlm_lr: float = option(0.01, "Adam rate of the language models", minimum=0.0)
    charlm_steps: int = option(0, "training steps of the language models (0: preset)", minimum=0)
    workers: int = option(2, "worker processes (one BLAS thread each)", minimum=1)


PRESETS = {
    "tiny": {"task_preset": "tiny", "adding_cells": "rnn,lstm", "lrs": "0.01,0.03",
             "charlm_cells": "rnn,lstm,greff_nfg", "seeds": 2, "workers": 1},
    # 600 steps: the LSTM needs about that many at T = 100 (the GRU fewer).
    "quick": {"adding_steps": 600},
    "full": {"task_preset": "full", "adding_seeds": 3, "seeds": 3,
             "adding_cells": "rnn,lstm,gru,greff_nfg,greff_cifg,jozefowicz_mut1"},
}  # fmt: skip

LESSON = Lesson.build(
    number=4,
    content=Path(__file__).with_name("content.md"),
    config=Lesson4Config,
    steps=[
        Step("question", run=steps.list_cells, code=[], render=steps.render_cells),
        Step(
            "variants",
            run=steps.describe_variants,
            code=steps.variant_code(),
            render=steps.render_variants,
        ),
        Step(
            "adding",
            run=steps.adding_problem,
            code=[adding_batch, AddingTask.run],
            render=steps.render_shootout,
        ),
        Step(
            "rates",
            run=steps.learning_rates,
            code=[],
            render=steps.render_learning_rates,
        ),
        Step(
            "charlm",
            run=steps.char_model,
            code=[match_hidden_size, welch],
            render=steps.render_shootout,
        ),
        Step("verdict", run=steps.conclusions, code=[], render=steps.render_conclusions),
    ],
    presets=PRESETS,
    default_preset="quick",
)
