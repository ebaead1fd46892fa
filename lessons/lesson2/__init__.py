"""Lesson 2: the rnn plugin, dynamic_rnn, variable lengths, and gradients over time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from minigrad.lessons.framework import Lesson, Step, option
from minigrad.lessons.lesson1.data import EPOCH_SAMPLES
from minigrad.lessons.lesson2 import gradients, graphs, lengths, model, render, steps


@dataclass
class Lesson2Config:
    """Lesson 2's hyperparameters (defaults: the seminar's second notebook)."""

    epochs: int = option(1, "training epochs", minimum=1)
    num_steps: int = option(5, "truncated backprop window", minimum=1)
    batch_size: int = option(200, "rows trained in parallel", minimum=1)
    state_size: int = option(8, "size of the RNN state", minimum=1)
    lr: float = option(0.1, "Adagrad learning rate", minimum=0.0)
    epoch_samples: int = option(EPOCH_SAMPLES, "samples generated per epoch", minimum=2)
    grad_steps: int = option(30, "sequence length T of the gradient study", minimum=2)
    grad_gain: float = option(1.5, "g of the exploding ReLU RNN (W = g I)", minimum=0.0)


LESSON = Lesson.build(
    number=2,
    content=Path(__file__).with_name("content.md"),
    config=Lesson2Config,
    steps=[
        Step(
            "cell",
            run=steps.meet_the_cell,
            code=[steps.rnn_plugin_forward(), steps.same_as_lesson1],
            render=render.render_cell,
        ),
        Step(
            "dynamic",
            run=steps.one_window,
            code=[model.CellClassifier.forward_dynamic, model.CellClassifier.forward_static],
            render=render.render_window,
        ),
        Step(
            "graphs",
            run=graphs.static_and_dynamic,
            code=[graphs.ops_by_step, graphs.count_ops],
            render=graphs.render_graphs,
        ),
        Step(
            "drivers",
            run=steps.compare_drivers,
            code=[model.train_with_driver],
            render=render.render_drivers,
        ),
        Step(
            "lengths",
            run=steps.padded_batch,
            code=[lengths.variable_length_demo],
            render=render.render_lengths,
        ),
        Step(
            "gradients",
            run=steps.measure_gradients,
            code=[gradients.state_gradient_norms, steps.exploding_rnn],
            render=render.render_gradients,
        ),
    ],
)

__all__ = ["LESSON", "Lesson2Config"]
