"""Lesson 1's steps: each ``run(ctx)`` does one thing and returns what the page shows.

The words are in content.md; the drawing is in render.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.lessons.framework import LessonContext
from minigrad.lessons.lesson1.data import (
    FIRST_LAG,
    SECOND_LAG,
    echo_probability,
    expected_loss,
    expected_losses,
    gen_batch,
    gen_data,
    learned_thresholds,
    windows_per_epoch,
)
from minigrad.lessons.lesson1.model import EchoRNN, TrainResult, one_hot_inputs, train_network
from minigrad.lessons.lesson1.truncation import gradient_reach, share_that_sees


def parse_experiments(text: str) -> list[tuple[int, int]]:
    """``"2x4,5x4,10x16"`` -> ``[(2, 4), (5, 4), (10, 16)]`` (num_steps x state_size)."""
    from minigrad.lessons.framework import LessonOptionError

    runs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            num_steps, state_size = (int(v) for v in item.lower().split("x"))
        except ValueError:
            raise LessonOptionError(
                f"--experiments: {item!r} is not NUM_STEPSxSTATE_SIZE (e.g. 5x4)"
            ) from None
        if num_steps < 1 or state_size < 1:
            raise LessonOptionError(f"--experiments: {item!r} needs positive sizes")
        runs.append((num_steps, state_size))
    if not runs:
        raise LessonOptionError("--experiments: give at least one run, e.g. 2x4,5x4,10x16")
    return runs


def curve_every(config: Any, num_steps: int) -> int:
    """Windows averaged per curve point: r2rt's 100, fewer for tiny runs (>= 10 points/epoch)."""
    per_epoch = windows_per_epoch(config.epoch_samples, config.batch_size, num_steps)
    return max(1, min(100, per_epoch // 10))


# --------------------------------------------------------------------- steps
def measure_task(ctx: LessonContext) -> dict[str, Any]:
    """The rule, and the same probabilities measured on a generated series."""
    x, y = gen_data(200_000, ctx.rng("task"))
    x_first, x_second = np.roll(x, FIRST_LAG), np.roll(x, SECOND_LAG)
    rows = []
    for a in (0, 1):
        for b in (0, 1):
            picked = (x_first == a) & (x_second == b)
            rows.append(
                {
                    "x_t-3": a,
                    "x_t-8": b,
                    "rule": float(echo_probability(a, b)),
                    "measured": float(y[picked].mean()),
                    "count": int(picked.sum()),
                }
            )
    return {"rows": rows, "samples": len(x), "mean_y": float(y.mean())}


def cut_batches(ctx: LessonContext) -> dict[str, Any]:
    """Cut a short series into rows and windows, as gen_batch does for the real one."""
    raw_x, raw_y = gen_data(24, ctx.rng("batches"))
    windows = list(gen_batch((raw_x, raw_y), batch_size=2, num_steps=4))
    cfg = ctx.config
    return {
        "raw_x": raw_x.tolist(),
        "windows": [(x.tolist(), y.tolist()) for x, y in windows],
        "windows_per_epoch": windows_per_epoch(cfg.epoch_samples, cfg.batch_size, cfg.num_steps),
        "row_length": cfg.epoch_samples // cfg.batch_size,
    }


def compute_expected(ctx: LessonContext) -> dict[str, Any]:
    """The three reference losses and the thresholds that label a run."""
    expected = expected_losses()
    ctx.report("expected", expected)
    ctx.report("thresholds", learned_thresholds(expected))
    ctx.state.expected = expected
    return {"expected": expected, "thresholds": learned_thresholds(expected)}


def build_model(ctx: LessonContext) -> dict[str, Any]:
    """One forward pass of a fresh model on the first window."""
    cfg = ctx.config
    model = EchoRNN(cfg.state_size, rng=ctx.rng("init"), device=ctx.device)
    x, y = next(
        gen_batch(gen_data(cfg.epoch_samples, ctx.rng("peek")), cfg.batch_size, cfg.num_steps)
    )
    rnn_inputs = one_hot_inputs(x, ctx.device)
    rnn_outputs, final_state = model.unroll(rnn_inputs, model.zero_state(cfg.batch_size))
    logits = model.logits(rnn_outputs)
    loss = model.window_loss(logits, y)
    first_prediction = model.predictions(rnn_outputs)[0].numpy()[0]
    return {
        "untrained_spread": untrained_losses(ctx, x, y),
        "shapes": [
            ("x (one window)", tuple(x.shape)),
            ("rnn_inputs", f"{len(rnn_inputs)} x {tuple(rnn_inputs[0].shape)}"),
            ("W", tuple(model.W.shape)),
            ("b", tuple(model.b.shape)),
            ("rnn_outputs", f"{len(rnn_outputs)} x {tuple(rnn_outputs[0].shape)}"),
            ("final_state", tuple(final_state.shape)),
            ("W_out", tuple(model.W_out.shape)),
            ("logits", f"{len(logits)} x {tuple(logits[0].shape)}"),
        ],
        "loss": loss.item(),
        "prediction": first_prediction.tolist(),
        "parameters": sum(p.size for p in model.parameters()),
    }


def untrained_losses(
    ctx: LessonContext, x: np.ndarray, y: np.ndarray, count: int = 5
) -> list[float]:
    """The first window's loss under ``count`` other random initialisations (the seed's spread)."""
    cfg = ctx.config
    losses = []
    for k in range(count):
        model = EchoRNN(cfg.state_size, rng=ctx.rng(f"init-spread-{k}"), device=ctx.device)
        outputs, _ = model.unroll(one_hot_inputs(x, ctx.device), model.zero_state(len(x)))
        losses.append(model.window_loss(model.logits(outputs), y).item())
    return losses


def measure_truncation(ctx: LessonContext) -> dict[str, Any]:
    """How far back the error at each position of a window reaches, measured and counted."""
    cfg = ctx.config
    steps = min(cfg.num_steps, 12)
    model = EchoRNN(cfg.state_size, rng=ctx.rng("init"), device=ctx.device)
    x, y = next(
        gen_batch(gen_data(cfg.batch_size * steps, ctx.rng("reach")), cfg.batch_size, steps)
    )
    reach = gradient_reach(model, x, y)
    sizes = sorted({n for n, _ in _experiments(ctx)} | {cfg.num_steps})
    shares = [
        {
            "num_steps": n,
            "first": share_that_sees(n, FIRST_LAG),
            "second": share_that_sees(n, SECOND_LAG),
        }
        for n in sizes
    ]
    ctx.report("truncation", {"num_steps": steps, "reach": reach.tolist(), "shares": shares})
    return {"reach": reach, "shares": shares}


def _experiments(ctx: LessonContext) -> list[tuple[int, int]]:
    return parse_experiments(ctx.config.experiments)


def train_one(ctx: LessonContext, num_steps: int, state_size: int, title: str) -> TrainResult:
    """Train one (num_steps, state_size) model with a progress bar and a live loss chart."""
    cfg = ctx.config
    model = EchoRNN(state_size, rng=ctx.rng(f"init-{state_size}"), device=ctx.device)
    per_epoch = windows_per_epoch(cfg.epoch_samples, cfg.batch_size, num_steps)
    every = curve_every(cfg, num_steps)
    chart = ctx.chart(title, height=12, x_label="epoch", y_label="loss (nats)")
    for name, value in ctx.state.expected.items():
        chart.add_reference(value, name)
    line = chart.add_series(f"{num_steps} steps, state {state_size}")
    block: list[float] = []
    board = ctx.board(f"{num_steps}x{state_size}")  # TensorBoard run; None without --logdir

    with ctx.track(cfg.epochs * per_epoch, f"training {num_steps}x{state_size}", chart) as bar:

        def on_window(index: int, loss: float) -> None:
            block.append(loss)
            if len(block) == every:
                line.append(index / per_epoch, float(np.mean(block)))
                block.clear()
            if board is not None:
                board.add_scalar("loss/train", loss, index)
            bar.advance()

        result = train_network(
            model,
            cfg.epochs,
            num_steps,
            cfg.batch_size,
            cfg.lr,
            cfg.epoch_samples,
            ctx.rng(f"data-{num_steps}x{state_size}"),
            on_window,
        )
    if board is not None:  # the last window's gradients are still in .grad
        board.add_parameters(model, len(result.losses))
    ctx.state.models = getattr(ctx.state, "models", {})
    ctx.state.models[(num_steps, state_size)] = model
    ctx.state.charts = getattr(ctx.state, "charts", {})
    ctx.state.charts[(num_steps, state_size)] = chart  # drawn live; the renderer shows it
    return result


def train_seminar(ctx: LessonContext) -> dict[str, Any]:
    """The seminar's configuration: train it and label what it learned."""
    cfg = ctx.config
    result = train_one(ctx, cfg.num_steps, cfg.state_size, "training loss, seminar configuration")
    ctx.state.trained = {(cfg.num_steps, cfg.state_size): result}
    run = result.summary(curve_every(cfg, cfg.num_steps))
    ctx.report("seminar", run)
    return {
        "run": run,
        "expected": ctx.state.expected,
        "chart": ctx.state.charts[(cfg.num_steps, cfg.state_size)],
    }


def run_experiments(ctx: LessonContext) -> dict[str, Any]:
    """Train each (num_steps, state_size) of the table (re-using the seminar run if it is one)."""
    cfg = ctx.config
    trained = getattr(ctx.state, "trained", {})
    runs = []
    for num_steps, state_size in _experiments(ctx):
        result = trained.get((num_steps, state_size))
        if result is None:
            result = train_one(ctx, num_steps, state_size, f"{num_steps} steps, state {state_size}")
            trained[(num_steps, state_size)] = result
        runs.append(result.summary(curve_every(cfg, num_steps)))
    ctx.report("runs", runs)
    chart = ctx.chart("final comparison", height=14, x_label="epoch", y_label="loss (nats)")
    for name, value in ctx.state.expected.items():
        chart.add_reference(value, name)
    for run in runs:
        per_epoch = run["windows_per_epoch"]
        xs = [(i + 1) * run["curve_every"] / per_epoch for i in range(len(run["curve"]))]
        chart.add_series(f"{run['num_steps']}x{run['state_size']}", xs, run["curve"])
    return {"runs": runs, "chart": chart, "thresholds": learned_thresholds(ctx.state.expected)}


__all__ = [
    "build_model",
    "compute_expected",
    "expected_loss",
    "measure_truncation",
    "parse_experiments",
    "run_experiments",
    "cut_batches",
    "measure_task",
    "train_one",
    "train_seminar",
]
