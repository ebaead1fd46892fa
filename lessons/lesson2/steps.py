"""Lesson 2's steps: each ``run(ctx)`` does one thing and returns what the page shows."""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg
from minigrad.lessons.framework import LessonContext
from minigrad.lessons.lesson1.data import expected_losses, gen_batch, gen_data, windows_per_epoch
from minigrad.lessons.lesson2.gradients import state_gradient_norms
from minigrad.lessons.lesson2.lengths import variable_length_demo
from minigrad.lessons.lesson2.model import CellClassifier, train_with_driver


def rnn_plugin_forward() -> Any:
    """The ``forward`` of the cell registered as "rnn" (shown as the code of step 1)."""
    return mg.cells.get("rnn").cls.forward


def same_as_lesson1(cell: Any, rng: np.random.Generator) -> float:
    """Largest difference between the plugin cell and lesson 1's ``tanh([x, s] @ W + b)``.

    Lesson 1's single matrix ``W`` [2 + H, H] is the plugin's ``U`` [2, H]
    stacked on top of its ``W`` [H, H]: ``[x, s] @ [[U], [W]] = x @ U + s @ W``.
    """
    x = mg.one_hot(mg.tensor(rng.integers(0, 2, size=(4,)), device=cell.device), 2)
    s = mg.tensor(rng.uniform(-1, 1, (4, cell.hidden_size)).astype(np.float32), device=cell.device)
    W_lesson1 = mg.concat([cell.U, cell.W], axis=0)
    by_hand = mg.tanh(mg.concat([x, s], axis=1) @ W_lesson1 + cell.b)
    output, _ = cell(x, s)
    return float(np.abs(output.numpy() - by_hand.numpy()).max())


def meet_the_cell(ctx: LessonContext) -> dict[str, Any]:
    """Create the plugin cell and check it computes lesson 1's cell."""
    cfg = ctx.config
    cell = mg.cells.create("rnn", 2, cfg.state_size, rng=ctx.rng("cell"), device=ctx.device)
    info = mg.cells.get("rnn")
    return {
        "cell": repr(cell),
        "parameters": [(name, tuple(p.shape)) for name, p in cell.named_parameters()],
        "difference": same_as_lesson1(cell, ctx.rng("check")),
        "plugin": info.plugin,
        "cells": mg.cells.available(),
    }


def one_window(ctx: LessonContext) -> dict[str, Any]:
    """The first window through ``dynamic_rnn`` and through ``static_rnn``."""
    cfg = ctx.config
    model = CellClassifier("rnn", cfg.state_size, rng=ctx.rng("init"), device=ctx.device)
    raw = gen_data(cfg.batch_size * cfg.num_steps, ctx.rng("peek"))
    x, y = next(gen_batch(raw, cfg.batch_size, cfg.num_steps))
    inputs = mg.one_hot(mg.tensor(x, device=ctx.device), 2)
    outputs, final_state = mg.cells.dynamic_rnn(model.cell, inputs)
    dynamic_loss, _ = model.forward_dynamic(x, y, None)
    static_loss, _ = model.forward_static(x, y, None)
    return {
        "shapes": [
            ("x", tuple(x.shape)),
            ("rnn_inputs (one-hot)", tuple(inputs.shape)),
            ("rnn_outputs", tuple(outputs.shape)),
            ("final_state", tuple(final_state.shape)),
            ("logits", (cfg.batch_size, cfg.num_steps, 2)),
        ],
        "dynamic_loss": dynamic_loss.item(),
        "static_loss": static_loss.item(),
    }


