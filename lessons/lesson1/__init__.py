"""Lesson 1: an RNN by hand on a binary sequence (r2rt's "RNN in TensorFlow I")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from minigrad.lessons.framework import Lesson, Step, option
from minigrad.lessons.lesson1 import data, graph, model, render, steps, truncation


@dataclass
class Lesson1Config:
    """Lesson 1's hyperparameters (defaults: the seminar's configuration)."""

    epochs: int = option(10, "training epochs of every run", minimum=1)
    num_steps: int = option(10, "truncated backprop window of the seminar run", minimum=1)
    batch_size: int = option(200, "rows trained in parallel", minimum=1)
    state_size: int = option(16, "size of the RNN state of the seminar run", minimum=1)
    lr: float = option(0.1, "Adagrad learning rate", minimum=0.0)
    epoch_samples: int = option(
        data.EPOCH_SAMPLES, "samples generated per epoch (r2rt: 1,000,000)", minimum=2
    )
    experiments: str = option(
        "2x4,5x4,10x16", "runs of the experiment table, NUM_STEPSxSTATE_SIZE", metavar="LIST"
    )


LESSON = Lesson.build(
    number=1,
    content=Path(__file__).with_name("content.md"),
    config=Lesson1Config,
    steps=[
        Step(
            "task", run=steps.measure_task, code=[data.echo_probability], render=render.render_task
        ),
        Step(
            "batches",
            run=steps.cut_batches,
            code=[data.gen_data, data.gen_batch, data.gen_epochs],
            render=render.render_batches,
        ),
        Step(
            "expected",
            run=steps.compute_expected,
            code=[data.entropy, data.expected_loss, data.classify],
            render=render.render_expected,
        ),
        Step(
            "model",
            run=steps.build_model,
            code=[
                model.one_hot_inputs,
                model.EchoRNN.rnn_cell,
                model.EchoRNN.unroll,
                model.EchoRNN.logits,
                model.EchoRNN.window_loss,
            ],
            render=render.render_model,
        ),
        Step(
            "truncation",
            run=steps.measure_truncation,
            code=[truncation.gradient_reach, truncation.share_that_sees],
            render=render.render_truncation,
        ),
        Step(
            "graph",
            run=graph.window_graph,
            code=[graph.second_window],
            render=graph.render_window_graph,
        ),
        Step(
            "train",
            run=steps.train_seminar,
            code=[model.train_network],
            render=render.render_train,
        ),
        Step(
            "experiments",
            run=steps.run_experiments,
            code=[steps.run_experiments],
            render=render.render_experiments,
        ),
    ],
)

__all__ = ["LESSON", "Lesson1Config"]