def compare_drivers(ctx: LessonContext) -> dict[str, Any]:
    """Train the same model twice, static and dynamic, from the same seed on the same data."""
    cfg = ctx.config
    per_epoch = windows_per_epoch(cfg.epoch_samples, cfg.batch_size, cfg.num_steps)
    every = max(1, min(100, per_epoch // 10))
    chart = ctx.chart("training loss: static vs dynamic", height=12, x_label="window")
    for name, value in expected_losses().items():
        chart.add_reference(value, name)
    runs = {}
    for driver in ("static", "dynamic"):
        model = CellClassifier("rnn", cfg.state_size, rng=ctx.rng("init"), device=ctx.device)
        line = chart.add_series(driver)
        block: list[float] = []
        board = ctx.board("rnn", driver)  # TensorBoard run; None without --logdir
        with ctx.track(cfg.epochs * per_epoch, f"{driver} rnn", chart) as bar:

            def on_window(
                index: int, loss: float, line=line, block=block, bar=bar, board=board
            ) -> None:
                block.append(loss)
                if len(block) == every:
                    line.append(index, float(np.mean(block)))
                    block.clear()
                if board is not None:
                    board.add_scalar("loss/train", loss, index)
                bar.advance()

            runs[driver] = train_with_driver(model, driver, cfg, ctx.rng("data"), on_window)
        setattr(ctx.state, f"{driver}_model", model)
    static, dynamic = runs["static"], runs["dynamic"]
    diffs = np.abs(np.array(static.losses) - np.array(dynamic.losses))
    summary = {
        "windows": len(static.losses),
        "max_abs_diff": float(diffs.max()),
        "final_loss": {
            driver: float(np.mean(run.losses[-per_epoch:])) for driver, run in runs.items()
        },
        "static": static.timing(),
        "dynamic": dynamic.timing(),
        "first_losses": {driver: run.losses[:5] for driver, run in runs.items()},
    }
    ctx.report("static_vs_dynamic", summary)
    return {**summary, "chart": chart, "expected": expected_losses(), "state_size": cfg.state_size}


def padded_batch(ctx: LessonContext) -> dict[str, Any]:
    """Four sequences of lengths 6, 4, 2 and 1 in one padded batch, through the trained cell."""
    model = getattr(ctx.state, "dynamic_model", None)
    if model is None:  # reached by --step lengths on a fresh start: use an untrained model
        model = CellClassifier("rnn", ctx.config.state_size, rng=ctx.rng("init"), device=ctx.device)
    rng = ctx.rng("lengths")
    lengths = np.array([6, 4, 2, 1])
    x = rng.integers(0, 2, size=(4, 6))
    y = rng.integers(0, 2, size=(4, 6))
    result = variable_length_demo(model.cell, model.W_out, x, y, lengths)
    ctx.report("lengths", result)
    return result


def exploding_rnn(state_size: int, gain: float, rng: np.random.Generator, device: str) -> Any:
    """A ReLU RNN whose recurrent matrix is ``gain`` times the identity (Le et al.'s IRNN).

    While a unit is active, each step back multiplies its gradient by exactly
    ``gain``: above 1 the gradient grows geometrically.
    """
    cell = mg.cells.create("rnn", 2, state_size, activation="relu", rng=rng, device=device)
    identity = np.eye(state_size, dtype=np.float32) * gain
    cell.W.data[...] = mg.backend.to_device(identity, device)
    return cell


def measure_gradients(ctx: LessonContext) -> dict[str, Any]:
    """|dL_T/ds_k| for a fresh tanh RNN, a ReLU RNN with W = gain * I, and a fresh LSTM."""
    cfg = ctx.config
    rng = ctx.rng("gradients")
    x = rng.integers(0, 2, size=(32, cfg.grad_steps))
    y = rng.integers(0, 2, size=(32, cfg.grad_steps))
    W_out = mg.tensor(
        rng.uniform(-0.5, 0.5, (cfg.state_size, 2)).astype(np.float32), device=ctx.device
    )
    cells = {
        "tanh rnn": mg.cells.create(
            "rnn", 2, cfg.state_size, rng=ctx.rng("grad-cell"), device=ctx.device
        ),
        f"relu rnn, W = {cfg.grad_gain:g} I": exploding_rnn(
            cfg.state_size, cfg.grad_gain, ctx.rng("grad-cell"), ctx.device
        ),
        "lstm": mg.cells.create(
            "lstm", 2, cfg.state_size, rng=ctx.rng("grad-cell"), device=ctx.device
        ),
    }
    norms = {name: state_gradient_norms(cell, W_out, x, y) for name, cell in cells.items()}
    result = {"k": list(range(1, cfg.grad_steps + 1)), "norms": norms}
    ctx.report("gradient_norms", result)
    return result
